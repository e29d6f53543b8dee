/*
 * mgmt_parser_fuzz.c: libFuzzer driver for mog_mgmt_parse() (src/mgmt/mgmt_parser.rl).
 *
 * The input is a stream of pipelined sideband lines.  Each line is parsed
 * whole, in two pieces (split point from its first byte, each piece in an
 * exact-size buffer) and growing one byte per call; all must agree, and
 * agree with a plain-C reading of doc/protocol.md, Sideband (ref() below).  Invariants:
 * line_len <= len and <= MOG_MGMT_LINE_MAX, offsets within the line.
 */
#include <config.h>
#include <limits.h>
#include "mgmt/mgmt_parser.h"
#include "fuzz.h"

static bool is_pathc(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '/' || c == '.' || c == '-';
}

static bool is_reasonc(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static bool is_blank(int c)
{
	return c == ' ' || c == '\t';
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool prefix_ci(const char *s, size_t n, const char *word)
{
	size_t i, wl = strlen(word);

	if (n < wl)
		return false;
	for (i = 0; i < wl; i++)
		if (lower((unsigned char)s[i]) != word[i])
			return false;
	return true;
}

/* "<word> <path>[ <reason>]" over body[0..n): path at *poff */
static bool path_cmd(const char *b, size_t n, const char *word, bool reason,
		     struct mog_mgmt_req *r)
{
	size_t wl = strlen(word), i, j;

	if (n < wl + 1 || memcmp(b, word, wl) != 0 || b[wl] != ' ' || wl + 1 >= n ||
	    b[wl + 1] != '/')
		return false;
	for (i = wl + 1; i < n && is_pathc((unsigned char)b[i]); i++)
		;
	r->path_off = wl + 1;
	r->path_len = i - (wl + 1);
	if (i == n)
		return true;
	if (!reason || b[i] != ' ' || i + 1 == n)
		return false;
	for (j = i + 1; j < n; j++)
		if (!is_reasonc((unsigned char)b[j]))
			return false;
	r->fsck = n - (i + 1) == 4 && memcmp(b + i + 1, "fsck", 4) == 0;
	return true;
}

static bool has_dotdot(const char *s, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (s[i - 1] == '.' && s[i] == '.')
			return true;
	return false;
}

/* The expected reading of the complete line L[0..ll) (L[ll - 1] is its only LF). */
static void ref(const char *L, size_t ll, struct mog_mgmt_req *r)
{
	size_t n = ll - 1, i;
	const char *b = L;

	memset(r, 0, sizeof(*r));
	r->line_len = ll;
	if (n > 0 && b[n - 1] == '\r')
		n--;	/* eol = CR? LF */

	for (i = 0; i < n && is_blank((unsigned char)b[i]); i++)
		;
	if (i == n) {
		r->cmd = MOG_MGMT_BLANK;
		return;
	}
	if (path_cmd(b, n, "size", false, r))
		r->cmd = MOG_MGMT_SIZE;
	else if (path_cmd(b, n, "MD5", true, r))
		r->cmd = MOG_MGMT_MD5;
	else if (path_cmd(b, n, "SHA-1", true, r))
		r->cmd = MOG_MGMT_SHA1;
	if (r->cmd != MOG_MGMT_NONE) {
		if (r->path_len > MOG_PATH_MAX || has_dotdot(b + r->path_off, r->path_len))
			r->cmd = MOG_MGMT_BAD_URI;
		if (r->cmd != MOG_MGMT_MD5 && r->cmd != MOG_MGMT_SHA1)
			r->fsck = false;
		return;
	}
	r->fsck = false;
	r->path_off = r->path_len = 0;

	if (n == 5 && prefix_ci(b, n, "watch")) {
		r->cmd = MOG_MGMT_WATCH;
		return;
	}
	if (n >= 8 && memcmp(b, "shutdown", 8) == 0) {
		for (i = 8; i < n && b[i] == ' '; i++)
			;
		if (n == 8 || (i > 8 && n - i == 8 && memcmp(b + i, "graceful", 8) == 0)) {
			r->cmd = MOG_MGMT_SHUTDOWN;
			return;
		}
	}
	if (prefix_ci(b, n, "server aio_threads")) {
		unsigned long v = 0;
		size_t d;

		for (i = 18; i < n && is_blank((unsigned char)b[i]); i++)
			;
		if (i < n && b[i] == '=') {
			for (i++; i < n && is_blank((unsigned char)b[i]); i++)
				;
			for (d = i; i < n && b[i] >= '0' && b[i] <= '9'; i++) {
				unsigned long x = (unsigned long)(b[i] - '0');

				v = v > (ULONG_MAX - x) / 10 ? ULONG_MAX : v * 10 + x;
			}
			if (i > d) {
				for (; i < n && is_blank((unsigned char)b[i]); i++)
					;
				if (i == n) {
					r->cmd = MOG_MGMT_AIO_THREADS;
					r->aio_threads = v;
					return;
				}
			}
		}
	}

	/* anything else: the first word after blanks and CRs */
	r->cmd = MOG_MGMT_UNKNOWN;
	for (i = 0; i < ll - 1 && (is_blank((unsigned char)L[i]) || L[i] == '\r'); i++)
		;
	r->token_off = i;
	for (; i < ll - 1 && !is_blank((unsigned char)L[i]) && L[i] != '\r'; i++)
		;
	r->token_len = i - r->token_off;
}

static void same(enum mog_parse rc1, const struct mog_mgmt_req *a,
		 enum mog_parse rc2, const struct mog_mgmt_req *b)
{
	CHECK(rc1 == rc2);
	if (rc1 != MOG_PARSE_DONE)
		return;
	CHECK(a->cmd == b->cmd);
	CHECK(a->line_len == b->line_len);
	CHECK(a->fsck == b->fsck);
	CHECK(a->aio_threads == b->aio_threads);
	switch (a->cmd) {
	case MOG_MGMT_SIZE:
	case MOG_MGMT_MD5:
	case MOG_MGMT_SHA1:
	case MOG_MGMT_BAD_URI:
		CHECK(a->path_off == b->path_off && a->path_len == b->path_len);
		break;
	case MOG_MGMT_UNKNOWN:
		/* no word at all ("\r\r\n"): the offset means nothing */
		CHECK(a->token_len == b->token_len);
		CHECK(a->token_len == 0 || a->token_off == b->token_off);
		break;
	default:
		break;
	}
}

/* One result on buf[0..len) on its own. */
static void check_result(enum mog_parse rc, const struct mog_mgmt_req *r, const char *buf,
			 size_t len)
{
	size_t lim = len < MOG_MGMT_LINE_MAX ? len : MOG_MGMT_LINE_MAX;
	const char *nl = memchr(buf, '\n', lim);
	struct mog_mgmt_req want;

	if (nl == NULL) {
		CHECK(rc == (len >= MOG_MGMT_LINE_MAX ? MOG_PARSE_ERROR : MOG_PARSE_AGAIN));
		return;
	}
	CHECK(rc == MOG_PARSE_DONE);
	CHECK(r->line_len == (size_t)(nl - buf) + 1);
	CHECK(r->line_len <= len && r->line_len <= MOG_MGMT_LINE_MAX);
	CHECK(r->cmd > MOG_MGMT_NONE && r->cmd <= MOG_MGMT_UNKNOWN);
	CHECK(r->path_off <= r->line_len && r->path_len <= r->line_len - r->path_off);
	CHECK(r->token_off <= r->line_len && r->token_len <= r->line_len - r->token_off);
	CHECK(!r->fsck || r->cmd == MOG_MGMT_MD5 || r->cmd == MOG_MGMT_SHA1);
	CHECK(r->aio_threads == 0 || r->cmd == MOG_MGMT_AIO_THREADS);
	if (r->cmd == MOG_MGMT_SIZE || r->cmd == MOG_MGMT_MD5 || r->cmd == MOG_MGMT_SHA1) {
		size_t i;

		CHECK(r->path_len >= 1 && r->path_len <= MOG_PATH_MAX);
		CHECK(buf[r->path_off] == '/');
		for (i = 0; i < r->path_len; i++)
			CHECK(is_pathc((unsigned char)buf[r->path_off + i]));
		CHECK(!has_dotdot(buf + r->path_off, r->path_len));
	}

	ref(buf, r->line_len, &want);
	if (want.cmd != r->cmd)
		fprintf(stderr, "cmd %d, expected %d\n", (int)r->cmd, (int)want.cmd);
	same(MOG_PARSE_DONE, &want, rc, r);
}

/* Parse the line at the start of buf[0..n) three ways; returns its length or 0. */
static size_t check_line(const char *buf, size_t n)
{
	struct mog_mgmt_req whole, split, grow, again;
	enum mog_parse rc_whole, rc_split, rc_grow = MOG_PARSE_AGAIN;
	size_t cut = fuzz_split((const uint8_t *)buf, n), len;
	struct fuzz_win w;
	char *a;

	mog_mgmt_req_init(&whole);
	rc_whole = mog_mgmt_parse(&whole, buf, n);
	check_result(rc_whole, &whole, buf, n);
	if (rc_whole == MOG_PARSE_DONE) {	/* called again before init: unchanged */
		again = whole;
		CHECK(mog_mgmt_parse(&again, buf, n) == MOG_PARSE_DONE);
		same(MOG_PARSE_DONE, &whole, MOG_PARSE_DONE, &again);
	}

	mog_mgmt_req_init(&split);
	a = fuzz_dup(buf, cut);
	rc_split = mog_mgmt_parse(&split, a, cut);
	check_result(rc_split, &split, a, cut);
	free(a);
	if (rc_split == MOG_PARSE_AGAIN) {
		a = fuzz_dup(buf, n);
		rc_split = mog_mgmt_parse(&split, a, n);
		check_result(rc_split, &split, a, n);
		free(a);
	}
	same(rc_whole, &whole, rc_split, &split);

	a = fuzz_dup(buf, n);
	win_init(&w, a, n);
	mog_mgmt_req_init(&grow);
	for (len = 0; len <= n; len++) {
		win_move(&w, 0, len);
		rc_grow = mog_mgmt_parse(&grow, a, len);
		if (rc_grow != MOG_PARSE_AGAIN)
			break;
		CHECK(grow.off <= len);
	}
	win_done(&w);
	free(a);
	if (rc_grow == MOG_PARSE_DONE)
		CHECK(grow.line_len == len);	/* done as soon as the LF arrives */
	same(rc_whole, &whole, rc_grow, &grow);

	return rc_whole == MOG_PARSE_DONE ? whole.line_len : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size);
	size_t pos = 0, used;

	while (pos < size && (used = check_line(buf + pos, size - pos)) > 0)
		pos += used;
	free(buf);
	return 0;
}
