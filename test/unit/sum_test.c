/* sum_test.c: the checksum record: encoding, damage, computing and checking. */
#include <config.h>
#include <stdlib.h>
#include "../../src/util/sum.c"
#include "tap.h"

static unsigned char data[3 << 20];
static struct mog_sum s, t;

/* Build a record of data[0..len) in pieces of step bytes. */
static void build(size_t len, size_t step, bool md5)
{
	struct mog_sum_builder b;
	size_t off;

	mog_sum_builder_init(&b, md5);
	for (off = 0; off < len; off += step)
		mog_sum_builder_update(&b, data + off, len - off < step ? len - off : step);
	mog_sum_builder_finish(&b, &s);
}

/* True if the record's CRCs are those of blocks computed directly. */
static bool blocks_match(size_t len)
{
	size_t bs = (size_t)1 << s.block_shift, i;

	for (i = 0; i * bs < len; i++) {
		size_t n = len - i * bs < bs ? len - i * bs : bs;

		if (s.crc[i] != mog_crc32c(0, data + i * bs, n))
			return false;
	}
	return i == s.nblocks;
}

static bool check_all(size_t len, size_t step)
{
	struct mog_sum_check c;
	size_t off;

	mog_sum_check_init(&c, &s);
	for (off = 0; off < len; off += step)
		if (!mog_sum_check_update(&c, data + off, len - off < step ? len - off : step))
			return false;
	return true;
}

int main(void)
{
	unsigned char enc[MOG_SUM_MAX_LEN], md5[20];
	size_t sizes[] = { 0, 1, 65535, 65536, 65537, 200000, 3 << 20 }, i, len;
	struct mog_digest d;

	srandom(7);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)random();
	is(mog_sum_shift_for(0), 16, "empty file: 64 KiB blocks");
	is(mog_sum_shift_for(960ull << 16), 16, "960 blocks of 64 KiB");
	is(mog_sum_shift_for((960ull << 16) + 1), 17, "one byte more: 128 KiB blocks");
	is(mog_sum_shift_for(1ull << 40), 31, "1 TiB: 2 GiB blocks");

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		len = sizes[i];
		build(len, 10007, true);
		mog_digest_init(&d, MOG_DIGEST_MD5);
		mog_digest_update(&d, data, len);
		mog_digest_final(&d, md5);
		ok(s.size == len && s.has_md5 && memcmp(s.md5, md5, 16) == 0,
		   "%zu bytes: size and MD5", len);
		ok(blocks_match(len), "%zu bytes: block CRCs", len);
		ok(check_all(len, 65536) && check_all(len, 999), "%zu bytes: check passes", len);
		if (len > 0) {
			data[len / 2] ^= 0x10;
			ok(!check_all(len, 65536) && !check_all(len, 999), "%zu bytes: flip found",
			   len);
			data[len / 2] ^= 0x10;
		}
	}
	/* 3 MiB: 48 blocks of 64 KiB; 70 MiB would be 1120 and need 128 KiB blocks */
	is(s.nblocks, 48, "3 MiB: 48 blocks");

	s.ino = 1234;
	s.mtime_sec = -5;
	s.mtime_nsec = 999999999;
	len = mog_sum_encode(&s, enc);
	is(len, MOG_SUM_HEAD_LEN + 4 * 48 + 4, "encoded length");
	is(mog_sum_decode(&t, enc, len), MOG_SUM_OK, "decodes");
	ok(t.size == s.size && t.ino == 1234 && t.mtime_sec == -5 && t.mtime_nsec == 999999999 &&
	   t.block_shift == s.block_shift && memcmp(t.md5, s.md5, 16) == 0 &&
	   memcmp(t.crc, s.crc, 48 * 4) == 0, "round trip");
	for (i = 0; i < len; i++) {
		enc[i] ^= 1;
		if (mog_sum_decode(&t, enc, len) == MOG_SUM_OK)
			break;
		enc[i] ^= 1;
	}
	is(i, len, "any flipped bit in the record is refused");
	ok(t.has_md5, "a record with its MD5 says so");
	build(200000, 4096, false);
	ok(!s.has_md5 && blocks_match(200000) && check_all(200000, 777), "CRC-only record");
	len = mog_sum_encode(&s, enc);
	ok(mog_sum_decode(&t, enc, len) == MOG_SUM_OK && !t.has_md5 && t.nblocks == s.nblocks &&
	   memcmp(t.crc, s.crc, 4 * s.nblocks) == 0, "CRC-only round trip: MD5 marked unknown");
	is(mog_sum_decode(&t, enc, len - 1), MOG_SUM_BAD, "short record refused");
	is(mog_sum_decode(&t, enc, 10), MOG_SUM_BAD, "tiny record refused");
	enc[4] = 2;
	is(mog_sum_decode(&t, enc, len), MOG_SUM_NEWER, "a later version is left alone");
	return done_testing();
}
