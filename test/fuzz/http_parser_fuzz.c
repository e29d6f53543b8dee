/*
 * http_parser_fuzz.c: libFuzzer driver for mog_http_parse() (src/http/http_parser.rl).
 *
 * The input is a byte stream of pipelined request heads.  Each head is
 * parsed three ways and all three must agree: whole; in two pieces at a
 * split point taken from the head's first byte (the second call gets a new
 * buffer holding the same bytes plus more, as after a realloc); and growing
 * one byte per call.  Bytes past the length handed over are ASan-poisoned.
 * A DONE head must also satisfy the invariants of doc/protocol.md, Request line, Headers, Limits.
 */
#include <config.h>
#include "http/http_parser.h"
#include "fuzz.h"

static const char *const method_name[] = {
	[MOG_HTTP_GET] = "GET ", [MOG_HTTP_HEAD] = "HEAD ", [MOG_HTTP_PUT] = "PUT ",
	[MOG_HTTP_DELETE] = "DELETE ", [MOG_HTTP_MKCOL] = "MKCOL ",
};

static int is_pchar(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '/';
}

/* The results two parses of the same head must agree on. */
static void same(enum mog_parse rc1, const struct mog_http_req *a,
		 enum mog_parse rc2, const struct mog_http_req *b)
{
	CHECK(rc1 == rc2);
	CHECK(a->status == b->status);
	if (rc1 == MOG_PARSE_ERROR)
		return;
	CHECK(a->off == b->off);
	if (rc1 != MOG_PARSE_DONE)
		return;
	CHECK(a->method == b->method);
	CHECK(a->version_minor == b->version_minor);
	CHECK(a->path_off == b->path_off && a->path_len == b->path_len);
	CHECK(a->persistent == b->persistent);
	CHECK(a->has_content_length == b->has_content_length);
	CHECK(a->content_length == b->content_length);
	CHECK(a->chunked == b->chunked && a->chunked_and_length == b->chunked_and_length);
	CHECK(a->has_content_md5 == b->has_content_md5);
	CHECK(!a->has_content_md5 || memcmp(a->content_md5, b->content_md5, 16) == 0);
	CHECK(a->trailer_md5 == b->trailer_md5);
	CHECK(a->expect_continue == b->expect_continue);
	CHECK(a->has_range == b->has_range);
	if (a->has_range) {
		CHECK(a->range_has_first == b->range_has_first);
		CHECK(a->range_has_last == b->range_has_last);
		CHECK(!a->range_has_first || a->range_first == b->range_first);
		CHECK(!a->range_has_last || a->range_last == b->range_last);
	}
	CHECK(a->has_content_range == b->has_content_range);
	if (a->has_content_range)
		CHECK(a->crange_first == b->crange_first && a->crange_last == b->crange_last);
}

