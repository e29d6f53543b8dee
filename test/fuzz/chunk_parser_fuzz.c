/*
 * chunk_parser_fuzz.c: libFuzzer driver for mog_chunk_parse() (src/http/chunk_parser.rl).
 *
 * The input is a chunked body (and whatever follows it).  It is fed in four
 * patterns: whole; two pieces split at a point taken from the first byte;
 * one byte per call; and random pieces with the caller taking random
 * amounts of data on each DATA.  The parser is a streaming one, so every
 * byte outside the current piece, or already consumed, is ASan-poisoned.
 * All patterns must extract the same data bytes and end the same way, and
 * after every call: *used <= len, left >= 0, total == data taken + left.
 */
#include <config.h>
#include "http/chunk_parser.h"
#include "fuzz.h"

enum { PAT_WHOLE, PAT_SPLIT, PAT_BYTE, PAT_RANDOM, NPAT };

struct outcome {
	enum mog_chunk_next rc;	/* DONE, ERROR, or AGAIN for "input ran out" */
	int status;
	size_t end;		/* after DONE: bytes the body took */
	char *data;		/* chunk data taken, in order */
	size_t dlen;
	off_t left, total;
	bool has_md5;
	unsigned char md5[16];
};

static void feed(const char *buf, size_t n, int pat, uint32_t seed, struct outcome *o)
{
	size_t pos = 0, pend = 0, used, take, cut = fuzz_split((const uint8_t *)buf, n);
	enum mog_chunk_next rc = MOG_CHUNK_AGAIN;
	struct fuzz_win w;
	struct mog_chunk c;

	memset(o, 0, sizeof(*o));
	o->data = malloc(n + 1);
	CHECK(o->data != NULL);
	mog_chunk_init(&c);
	win_init(&w, buf, n);
	for (;;) {
		if (pos == pend) {	/* the next piece */
			if (pend == n)
				break;
			switch (pat) {
			case PAT_WHOLE:
				pend = n;
				break;
			case PAT_SPLIT:
				pend = pend == 0 ? cut : n;
				if (pend == 0)
					pend = n;
				break;
			case PAT_BYTE:
				pend++;
				break;
			default:
				pend += 1 + fuzz_rand(&seed) % 64;
				if (pend > n)
					pend = n;
			}
		}
		win_move(&w, pos, pend);
		used = (size_t)-1;
		rc = mog_chunk_parse(&c, buf + pos, pend - pos, &used);
		CHECK(used <= pend - pos);	/* *used never exceeds len */
		CHECK(c.left >= 0 && c.total >= 0 && c.size >= 0);
		CHECK(c.total == (off_t)o->dlen + c.left);
		pos += used;
		win_move(&w, pos, pend);	/* consumed bytes are gone */
		if (rc == MOG_CHUNK_DATA) {
			CHECK(c.left > 0);
			take = pend - pos;
			if ((off_t)take > c.left)
				take = (size_t)c.left;
			if (pat == PAT_RANDOM && take > 1 && fuzz_rand(&seed) % 4 == 0)
				take = 1 + fuzz_rand(&seed) % take;	/* take part of it */
			memcpy(o->data + o->dlen, buf + pos, take);
			o->dlen += take;
			mog_chunk_data(&c, take);
			pos += take;
			CHECK(c.left >= 0 && c.total == (off_t)o->dlen + c.left);
			continue;
		}
		if (rc == MOG_CHUNK_AGAIN) {
			CHECK(pos == pend);	/* AGAIN consumed everything */
			continue;
		}
		break;
	}
	win_done(&w);

	if (rc == MOG_CHUNK_DATA)
		rc = MOG_CHUNK_AGAIN;	/* input ran out inside chunk data */
	o->rc = rc;
	o->status = c.status;
	o->left = c.left;
	o->total = c.total;
	o->has_md5 = c.has_md5;
	memcpy(o->md5, c.md5, 16);
	switch (rc) {
	case MOG_CHUNK_DONE: {
		size_t again = 1;

		o->end = pos;
		CHECK(c.status == 0 && c.left == 0);
		/* last-chunk or a trailer field, then the empty line */
		CHECK(pos >= 5 && memcmp(buf + pos - 4, "\r\n\r\n", 4) == 0);
		CHECK((off_t)o->dlen == c.total);
		/* a finished parser stays finished and consumes nothing */
		CHECK(mog_chunk_parse(&c, "0\r\n\r\n", 5, &again) == MOG_CHUNK_DONE && again == 0);
		break;
	}
	case MOG_CHUNK_ERROR: {
		size_t again = 1;

		CHECK(c.status == 400 || c.status == 507);
		CHECK(mog_chunk_parse(&c, "0\r\n\r\n", 5, &again) == MOG_CHUNK_ERROR && again == 0);
		break;
	}
	case MOG_CHUNK_AGAIN:
		CHECK(c.status == 0);
		break;
	default:
		CHECK(!"unknown mog_chunk_next value");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size);
	struct outcome o[NPAT];
	int i;

	for (i = 0; i < NPAT; i++)
		feed(buf, size, i, fuzz_seed(data, size), &o[i]);
	for (i = 1; i < NPAT; i++) {
		CHECK(o[i].rc == o[0].rc);
		CHECK(o[i].status == o[0].status);
		CHECK(o[i].end == o[0].end);
		CHECK(o[i].dlen == o[0].dlen);
		CHECK(memcmp(o[i].data, o[0].data, o[0].dlen) == 0);
		CHECK(o[i].left == o[0].left && o[i].total == o[0].total);
		CHECK(o[i].has_md5 == o[0].has_md5);
		CHECK(!o[0].has_md5 || memcmp(o[i].md5, o[0].md5, 16) == 0);
	}
	for (i = 0; i < NPAT; i++)
		free(o[i].data);
	free(buf);
	return 0;
}
