/* crc32c.c: CRC-32C (polynomial 0x1edc6f41, reflected 0x82f63b78) in software and with SSE4.2. */
#include <config.h>
#include <pthread.h>
#include <string.h>
#include "crc32c.h"

#define POLY 0x82f63b78u	/* reflected: bit 31 is x^0 */

static uint32_t table[8][256];	/* slice-by-8 tables, filled once */
static uint32_t (*impl)(uint32_t, const unsigned char *, size_t);
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* a * b mod P, in the reflected representation. */
static uint32_t gf_mul(uint32_t a, uint32_t b)
{
	uint32_t p = 0, m;

	for (m = 0x80000000u; m != 0; m >>= 1) {
		if (a & m)
			p ^= b;
		b = (b & 1) ? (b >> 1) ^ POLY : b >> 1;	/* b *= x */
	}
	return p;
}

/* x^(8 * n) mod P: what n zero bytes do to a CRC register. */
static uint32_t x8n(uint64_t n)
{
	uint32_t r = 0x80000000u, base = 0x00800000u;	/* 1 and x^8 */

	while (n != 0) {
		if (n & 1)
			r = gf_mul(r, base);
		base = gf_mul(base, base);
		n >>= 1;
	}
	return r;
}

/* The register (no pre/post inversion) after buf, slice by 8 bytes. */
static uint32_t raw_sw(uint32_t r, const unsigned char *p, size_t len)
{
	while (len >= 8) {
		uint32_t lo = r ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
				   (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);

		r = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^
		    table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^
		    table[3][p[4]] ^ table[2][p[5]] ^ table[1][p[6]] ^ table[0][p[7]];
		p += 8;
		len -= 8;
	}
	while (len-- > 0)
		r = (r >> 8) ^ table[0][(r ^ *p++) & 0xff];
	return r;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <nmmintrin.h>

/*
 * Three independent streams of stripe bytes per round, for three stripe sizes
 * (so that 4 KiB socket reads get them too), joined by multiplying the first two
 * by x^(16 stripe) and x^(8 stripe): a constant, so four table lookups each.
 */
#define NLEVELS 3
static const size_t stripes[NLEVELS] = { 4096, 1024, 256 };
static uint32_t by_2s[NLEVELS][4][256], by_s[NLEVELS][4][256];

static void mul_table_init(uint32_t t[4][256], uint32_t k)
{
	uint32_t j, b;

	for (j = 0; j < 4; j++)
		for (b = 0; b < 256; b++)
			t[j][b] = gf_mul(k, b << (8 * j));
}

/* gf_mul(k, x) for the k t was made for: gf_mul is linear in x, byte by byte. */
static inline uint32_t mul_table(const uint32_t t[4][256], uint32_t x)
{
	return t[0][x & 0xff] ^ t[1][(x >> 8) & 0xff] ^ t[2][(x >> 16) & 0xff] ^ t[3][x >> 24];
}

/* The crc32 instruction has a latency of 3 and a throughput of 1: three
 * streams keep it busy. */
__attribute__((target("sse4.2")))
static uint32_t raw_hw(uint32_t r, const unsigned char *p, size_t len)
{
	uint64_t a, b, c, w;
	size_t i, l;

	for (l = 0; l < NLEVELS; l++) {
		size_t s = stripes[l];

		while (len >= 3 * s) {
			a = r;
			b = c = 0;
			for (i = 0; i < s; i += 8) {
				memcpy(&w, p + i, 8);
				a = _mm_crc32_u64(a, w);
				memcpy(&w, p + s + i, 8);
				b = _mm_crc32_u64(b, w);
				memcpy(&w, p + 2 * s + i, 8);
				c = _mm_crc32_u64(c, w);
			}
			r = mul_table(by_2s[l], (uint32_t)a) ^ mul_table(by_s[l], (uint32_t)b) ^
			    (uint32_t)c;
			p += 3 * s;
			len -= 3 * s;
		}
	}
	a = r;
	for (; len >= 8; len -= 8, p += 8) {
		memcpy(&w, p, 8);
		a = _mm_crc32_u64(a, w);
	}
	r = (uint32_t)a;
	while (len-- > 0)
		r = _mm_crc32_u8(r, *p++);
	return r;
}
#endif

static void init(void)
{
	uint32_t i, j, r;

	for (i = 0; i < 256; i++) {
		r = i;
		for (j = 0; j < 8; j++)
			r = (r & 1) ? (r >> 1) ^ POLY : r >> 1;
		table[0][i] = r;
	}
	for (i = 0; i < 256; i++)
		for (j = 1; j < 8; j++)
			table[j][i] = (table[j - 1][i] >> 8) ^ table[0][table[j - 1][i] & 0xff];
	impl = raw_sw;
#if defined(__x86_64__) && defined(__GNUC__)
	for (i = 0; i < NLEVELS; i++) {
		mul_table_init(by_s[i], x8n(stripes[i]));
		mul_table_init(by_2s[i], x8n(2 * stripes[i]));
	}
	__builtin_cpu_init();
	if (__builtin_cpu_supports("sse4.2"))
		impl = raw_hw;
#endif
}

uint32_t mog_crc32c(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&once, init);
	return ~impl(~crc, buf, len);
}

uint32_t mog_crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b)
{
	/* the inversions cancel: crc(AB) = crc_a * x^(8 len_b) + crc_b */
	return gf_mul(x8n(len_b), crc_a) ^ crc_b;
}

const char *mog_crc32c_impl(void)
{
	pthread_once(&once, init);
	return impl == raw_sw ? "table" : "sse4.2";
}