/* One parse result on buf[0..len) on its own. */
static void check_result(enum mog_parse rc, const struct mog_http_req *r, const char *buf,
			 size_t len)
{
	size_t i;

	switch (rc) {
	case MOG_PARSE_AGAIN:
		CHECK(r->status == 0);
		CHECK(r->off == len);	/* AGAIN consumed everything */
		CHECK(len < MOG_HEAD_MAX);
		return;
	case MOG_PARSE_ERROR:
		CHECK(r->status == 400 || r->status == 507);
		return;
	case MOG_PARSE_DONE:
		break;
	default:
		CHECK(!"unknown mog_parse value");
	}
	CHECK(r->status == 0);
	CHECK(r->off <= len);
	CHECK(r->off <= MOG_HEAD_MAX);	/* a DONE head is <= 65535 bytes */
	CHECK(r->off >= sizeof("GET / HTTP/1.0\r\n\r\n") - 1);
	CHECK(memcmp(buf + r->off - 4, "\r\n\r\n", 4) == 0);
	/* CRLF only: no bare LF, no bare CR in the head */
	for (i = 0; i < r->off; i++) {
		if (buf[i] == '\n')
			CHECK(i > 0 && buf[i - 1] == '\r');
		if (buf[i] == '\r')
			CHECK(i + 1 < r->off && buf[i + 1] == '\n');
	}

	CHECK(r->method >= MOG_HTTP_GET && r->method <= MOG_HTTP_MKCOL);
	CHECK(strncmp(buf, method_name[r->method], strlen(method_name[r->method])) == 0);
	CHECK(r->version_minor <= 1);

	/* the effective path: within the request line, collapsed, bounded */
	CHECK(r->path_len >= 1 && r->path_len <= MOG_PATH_MAX);
	CHECK(r->path_off >= strlen(method_name[r->method]));
	CHECK(r->path_off + r->path_len < r->off);
	CHECK(buf[r->path_off] == '/');
	CHECK(r->path_len < 2 || buf[r->path_off + 1] != '/');
	for (i = 0; i < r->path_len; i++)
		CHECK(is_pchar((unsigned char)buf[r->path_off + i]));
	CHECK(memcmp(buf + r->path_off + r->path_len, " HTTP/1.", 8) == 0);
	CHECK(buf[r->path_off + r->path_len + 8] == (char)('0' + r->version_minor));
	CHECK(memcmp(buf + r->path_off + r->path_len + 9, "\r\n", 2) == 0);
	CHECK(r->path_off + r->path_len + 11 <= r->off);

	/* framing and ranges are non-negative and consistent */
	CHECK(!r->has_content_length || r->content_length >= 0);
	CHECK(r->has_content_length || r->content_length == 0);
	CHECK(!r->chunked_and_length || (r->chunked && !r->has_content_length));
	CHECK(!r->range_has_first || r->range_first >= 0);
	CHECK(!r->range_has_last || r->range_last >= 0);
	CHECK(!r->has_content_range || (r->crange_first >= 0 && r->crange_last >= 0));
}

/* Parse the head at the start of buf[0..n) (own heap copy) three ways; returns its length or 0. */
static size_t check_head(const char *buf, size_t n)
{
	struct mog_http_req whole, split, grow;
	enum mog_parse rc_whole, rc_split, rc_grow = MOG_PARSE_AGAIN;
	size_t cut = fuzz_split((const uint8_t *)buf, n), len;
	struct fuzz_win w;
	char *a, *b;

	/* whole, and a second call must not change anything */
	mog_http_req_init(&whole);
	rc_whole = mog_http_parse(&whole, buf, n);
	check_result(rc_whole, &whole, buf, n);
	if (rc_whole != MOG_PARSE_AGAIN) {
		struct mog_http_req again = whole;

		CHECK(mog_http_parse(&again, buf, n) == rc_whole);
		same(rc_whole, &whole, rc_whole, &again);
	}

	/* two pieces, each in an exact-size buffer of its own */
	mog_http_req_init(&split);
	a = fuzz_dup(buf, cut);
	rc_split = mog_http_parse(&split, a, cut);
	check_result(rc_split, &split, a, cut);
	free(a);
	if (rc_split == MOG_PARSE_AGAIN) {
		b = fuzz_dup(buf, n);
		rc_split = mog_http_parse(&split, b, n);
		check_result(rc_split, &split, b, n);
		free(b);
	} else {
		/* finished within the first piece: the rest cannot matter */
		CHECK(rc_split == rc_whole);
	}
	same(rc_whole, &whole, rc_split, &split);

	/* growing one byte per call (the trickle of STYLE.md, made exhaustive) */
	a = fuzz_dup(buf, n);
	win_init(&w, a, n);
	mog_http_req_init(&grow);
	for (len = 0; len <= n; len++) {
		win_move(&w, 0, len);
		rc_grow = mog_http_parse(&grow, a, len);
		check_result(rc_grow, &grow, a, len);
		if (rc_grow == MOG_PARSE_DONE)
			CHECK(grow.off == len);	/* done as soon as the blank line is complete */
		if (rc_grow != MOG_PARSE_AGAIN)
			break;
	}
	win_done(&w);
	free(a);
	same(rc_whole, &whole, rc_grow, &grow);

	return rc_whole == MOG_PARSE_DONE ? whole.off : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size);
	size_t pos = 0, used;
	int heads;

	/* pipelined heads: each starts where the previous one ended (bodies aside) */
	for (heads = 0; heads < 64 && pos < size; heads++) {
		used = check_head(buf + pos, size - pos);
		if (used == 0)
			break;
		pos += used;
	}
	free(buf);
	return 0;
}
