/* crc32c_test.c: CRC-32C known values, the instruction against the table, combining. */
#include <config.h>
#include <stdlib.h>
#include "../../src/util/crc32c.c"
#include "tap.h"

static uint32_t sw(const void *buf, size_t len)
{
	return ~raw_sw(~0u, buf, len);
}

int main(void)
{
	static unsigned char buf[200000];
	unsigned char zeros[32] = { 0 }, ones[32], inc[32];
	size_t i, lens[] = { 0, 1, 7, 8, 9, 63, 767, 768, 769, 3071, 3072, 4095, 4099, 12287, 12288,
		       12289, 16127, 65536, 100003, 200000 };

	for (i = 0; i < 32; i++) {
		ones[i] = 0xff;
		inc[i] = (unsigned char)i;
	}
	/* RFC 3720 (iSCSI) B.4 and the usual check value */
	is(mog_crc32c(0, "123456789", 9), 0xe3069283u, "check value of \"123456789\"");
	is(mog_crc32c(0, zeros, 32), 0x8a9136aau, "32 zero bytes");
	is(mog_crc32c(0, ones, 32), 0x62a8ab43u, "32 0xff bytes");
	is(mog_crc32c(0, inc, 32), 0x46dd794eu, "32 incrementing bytes");
	is(mog_crc32c(0, "", 0), 0, "empty");
	is(sw("123456789", 9), 0xe3069283u, "table: check value");
	printf("# implementation: %s\n", mog_crc32c_impl());

	srandom(42);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)random();
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i];

		is(mog_crc32c(0, buf + 3, len - (len > 3 ? 3 : len)),
		   sw(buf + 3, len - (len > 3 ? 3 : len)), "same CRC both ways, %zu bytes (unaligned)",
		   len);
		is(mog_crc32c(mog_crc32c(0, buf, len / 3), buf + len / 3, len - len / 3),
		   mog_crc32c(0, buf, len), "continued CRC, %zu bytes", len);
		is(mog_crc32c_combine(mog_crc32c(0, buf, len / 2),
				      mog_crc32c(0, buf + len / 2, len - len / 2), len - len / 2),
		   mog_crc32c(0, buf, len), "combined CRC, %zu bytes", len);
	}
	return done_testing();
}
