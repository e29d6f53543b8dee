/* mgmt_parser_test.c: sideband request lines (doc/protocol.md, Sideband). */
#include <config.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "mgmt/mgmt_parser.h"

struct want {
	const char *desc;
	const char *in;
	size_t in_len;			/* 0: strlen(in) */
	enum mog_mgmt_cmd cmd;
	const char *arg;		/* the path, or the UNKNOWN token */
	bool fsck;
	unsigned long aio_threads;
	size_t line_len;		/* 0: all of in */
};

static const struct want cases[] = {
	{ .desc = "N192 size /foo", .in = "size /foo\r\n", .cmd = MOG_MGMT_SIZE, .arg = "/foo" },
	{ .desc = "N192 size /missing", .in = "size /missing\r\n", .cmd = MOG_MGMT_SIZE,
	  .arg = "/missing" },
	{ .desc = "N192 size of an empty file", .in = "size /dev666/sausage\r\n",
	  .cmd = MOG_MGMT_SIZE, .arg = "/dev666/sausage" },
	{ .desc = "N194 size of a directory", .in = "size /dev1\r\n", .cmd = MOG_MGMT_SIZE,
	  .arg = "/dev1" },
	{ .desc = "N195 '  hello  '", .in = "  hello  \r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "hello" },
	{ .desc = "N195 hello", .in = "hello\r\n", .cmd = MOG_MGMT_UNKNOWN, .arg = "hello" },
	{ .desc = "N195 size bad", .in = "size bad\r\n", .cmd = MOG_MGMT_UNKNOWN, .arg = "size" },
	{ .desc = "N196 size /..", .in = "size /..\r\n", .cmd = MOG_MGMT_BAD_URI, .arg = "/.." },
	{ .desc = "N196 size /a/..", .in = "size /a/..\r\n", .cmd = MOG_MGMT_BAD_URI,
	  .arg = "/a/.." },
	{ .desc = "N196 size /a/../b", .in = "size /a/../b\r\n", .cmd = MOG_MGMT_BAD_URI,
	  .arg = "/a/../b" },
	{ .desc = "N196 .. inside a name", .in = "size /a..b\r\n", .cmd = MOG_MGMT_BAD_URI,
	  .arg = "/a..b" },
	{ .desc = "N196 single dots are fine", .in = "size /./a.b/.\r\n", .cmd = MOG_MGMT_SIZE,
	  .arg = "/./a.b/." },
	{ .desc = "N197 37-byte path", .in = "size /dev16777215/0/000/000/0123456789.fid\r\n",
	  .cmd = MOG_MGMT_SIZE, .arg = "/dev16777215/0/000/000/0123456789.fid" },
	/* cmogstored refuses >= 38 bytes; we allow up to MOG_PATH_MAX */
	{ .desc = "N197 (deliberate) 38-byte path is accepted",
	  .in = "size /dev16777215/0/000/000/0123456789.fid-\r\n", .cmd = MOG_MGMT_SIZE,
	  .arg = "/dev16777215/0/000/000/0123456789.fid-" },
	{ .desc = "N198 empty line", .in = "\r\n", .cmd = MOG_MGMT_BLANK },
	{ .desc = "N198 one space", .in = " \r\n", .cmd = MOG_MGMT_BLANK },
	{ .desc = "N198 LF only", .in = "\n", .cmd = MOG_MGMT_BLANK },
	{ .desc = "N198 spaces and tabs", .in = " \t \t\n", .cmd = MOG_MGMT_BLANK },
	{ .desc = "N199 LF terminator", .in = "size /x\n", .cmd = MOG_MGMT_SIZE, .arg = "/x" },
	{ .desc = "N201 bad command", .in = "bad command\r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "bad" },
	{ .desc = "N201 '  bad command'", .in = "  bad command\r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "bad" },
	{ .desc = "N201 size /foo bar", .in = "size /foo bar\r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "size" },
	{ .desc = "N208 server foo = 1", .in = "server foo = 1\r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "server" },
	{ .desc = "N208 shutdown now", .in = "shutdown now\r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "shutdown" },
	{ .desc = "N208 ShutDown", .in = "ShutDown\r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "ShutDown" },
	{ .desc = "N208 watch extra", .in = "watch extra\r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "watch" },
	{ .desc = "N208 SIZE /x", .in = "SIZE /x\r\n", .cmd = MOG_MGMT_UNKNOWN, .arg = "SIZE" },
	{ .desc = "N209 watch", .in = "watch\r\n", .cmd = MOG_MGMT_WATCH },
	{ .desc = "N209 watch LF", .in = "watch\n", .cmd = MOG_MGMT_WATCH },
	{ .desc = "N209 WATCH", .in = "WATCH\r\n", .cmd = MOG_MGMT_WATCH },
	{ .desc = "N209 wAtCh", .in = "wAtCh\n", .cmd = MOG_MGMT_WATCH },
	{ .desc = "N209 watch with a trailing space", .in = "watch \r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "watch" },
	{ .desc = "O210 MD5 /foo", .in = "MD5 /foo\r\n", .cmd = MOG_MGMT_MD5, .arg = "/foo" },
	{ .desc = "O210 MD5 /missing", .in = "MD5 /missing\r\n", .cmd = MOG_MGMT_MD5,
	  .arg = "/missing" },
	{ .desc = "O211 MD5 fsck", .in = "MD5 /foo fsck\r\n", .cmd = MOG_MGMT_MD5, .arg = "/foo",
	  .fsck = true },
	{ .desc = "O211 MD5 create_close", .in = "MD5 /foo create_close\r\n", .cmd = MOG_MGMT_MD5,
	  .arg = "/foo" },
	{ .desc = "O211 MD5 replicate", .in = "MD5 /foo replicate\r\n", .cmd = MOG_MGMT_MD5,
	  .arg = "/foo" },
	{ .desc = "O211 fsck LF", .in = "MD5 /foo fsck\n", .cmd = MOG_MGMT_MD5, .arg = "/foo",
	  .fsck = true },
	{ .desc = "O211 fsck2 is not fsck", .in = "MD5 /foo fsck2\r\n", .cmd = MOG_MGMT_MD5,
	  .arg = "/foo" },
	{ .desc = "O211 fsc is not fsck", .in = "MD5 /foo fsc\r\n", .cmd = MOG_MGMT_MD5,
	  .arg = "/foo" },
	{ .desc = "O211 FSCK is not fsck", .in = "MD5 /foo FSCK\r\n", .cmd = MOG_MGMT_MD5,
	  .arg = "/foo" },
	{ .desc = "O211 xfsck is not fsck", .in = "MD5 /foo xfsck\r\n", .cmd = MOG_MGMT_MD5,
	  .arg = "/foo" },
	{ .desc = "O212 SHA-1 /foo", .in = "SHA-1 /foo\r\n", .cmd = MOG_MGMT_SHA1, .arg = "/foo" },
	{ .desc = "O212 SHA-1 fsck", .in = "SHA-1 /foo fsck\r\n", .cmd = MOG_MGMT_SHA1,
	  .arg = "/foo", .fsck = true },
	{ .desc = "O212 SHA-1 replicate", .in = "SHA-1 /foo replicate\r\n", .cmd = MOG_MGMT_SHA1,
	  .arg = "/foo" },
	{ .desc = "O212 SHA-1 create_close", .in = "SHA-1 /foo create_close\n",
	  .cmd = MOG_MGMT_SHA1, .arg = "/foo" },
	{ .desc = "O213 md5", .in = "md5 /foo\r\n", .cmd = MOG_MGMT_UNKNOWN, .arg = "md5" },
	{ .desc = "O213 SHA-256", .in = "SHA-256 /foo\r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "SHA-256" },
	{ .desc = "O213 Sha-1", .in = "Sha-1 /foo\r\n", .cmd = MOG_MGMT_UNKNOWN, .arg = "Sha-1" },
	{ .desc = "O215 MD5 /foo fsck extra", .in = "MD5 /foo fsck extra\r\n",
	  .cmd = MOG_MGMT_UNKNOWN, .arg = "MD5" },
	{ .desc = "O215 MD5 /foo a-b", .in = "MD5 /foo a-b\r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "MD5" },
	{ .desc = "O215 SHA-1 /foo a-b", .in = "SHA-1 /foo a-b\r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "SHA-1" },
	{ .desc = "O215 two spaces before the reason", .in = "MD5 /foo  fsck\r\n",
	  .cmd = MOG_MGMT_UNKNOWN, .arg = "MD5" },
	{ .desc = "O215 space without a reason", .in = "MD5 /foo \r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "MD5" },
	{ .desc = "O215 bare CR after fsck", .in = "MD5 /foo fsck\rx\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "MD5" },
	{ .desc = "O215 .. with a reason", .in = "MD5 /a/../b fsck\r\n", .cmd = MOG_MGMT_BAD_URI,
	  .arg = "/a/../b" },
	{ .desc = "O215 .. in SHA-1", .in = "SHA-1 /..\n", .cmd = MOG_MGMT_BAD_URI, .arg = "/.." },
	{ .desc = "O222 //x echoed as sent", .in = "size //x\r\n", .cmd = MOG_MGMT_SIZE,
	  .arg = "//x" },
	{ .desc = "O222 MD5 //x echoed as sent", .in = "MD5 //x//\r\n", .cmd = MOG_MGMT_MD5,
	  .arg = "//x//" },
	{ .desc = "P223 WTF", .in = "WTF\r\n", .cmd = MOG_MGMT_UNKNOWN, .arg = "WTF" },
	{ .desc = "P223 server aio_threads = 1", .in = "server aio_threads = 1\r\n",
	  .cmd = MOG_MGMT_AIO_THREADS, .aio_threads = 1 },
	{ .desc = "P223 server aio_threads=6", .in = "server aio_threads=6\r\n",
	  .cmd = MOG_MGMT_AIO_THREADS, .aio_threads = 6 },
	{ .desc = "P224 aio_threads = 0", .in = "server aio_threads = 0\r\n",
	  .cmd = MOG_MGMT_AIO_THREADS },
	{ .desc = "P224 aio_threads = 1000", .in = "server aio_threads = 1000\r\n",
	  .cmd = MOG_MGMT_AIO_THREADS, .aio_threads = 1000 },
	{ .desc = "P225 SERVER AIO_THREADS = 20", .in = "SERVER AIO_THREADS = 20\r\n",
	  .cmd = MOG_MGMT_AIO_THREADS, .aio_threads = 20 },
	{ .desc = "P225 aio_threads = x", .in = "server aio_threads = x\r\n",
	  .cmd = MOG_MGMT_UNKNOWN, .arg = "server" },
	{ .desc = "P225 SERVER token as sent", .in = "SERVER aio_threads = x\r\n",
	  .cmd = MOG_MGMT_UNKNOWN, .arg = "SERVER" },
	{ .desc = "P225 tabs and blanks around =", .in = "server aio_threads\t \t=  \t42 \t\r\n",
	  .cmd = MOG_MGMT_AIO_THREADS, .aio_threads = 42 },
	{ .desc = "P225 LF only", .in = "Server Aio_Threads =7\n", .cmd = MOG_MGMT_AIO_THREADS,
	  .aio_threads = 7 },
	{ .desc = "P225 saturates at ULONG_MAX",
	  .in = "server aio_threads = 123456789012345678901234567890\r\n",
	  .cmd = MOG_MGMT_AIO_THREADS, .aio_threads = ULONG_MAX },
	{ .desc = "P225 no value", .in = "server aio_threads =\r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "server" },
	{ .desc = "P225 no =", .in = "server aio_threads 5\r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "server" },
	{ .desc = "P225 two values", .in = "server aio_threads = 5 6\r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "server" },
	{ .desc = "P225 negative", .in = "server aio_threads = -1\r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "server" },
	{ .desc = "P225 bare server", .in = "server\r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "server" },
	{ .desc = "shutdown", .in = "shutdown\r\n", .cmd = MOG_MGMT_SHUTDOWN },
	{ .desc = "shutdown LF", .in = "shutdown\n", .cmd = MOG_MGMT_SHUTDOWN },
	{ .desc = "shutdown graceful", .in = "shutdown graceful\r\n", .cmd = MOG_MGMT_SHUTDOWN },
	{ .desc = "shutdown   graceful", .in = "shutdown   graceful\n", .cmd = MOG_MGMT_SHUTDOWN },
	{ .desc = "shutdown TAB graceful", .in = "shutdown\tgraceful\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "shutdown" },
	{ .desc = "shutdown graceful now", .in = "shutdown graceful now\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "shutdown" },
	{ .desc = "shutdown with a trailing space", .in = "shutdown \r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "shutdown" },
	{ .desc = "size: two spaces", .in = "size  /foo\r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "size" },
	{ .desc = "size: underscore outside the set", .in = "size /a_b\r\n",
	  .cmd = MOG_MGMT_UNKNOWN, .arg = "size" },
	{ .desc = "size: trailing space", .in = "size /foo \r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "size" },
	{ .desc = "size: no path", .in = "size\r\n", .cmd = MOG_MGMT_UNKNOWN, .arg = "size" },
	{ .desc = "size: root", .in = "size /\r\n", .cmd = MOG_MGMT_SIZE, .arg = "/" },
	{ .desc = "size: every path byte", .in = "size /AZaz09/.-\n", .cmd = MOG_MGMT_SIZE,
	  .arg = "/AZaz09/.-" },
	{ .desc = "size: NUL in the path", .in = "size /a\0b\n", .in_len = 10,
	  .cmd = MOG_MGMT_UNKNOWN, .arg = "size" },
	{ .desc = "bare CR: size /a\\rsize /b", .in = "size /a\rsize /b\r\n",
	  .cmd = MOG_MGMT_UNKNOWN, .arg = "size" },
	{ .desc = "bare CR after watch", .in = "watch\r\r\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "watch" },
	{ .desc = "bare CR in a blank line", .in = " \r \n", .cmd = MOG_MGMT_UNKNOWN, .arg = "" },
	{ .desc = "bare CR before a word", .in = "\rhello\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "hello" },
	{ .desc = "TAB hello", .in = "\thello\r\n", .cmd = MOG_MGMT_UNKNOWN, .arg = "hello" },
	{ .desc = "hello world", .in = "hello world\r\n", .cmd = MOG_MGMT_UNKNOWN, .arg = "hello" },
	{ .desc = "one-byte word, LF", .in = "x\n", .cmd = MOG_MGMT_UNKNOWN, .arg = "x" },
	{ .desc = "high bytes", .in = "\xc3\xa9t\xc3\xa9 x\n", .cmd = MOG_MGMT_UNKNOWN,
	  .arg = "\xc3\xa9t\xc3\xa9" },
	{ .desc = "pipelined: watch then size", .in = "watch\nsize /x\n", .cmd = MOG_MGMT_WATCH,
	  .line_len = 6 },
	{ .desc = "pipelined: MD5 then more", .in = "MD5 /a fsck\r\nMD5 /b\r\n",
	  .cmd = MOG_MGMT_MD5, .arg = "/a", .fsck = true, .line_len = 13 },
	{ .desc = "pipelined: unknown then size", .in = "hi\r\nsize /x\r\n",
	  .cmd = MOG_MGMT_UNKNOWN, .arg = "hi", .line_len = 4 },
};

/* The public results of a parse, for comparing one way of feeding with another. */
static bool same(const struct mog_mgmt_req *a, const struct mog_mgmt_req *b)
{
	return a->cmd == b->cmd && a->line_len == b->line_len && a->path_off == b->path_off &&
	       a->path_len == b->path_len && a->fsck == b->fsck &&
	       a->aio_threads == b->aio_threads && a->token_off == b->token_off &&
	       a->token_len == b->token_len;
}

/* Parse exactly len bytes from a heap copy, so ASan sees any read past len. */
static enum mog_parse parse_copy(struct mog_mgmt_req *req, const char *in, size_t len)
{
	char *buf = malloc(len ? len : 1);
	enum mog_parse rc;

	memcpy(buf, in, len);
	rc = mog_mgmt_parse(req, buf, len);
	free(buf);
	return rc;
}

static void check(const struct want *w)
{
	size_t len = w->in_len ? w->in_len : strlen(w->in);
	size_t line_len = w->line_len ? w->line_len : len;
	struct mog_mgmt_req ref, req;
	size_t cut, bad_cut = 0;
	bool all_ok = true;

	mog_mgmt_req_init(&ref);
	is(parse_copy(&ref, w->in, len), MOG_PARSE_DONE, "%s: DONE", w->desc);
	is(ref.cmd, w->cmd, "%s: command", w->desc);
	is(ref.line_len, line_len, "%s: line_len", w->desc);
	switch (w->cmd) {
	case MOG_MGMT_SIZE:
	case MOG_MGMT_MD5:
	case MOG_MGMT_SHA1:
	case MOG_MGMT_BAD_URI:
		is_mem(w->in + ref.path_off, ref.path_len, w->arg, strlen(w->arg),
		       "%s: path", w->desc);
		break;
	case MOG_MGMT_UNKNOWN:
		is_mem(w->in + ref.token_off, ref.token_len, w->arg, strlen(w->arg),
		       "%s: token", w->desc);
		break;
	default:
		break;
	}
	/* both stay 0 for other commands, whatever the line held */
	is(ref.fsck, w->fsck, "%s: fsck", w->desc);
	ok(ref.aio_threads == w->aio_threads, "%s: aio_threads %lu", w->desc, ref.aio_threads);

	/* a prefix of the line, then the whole input from another buffer */
	for (cut = 0; cut < line_len && all_ok; cut++) {
		mog_mgmt_req_init(&req);
		if (parse_copy(&req, w->in, cut) != MOG_PARSE_AGAIN ||
		    parse_copy(&req, w->in, len) != MOG_PARSE_DONE || !same(&req, &ref)) {
			all_ok = false;
			bad_cut = cut;
		}
	}
	ok(all_ok, "%s: cut at every byte", w->desc);
	if (!all_ok)
		printf("#   first failure at cut %zu\n", bad_cut);

	/* one more byte per call, as N204's slow client sends it */
	mog_mgmt_req_init(&req);
	all_ok = true;
	for (cut = 1; cut < line_len && all_ok; cut++)
		if (parse_copy(&req, w->in, cut) != MOG_PARSE_AGAIN) {
			all_ok = false;
			bad_cut = cut;
		}
	if (all_ok && (parse_copy(&req, w->in, line_len) != MOG_PARSE_DONE || !same(&req, &ref)))
		all_ok = false, bad_cut = line_len;
	ok(all_ok, "%s: byte at a time", w->desc);
	if (!all_ok)
		printf("#   first failure at %zu bytes\n", bad_cut);
}

static void check_limits(void)
{
	char line[MOG_MGMT_LINE_MAX + 64];
	struct mog_mgmt_req req;
	size_t big_len = 400 * 1024, off;
	char *big;

	/* N207: 496 bytes with the terminator is the longest line we must take */
	memset(line, 'a', sizeof(line));
	line[MOG_MGMT_LINE_MAX - 1] = '\n';
	mog_mgmt_req_init(&req);
	is(parse_copy(&req, line, MOG_MGMT_LINE_MAX), MOG_PARSE_DONE, "N207 496-byte LF line");
	is(req.cmd, MOG_MGMT_UNKNOWN, "N207 496-byte LF line: unknown");
	is(req.token_len, MOG_MGMT_LINE_MAX - 1, "N207 496-byte LF line: token");
	is(req.line_len, MOG_MGMT_LINE_MAX, "N207 496-byte LF line: line_len");

	memcpy(line, "size /", 6);
	line[MOG_MGMT_LINE_MAX - 2] = '\r';
	mog_mgmt_req_init(&req);
	is(parse_copy(&req, line, sizeof(line)), MOG_PARSE_DONE, "N207 496-byte CRLF size line");
	is(req.cmd, MOG_MGMT_BAD_URI, "N207 496-byte size line: path too long");
	is(req.line_len, MOG_MGMT_LINE_MAX, "N207 496-byte size line: line_len");

	memset(line, ' ', MOG_MGMT_LINE_MAX - 2);
	mog_mgmt_req_init(&req);
	is(parse_copy(&req, line, MOG_MGMT_LINE_MAX), MOG_PARSE_DONE, "N207 496-byte blank line");
	is(req.cmd, MOG_MGMT_BLANK, "N207 496-byte blank line: blank");

	/* N203: one byte more, or no line end at all, closes the connection */
	memset(line, 'a', sizeof(line));
	line[MOG_MGMT_LINE_MAX] = '\n';
	mog_mgmt_req_init(&req);
	is(parse_copy(&req, line, MOG_MGMT_LINE_MAX + 1), MOG_PARSE_ERROR, "N203 497-byte line");
	mog_mgmt_req_init(&req);
	is(parse_copy(&req, line, MOG_MGMT_LINE_MAX - 1), MOG_PARSE_AGAIN,
	   "N203 495 bytes without LF: wait");
	is(parse_copy(&req, line, MOG_MGMT_LINE_MAX), MOG_PARSE_ERROR,
	   "N203 496 bytes without LF: error");

	big = malloc(big_len);
	memset(big, 'x', big_len);
	big[big_len - 1] = '\n';
	mog_mgmt_req_init(&req);
	is(parse_copy(&req, big, big_len), MOG_PARSE_ERROR, "N203 400 KiB line at once");
	mog_mgmt_req_init(&req);
	for (off = 1000; off < big_len; off += 1000)
		if (parse_copy(&req, big, off) != MOG_PARSE_AGAIN)
			break;
	is(off, 1000, "N203 400 KiB line in pieces: error with the first 1000 bytes");
	mog_mgmt_req_init(&req);
	for (off = 1; off <= big_len; off++)
		if (mog_mgmt_parse(&req, big, off) != MOG_PARSE_AGAIN)
			break;
	is(off, MOG_MGMT_LINE_MAX, "N203 long line byte at a time: error at 496 bytes");
	is(mog_mgmt_parse(&req, big, big_len), MOG_PARSE_ERROR, "N203 error persists");

	/* the limit is per line: a short line before a long one parses */
	memcpy(big, "size /x\r\n", 9);
	mog_mgmt_req_init(&req);
	is(mog_mgmt_parse(&req, big, big_len), MOG_PARSE_DONE, "N203 short line before a long");
	is(req.cmd, MOG_MGMT_SIZE, "N203 short line before a long: size");
	off = req.line_len;
	is(off, 9, "N203 short line before a long: line_len");
	mog_mgmt_req_init(&req);
	is(mog_mgmt_parse(&req, big + off, big_len - off), MOG_PARSE_ERROR,
	   "N203 then the long line errors");
	free(big);
}

/* N202, N206: several lines in one buffer, the last split across reads. */
static void check_pipeline(void)
{
	static const char first[] = "size /a\r\nsize /b\r\nsiz";
	static const char all[] = "size /a\r\nsize /b\r\nsiz" "e /c\r\n";
	static const char *const paths[] = { "/a", "/b", "/c" };
	struct mog_mgmt_req req;
	size_t start = 0, i = 0, len = sizeof(first) - 1;
	enum mog_parse rc;
	char buf[6000];
	int n;

	mog_mgmt_req_init(&req);
	while ((rc = mog_mgmt_parse(&req, all + start, len - start)) == MOG_PARSE_DONE) {
		is(req.cmd, MOG_MGMT_SIZE, "N206 line %zu: size", i);
		is_mem(all + start + req.path_off, req.path_len, paths[i], 2, "N206 line %zu: path",
		       i);
		start += req.line_len;
		i++;
		mog_mgmt_req_init(&req);
	}
	is(rc, MOG_PARSE_AGAIN, "N206 'siz' waits");
	is(i, 2, "N206 two lines from the first read");
	len = sizeof(all) - 1;
	is(mog_mgmt_parse(&req, all + start, len - start), MOG_PARSE_DONE, "N206 third line");
	is_mem(all + start + req.path_off, req.path_len, "/c", 2, "N206 third line: path");
	is(start + req.line_len, len, "N206 all bytes used");

	/* N202: 200 pipelined size requests, answered in order */
	len = 0;
	for (n = 0; n < 200; n++)
		len += sprintf(buf + len, "size /%d.fid\r\n", n);
	start = 0;
	for (n = 0; n < 200; n++) {
		char path[32];

		mog_mgmt_req_init(&req);
		if (mog_mgmt_parse(&req, buf + start, len - start) != MOG_PARSE_DONE ||
		    req.cmd != MOG_MGMT_SIZE)
			break;
		sprintf(path, "/%d.fid", n);
		if (req.path_len != strlen(path) ||
		    memcmp(buf + start + req.path_off, path, req.path_len) != 0)
			break;
		start += req.line_len;
	}
	is(n, 200, "N202 200 pipelined size requests in order");
	is(start, len, "N202 all bytes used");
}

/* N197, deliberately: the length limit is MOG_PATH_MAX, not 37. */
static void check_path_max(void)
{
	char in[MOG_PATH_MAX + 16], path[MOG_PATH_MAX + 2];
	struct want w = { .in = in, .arg = path };

	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[MOG_PATH_MAX] = '\0';
	snprintf(in, sizeof(in), "SHA-1 %s fsck\r\n", path);
	w.desc = "N197 (deliberate) MOG_PATH_MAX-byte path";
	w.cmd = MOG_MGMT_SHA1;
	w.fsck = true;
	check(&w);

	path[MOG_PATH_MAX] = 'a';
	path[MOG_PATH_MAX + 1] = '\0';
	snprintf(in, sizeof(in), "size %s\r\n", path);
	w.desc = "N197 (deliberate) MOG_PATH_MAX+1-byte path";
	w.cmd = MOG_MGMT_BAD_URI;
	w.fsck = false;
	check(&w);
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(&cases[i]);
	check_path_max();
	check_limits();
	check_pipeline();
	return done_testing();
}
