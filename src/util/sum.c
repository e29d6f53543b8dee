/* sum.c: encoding of the checksum record, and computing and checking one. */
#include <config.h>
#include <stdlib.h>
#include <string.h>
#include "xalloc.h"
#include "crc32c.h"
#include "sum.h"

#define BASE ((uint64_t)1 << MOG_SUM_BASE_SHIFT)

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

unsigned mog_sum_shift_for(uint64_t size)
{
	unsigned shift = MOG_SUM_BASE_SHIFT;

	while (shift < 63 && (size + ((uint64_t)1 << shift) - 1) >> shift > MOG_SUM_MAX_BLOCKS)
		shift++;
	return shift;
}

size_t mog_sum_encode(const struct mog_sum *s, unsigned char *out)
{
	size_t len = MOG_SUM_HEAD_LEN, i;

	memcpy(out, "MOGS", 4);
	out[4] = MOG_SUM_VERSION;
	out[5] = (unsigned char)s->block_shift;
	out[6] = s->has_md5 ? 0 : MOG_SUM_F_NO_MD5;
	out[7] = 0;
	put64(out + 8, s->size);
	put64(out + 16, (uint64_t)s->mtime_sec);
	put32(out + 24, s->mtime_nsec);
	put32(out + 28, s->nblocks);
	put64(out + 32, s->ino);
	memcpy(out + 40, s->md5, 16);
	for (i = 0; i < s->nblocks; i++, len += 4)
		put32(out + len, s->crc[i]);
	put32(out + len, mog_crc32c(0, out, len));
	return len + 4;
}

enum mog_sum_decode mog_sum_decode(struct mog_sum *s, const unsigned char *buf, size_t len)
{
	uint64_t want;
	size_t i;

	if (len < MOG_SUM_HEAD_LEN + 4 || memcmp(buf, "MOGS", 4) != 0)
		return MOG_SUM_BAD;
	if (buf[4] > MOG_SUM_VERSION)
		return MOG_SUM_NEWER;
	if (buf[4] != MOG_SUM_VERSION || get32(buf + len - 4) != mog_crc32c(0, buf, len - 4))
		return MOG_SUM_BAD;
	s->block_shift = buf[5];
	s->size = get64(buf + 8);
	s->mtime_sec = (int64_t)get64(buf + 16);
	s->mtime_nsec = get32(buf + 24);
	s->nblocks = get32(buf + 28);
	s->ino = get64(buf + 32);
	memcpy(s->md5, buf + 40, 16);
	s->has_md5 = !(buf[6] & MOG_SUM_F_NO_MD5);
	if (s->block_shift < MOG_SUM_BASE_SHIFT || s->block_shift > 62 ||
	    s->nblocks > MOG_SUM_MAX_BLOCKS ||
	    len != MOG_SUM_HEAD_LEN + 4 * (size_t)s->nblocks + 4)
		return MOG_SUM_BAD;
	want = (s->size + ((uint64_t)1 << s->block_shift) - 1) >> s->block_shift;
	if (want != s->nblocks)
		return MOG_SUM_BAD;
	for (i = 0; i < s->nblocks; i++)
		s->crc[i] = get32(buf + MOG_SUM_HEAD_LEN + 4 * i);
	return MOG_SUM_OK;
}

void mog_sum_builder_init(struct mog_sum_builder *b, bool md5)
{
	memset(b, 0, sizeof(*b));
	b->md5_on = md5;
	if (md5)
		mog_digest_init(&b->md5, MOG_DIGEST_MD5);
}

void mog_sum_builder_update(struct mog_sum_builder *b, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (b->md5_on)
		mog_digest_update(&b->md5, buf, len);
	while (len > 0) {
		size_t room = (size_t)(BASE - (b->len & (BASE - 1)));
		size_t n = len < room ? len : room;

		b->cur = mog_crc32c(b->cur, p, n);
		b->len += n;
		p += n;
		len -= n;
		if ((b->len & (BASE - 1)) == 0) {
			if (b->ncrcs == b->cap) {
				b->cap = b->cap ? 2 * b->cap : 16;
				b->crcs = xreallocarray(b->crcs, b->cap, sizeof(*b->crcs));
			}
			b->crcs[b->ncrcs++] = b->cur;
			b->cur = 0;
		}
	}
}

void mog_sum_builder_finish(struct mog_sum_builder *b, struct mog_sum *s)
{
	unsigned char md5[20];
	size_t per, i, j;

	memset(md5, 0, sizeof(md5));
	if (b->md5_on)
		mog_digest_final(&b->md5, md5);
	memcpy(s->md5, md5, 16);
	s->has_md5 = b->md5_on;
	s->size = b->len;
	s->block_shift = mog_sum_shift_for(b->len);
	s->nblocks = (uint32_t)((b->len + ((uint64_t)1 << s->block_shift) - 1) >> s->block_shift);
	per = (size_t)1 << (s->block_shift - MOG_SUM_BASE_SHIFT);
	for (i = 0; i < s->nblocks; i++) {
		uint32_t crc = 0;

		for (j = i * per; j < (i + 1) * per && j < b->ncrcs; j++)
			crc = j == i * per ? b->crcs[j] : mog_crc32c_combine(crc, b->crcs[j], BASE);
		if (j < (i + 1) * per && (b->len & (BASE - 1)) != 0)	/* the short last one */
			crc = j == i * per ? b->cur
			      : mog_crc32c_combine(crc, b->cur, b->len & (BASE - 1));
		s->crc[i] = crc;
	}
	mog_sum_builder_destroy(b);
}

void mog_sum_builder_destroy(struct mog_sum_builder *b)
{
	free(b->crcs);
	b->crcs = NULL;
	b->ncrcs = b->cap = 0;
}

void mog_sum_check_init(struct mog_sum_check *c, const struct mog_sum *s)
{
	c->sum = s;
	c->pos = 0;
	c->crc = 0;
}

bool mog_sum_check_update(struct mog_sum_check *c, const void *buf, size_t len)
{
	const struct mog_sum *s = c->sum;
	const unsigned char *p = buf;
	uint64_t bsize = (uint64_t)1 << s->block_shift;

	if (len > s->size - c->pos)
		return false;
	while (len > 0) {
		uint64_t bend = (c->pos | (bsize - 1)) + 1;
		size_t n;

		if (bend > s->size)
			bend = s->size;
		n = bend - c->pos < len ? (size_t)(bend - c->pos) : len;
		c->crc = mog_crc32c(c->crc, p, n);
		c->pos += n;
		p += n;
		len -= n;
		if (c->pos == bend) {
			if (c->crc != s->crc[(c->pos - 1) >> s->block_shift])
				return false;
			c->crc = 0;
		}
	}
	return true;
}
