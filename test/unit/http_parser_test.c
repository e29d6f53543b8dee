/* http_parser_test.c: request heads, whole, cut at every byte and a byte at a time. */
#include <config.h>
#include <stdlib.h>
#include <string.h>
#include "http/http_parser.h"
#include "tap.h"

/* inputs longer than this are cut at sampled bytes only (cutting is quadratic) */
#define CUT_ALL_MAX 4096

#define GET1 "GET /x HTTP/1.1\r\n"
#define PUT1 "PUT /dev1/x HTTP/1.1\r\n"

static const unsigned char md5_abcde[16] = {
	0xab, 0x56, 0xb4, 0xd9, 0x2b, 0x40, 0x71, 0x3a,
	0xcc, 0x5a, 0xf8, 0x99, 0x85, 0xd4, 0xb7, 0x86
};
static const unsigned char md5_bang[16] = {
	0x90, 0x33, 0xe0, 0xe3, 0x05, 0xf2, 0x47, 0xc0,
	0xc3, 0xc8, 0x0d, 0x0c, 0x78, 0x48, 0xc8, 0xb3
};

/* the results a caller may look at, and where the parser stopped */
static bool same_req(const struct mog_http_req *a, const struct mog_http_req *b)
{
	return a->off == b->off && a->status == b->status && a->method == b->method &&
		a->version_minor == b->version_minor && a->path_off == b->path_off &&
		a->path_len == b->path_len && a->persistent == b->persistent &&
		a->has_content_length == b->has_content_length &&
		a->content_length == b->content_length && a->chunked == b->chunked &&
		a->chunked_and_length == b->chunked_and_length &&
		a->has_content_md5 == b->has_content_md5 &&
		memcmp(a->content_md5, b->content_md5, 16) == 0 &&
		a->trailer_md5 == b->trailer_md5 && a->expect_continue == b->expect_continue &&
		a->has_range == b->has_range && a->range_has_first == b->range_has_first &&
		a->range_has_last == b->range_has_last && a->range_first == b->range_first &&
		a->range_last == b->range_last && a->has_content_range == b->has_content_range &&
		a->crange_first == b->crange_first && a->crange_last == b->crange_last;
}

static char *copy(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);	/* exact size: ASan sees any overread */

	if (p == NULL)
		abort();
	memcpy(p, s, len);
	return p;
}

/*
 * One cut: the first cut bytes in their own buffer, then the whole input in
 * another (the buffer moves).  Returns whether the outcome agrees with ref.
 */
static bool cut_agrees(const char *in, size_t len, size_t cut, const struct mog_http_req *ref,
		       enum mog_parse ref_rc)
{
	struct mog_http_req req;
	enum mog_parse rc;
	char *a = copy(in, cut), *b;
	bool good;

	mog_http_req_init(&req);
	rc = mog_http_parse(&req, a, cut);
	free(a);
	if (rc == MOG_PARSE_AGAIN) {
		if (ref_rc == MOG_PARSE_DONE && cut >= ref->off)
			return false;	/* the whole head was there */
		b = copy(in, len);
		rc = mog_http_parse(&req, b, len);
		free(b);
		return rc == ref_rc && same_req(&req, ref);
	}
	if (rc == MOG_PARSE_DONE)
		good = ref_rc == MOG_PARSE_DONE && cut >= ref->off && same_req(&req, ref);
	else
		good = ref_rc == MOG_PARSE_ERROR && req.status == ref->status;
	return good;
}

/*
 * Parses in whole, then checks that every cut and a byte-at-a-time feed
 * agree with it.  Emits two test points; *out gets the whole-input result.
 */
static enum mog_parse run(const char *desc, const char *in, size_t len, struct mog_http_req *out)
{
	enum mog_parse rc, r = MOG_PARSE_AGAIN;
	struct mog_http_req req;
	size_t cut, bad = 0, nbad = 0, n;
	char *buf = copy(in, len);

	mog_http_req_init(out);
	rc = mog_http_parse(out, buf, len);
	for (cut = 0; cut < len; cut++) {
		if (len > CUT_ALL_MAX && cut % 997 != 0 && cut + 3 < len && cut > 3)
			continue;
		if (!cut_agrees(in, len, cut, out, rc)) {
			if (nbad++ == 0)
				bad = cut;
		}
	}
	if (!ok(nbad == 0, "%s: cut at every byte agrees", desc))
		printf("#   %zu cuts disagree, first at %zu\n", nbad, bad);

	mog_http_req_init(&req);
	for (n = 1; n <= len && r == MOG_PARSE_AGAIN; n++)
		r = mog_http_parse(&req, buf, n);
	if (len == 0)
		r = mog_http_parse(&req, buf, 0);
	ok(r == rc && (rc == MOG_PARSE_ERROR ? req.status == out->status : same_req(&req, out)),
	   "%s: byte at a time agrees", desc);
	free(buf);
	return rc;
}

#define RUN(desc, s, req) run(desc, s, sizeof(s) - 1, req)

static void expect_status(const char *desc, const char *s, int status)
{
	struct mog_http_req req;

	is(run(desc, s, strlen(s), &req), MOG_PARSE_ERROR, "%s: error", desc);
	is(req.status, status, "%s: status %d", desc, status);
}

static void expect_done(const char *desc, const char *s, struct mog_http_req *req)
{
	is(run(desc, s, strlen(s), req), MOG_PARSE_DONE, "%s: done", desc);
	is(req->status, 0, "%s: no status", desc);
}

static void expect_path(const char *desc, const char *s, const char *path)
{
	struct mog_http_req req;

	expect_done(desc, s, &req);
	is_mem(s + req.path_off, req.path_len, path, strlen(path), "%s: path", desc);
}

static void request_line(void)
{
	struct mog_http_req req;
	char buf[512], path[128];
	size_t i;

	expect_done("C36 GET / HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", &req);
	is(req.method, MOG_HTTP_GET, "GET method");
	is(req.version_minor, 1, "HTTP/1.1 minor version");
	ok(req.persistent, "HTTP/1.1 persistent by default");
	is_mem("GET / HTTP/1.1\r\n\r\n" + req.path_off, req.path_len, "/", 1, "path /");
	is(req.off, 18, "off after the blank line");
	ok(!req.has_content_length && !req.chunked && !req.has_range, "no framing, no range");

	expect_done("C36 HEAD / HTTP/1.0", "HEAD / HTTP/1.0\r\n\r\n", &req);
	is(req.method, MOG_HTTP_HEAD, "HEAD method");
	is(req.version_minor, 0, "HTTP/1.0 minor version");
	ok(!req.persistent, "HTTP/1.0 not persistent by default");

	expect_done("PUT", PUT1 "\r\n", &req);
	is(req.method, MOG_HTTP_PUT, "PUT method");
	expect_done("DELETE", "DELETE /dev1/x HTTP/1.1\r\n\r\n", &req);
	is(req.method, MOG_HTTP_DELETE, "DELETE method");
	expect_done("MKCOL", "MKCOL /dev1/x HTTP/1.1\r\n\r\n", &req);
	is(req.method, MOG_HTTP_MKCOL, "MKCOL method");

	expect_path("C37 GET //", "GET // HTTP/1.1\r\n\r\n", "/");
	expect_path("C38 GET //somefile", "GET //somefile HTTP/1.0\r\n\r\n", "/somefile");
	expect_path("C38 HEAD //somefile", "HEAD //somefile HTTP/1.0\r\n\r\n", "/somefile");
	expect_path("////foo", "GET ////foo HTTP/1.0\r\n\r\n", "/foo");
	expect_path("inner empty component kept", "GET /dev1//file HTTP/1.0\r\n\r\n",
		    "/dev1//file");
	expect_path("dot component kept", "GET /./dev1/file HTTP/1.0\r\n\r\n", "/./dev1/file");
	expect_path("trailing slash kept", "GET /dev1/ HTTP/1.0\r\n\r\n", "/dev1/");
	expect_path(".. left to the caller", "GET /a..b HTTP/1.0\r\n\r\n", "/a..b");
	expect_path("all path characters", "GET /AZaz09.-/x HTTP/1.0\r\n\r\n", "/AZaz09.-/x");

	strcpy(buf, "GET ");
	for (i = 0; i < 50; i++)
		strcat(buf, "/");
	strcat(buf, "dev1/file HTTP/1.0\r\n\r\n");
	expect_path("C39 50 leading slashes", buf, "/dev1/file");

	expect_path("C42 37-byte FID path",
		    "GET /dev16777215/0/000/000/0123456789.fid HTTP/1.0\r\n\r\n",
		    "/dev16777215/0/000/000/0123456789.fid");

	/* the limit is MOG_PATH_MAX bytes of effective path */
	path[0] = '/';
	for (i = 1; i < MOG_PATH_MAX; i++)
		path[i] = 'a' + i % 26;
	path[MOG_PATH_MAX] = '\0';
	snprintf(buf, sizeof(buf), "GET %s HTTP/1.0\r\n\r\n", path);
	expect_path("C42 path of MOG_PATH_MAX bytes", buf, path);
	snprintf(buf, sizeof(buf), "GET /%s HTTP/1.0\r\n\r\n", path);
	expect_path("C42 extra leading slash does not count", buf, path);
	snprintf(buf, sizeof(buf), "GET %sx HTTP/1.0\r\n\r\n", path);
	expect_status("C42 path of MOG_PATH_MAX+1 bytes", buf, 400);
	snprintf(buf, sizeof(buf), "GET http://h:1%sx HTTP/1.0\r\n\r\n", path);
	expect_status("C42 long path in absolute URI", buf, 400);

	expect_path("C48 absolute URI", "PUT http://host:7500/dev666/foo HTTP/1.1\r\n\r\n",
		    "/dev666/foo");
	expect_path("C48 absolute URI GET", "GET http://127.0.0.1:7500/dev666/foo HTTP/1.1\r\n\r\n",
		    "/dev666/foo");
	expect_path("absolute URI, scheme in upper case", "GET HTTP://h/x HTTP/1.1\r\n\r\n", "/x");
	expect_path("absolute URI, leading slashes collapse", "GET http://h///x HTTP/1.1\r\n\r\n",
		    "/x");
	expect_path("absolute URI, root", "GET http://h/ HTTP/1.1\r\n\r\n", "/");
	expect_status("C49 absolute URI without path", "GET http://host HTTP/1.0\r\n\r\n", 400);
	expect_status("https URI", "GET https://host/x HTTP/1.0\r\n\r\n", 400);
	expect_status("empty authority", "GET http:///x HTTP/1.0\r\n\r\n", 400);
	expect_status("other scheme", "GET ftp://host/x HTTP/1.0\r\n\r\n", 400);
	expect_status("relative target", "GET dev1/x HTTP/1.0\r\n\r\n", 400);
	expect_status("asterisk target", "GET * HTTP/1.0\r\n\r\n", 400);

	expect_status("C40 query string", "GET /dev1/file?x=1 HTTP/1.0\r\n\r\n", 400);
	expect_status("C41 underscore", "GET /dev1/a_b HTTP/1.0\r\n\r\n", 400);
	expect_status("C41 percent", "GET /dev1/a%20b HTTP/1.0\r\n\r\n", 400);
	expect_status("C41 fragment", "GET /dev1/file#frag HTTP/1.0\r\n\r\n", 400);
	expect_status("tilde", "GET /~x HTTP/1.0\r\n\r\n", 400);
	expect_status("plus", "GET /a+b HTTP/1.0\r\n\r\n", 400);

	expect_status("C43 lower-case get", "get /x HTTP/1.0\r\n\r\n", 400);
	expect_status("C44 OPTIONS", "OPTIONS /x HTTP/1.0\r\n\r\n", 400);
	expect_status("C44 POST", "POST /x HTTP/1.0\r\n\r\n", 400);
	expect_status("C44 MOVE", "MOVE /x HTTP/1.0\r\n\r\n", 400);
	expect_status("C44 PROPFIND", "PROPFIND /x HTTP/1.0\r\n\r\n", 400);
	expect_status("COPY", "COPY /x HTTP/1.0\r\n\r\n", 400);
	expect_status("method prefix GE", "GE /x HTTP/1.0\r\n\r\n", 400);
	expect_status("method GETS", "GETS /x HTTP/1.0\r\n\r\n", 400);
	expect_status("C45 HTTP/2.0", "GET /x HTTP/2.0\r\n\r\n", 400);
	expect_status("C45 no version", "GET /x\r\n\r\n", 400);
	expect_status("HTTP/1.2", "GET /x HTTP/1.2\r\n\r\n", 400);
	expect_status("HTTP/1.10", "GET /x HTTP/1.10\r\n\r\n", 400);
	expect_status("lower-case version", "GET /x http/1.1\r\n\r\n", 400);
	expect_status("two spaces after method", "GET  /x HTTP/1.1\r\n\r\n", 400);
	expect_status("two spaces before version", "GET /x  HTTP/1.1\r\n\r\n", 400);
	expect_status("space at end of request line", "GET /x HTTP/1.1 \r\n\r\n", 400);
	expect_status("tab separator", "GET\t/x HTTP/1.1\r\n\r\n", 400);
	expect_status("leading empty line", "\r\nGET /x HTTP/1.1\r\n\r\n", 400);
	expect_status("C46 bare LFs", "GET /x HTTP/1.1\n\n", 400);
	expect_status("C46 bare LF after header", GET1 "Host: a\n\r\n", 400);
	expect_status("C46 bare LF as blank line", GET1 "Host: a\r\n\n", 400);
	expect_status("C47 sideband command", "size /foo\r\n", 400);
	expect_status("bare CR in request line", "GET /x HTTP/1.1\r\r\n\r\n", 400);
	{
		static const char nul[] = GET1 "X: a\0b\r\n\r\n";
		static const char nulpath[] = "GET /x\0y HTTP/1.1\r\n\r\n";

		is(RUN("NUL in path", nulpath, &req), MOG_PARSE_ERROR, "NUL in path: error");
		is(req.status, 400, "NUL in path: 400");
		is(req.off, 6, "NUL in path: stopped at the NUL");

		is(RUN("NUL in header value", nul, &req), MOG_PARSE_ERROR, "NUL in value: error");
		is(req.status, 400, "NUL in value: 400");
	}
}

static void headers(void)
{
	struct mog_http_req req;

	expect_done("C50 content-length lower case",
		    PUT1 "content-length: 3\r\n\r\nabc", &req);
	ok(req.has_content_length && req.content_length == 3, "lower-case name: length 3");
	is(req.off, 43, "off at first body byte");
	expect_done("C50 no space", PUT1 "Content-length:3\r\n\r\n", &req);
	ok(req.has_content_length && req.content_length == 3, "no space: length 3");
	expect_done("C50 tab, trailing space",
		    PUT1 "Content-Length:\t3 \r\n\r\n", &req);
	ok(req.has_content_length && req.content_length == 3, "tab and trailing space: length 3");
	expect_done("leading zeros", PUT1 "Content-Length: 0005\r\n\r\n", &req);
	is(req.content_length, 5, "leading zeros: 5");
	expect_done("zero length", PUT1 "Content-Length: 0\r\n\r\n", &req);
	ok(req.has_content_length && req.content_length == 0, "zero length");
	expect_done("largest length",
		    PUT1 "Content-Length: 9223372036854775807\r\n\r\n", &req);
	is(req.content_length, INT64_MAX, "2^63-1 accepted");
	expect_done("largest length, zero-padded",
		    PUT1 "Content-Length: 0009223372036854775807\r\n\r\n", &req);
	is(req.content_length, INT64_MAX, "2^63-1 with leading zeros accepted");
	expect_status("length 2^63", PUT1 "Content-Length: 9223372036854775808\r\n\r\n",
		      507);
	expect_status("length 2^96",
		      PUT1 "Content-Length: 79228162514264337593543950336\r\n\r\n",
		      507);
	expect_status("length 10^19", GET1 "Content-Length: 10000000000000000000\r\n\r\n",
		      507);
	expect_status("C51 123a", PUT1 "Content-Length: 123a\r\n\r\n", 400);
	expect_status("C52 -3", PUT1 "Content-Length: -3\r\n\r\n", 400);
	expect_status("+5", PUT1 "Content-Length: +5\r\n\r\n", 400);
	expect_status("5 5", PUT1 "Content-Length: 5 5\r\n\r\n", 400);
	expect_status("empty length", PUT1 "Content-Length:\r\n\r\n", 400);
	expect_status("hex length", PUT1 "Content-Length: 0x5\r\n\r\n", 400);
	expect_status("overflow then junk is syntax",
		      PUT1 "Content-Length: 99999999999999999999x\r\n\r\n", 400);
	expect_done("C53 identical duplicates",
		    PUT1 "Content-Length: 3\r\nContent-Length: 3\r\n\r\n", &req);
	is(req.content_length, 3, "identical duplicates: 3, not 33");
	expect_done("C53 equal duplicates, different spelling",
		    PUT1 "Content-Length: 3\r\ncontent-length: 003\r\n\r\n", &req);
	is(req.content_length, 3, "003 equals 3");
	expect_status("C53 differing duplicates",
		      PUT1 "Content-Length: 3\r\nContent-Length: 4\r\n\r\n", 400);

	expect_status("C54 space before colon", GET1 "X-Foo : 1\r\n\r\n", 400);
	expect_status("tab before colon", GET1 "X-Foo\t: 1\r\n\r\n", 400);
	expect_status("space before colon, Content-Length",
		      "PUT /x HTTP/1.1\r\nContent-Length : 1\r\n\r\n", 400);
	expect_status("line without colon", GET1 "X-Foo\r\n\r\n", 400);
	expect_status("empty name", GET1 ": x\r\n\r\n", 400);
	expect_status("separator in name", GET1 "X(Foo): x\r\n\r\n", 400);
	expect_status("leading space on first header", GET1 " X: x\r\n\r\n", 400);
	expect_status("bare CR in value", GET1 "X: a\rb\r\n\r\n", 400);
	expect_status("control byte in value", GET1 "X: a\001b\r\n\r\n", 400);
	expect_status("DEL in value", GET1 "X: a\177b\r\n\r\n", 400);
	expect_status("unterminated head, bare CR", GET1 "\rX", 400);

	expect_done("C55 underscore and empty value",
		    GET1 "X_Foo: 1\r\nX-Empty:\r\nX-Blank:   \r\n_: x\r\n\r\n", &req);
	expect_done("token characters in names",
		    GET1 "!#$%&'*+-.^_`|~09azAZ: x\r\n\r\n", &req);
	expect_done("obs-text and tabs in values",
		    GET1 "X: caf\xc3\xa9\tok\r\n\r\n", &req);
	expect_done("C63 HTTP/1.1 without Host", GET1 "User-Agent: t\r\n\r\n", &req);

	expect_done("C56 folded Connection on HTTP/1.0",
		    "GET /x HTTP/1.0\r\nConnection:\r\n keep-alive\r\n\r\n", &req);
	ok(req.persistent, "C56 folded keep-alive makes HTTP/1.0 persistent");
	expect_done("folded Connection with tab and text before the fold",
		    "GET /x HTTP/1.0\r\nConnection: TE,\r\n\tkeep-alive\r\n\r\n", &req);
	ok(req.persistent, "fold inside a list: keep-alive found");
	expect_status("C57 continuation without leading blank",
		      "GET /x HTTP/1.0\r\nConnection:\r\nkeep-alive\r\n\r\n", 400);
	expect_done("C58 folded unrecognised header",
		    GET1 "X-Foo: a\r\n b\r\n\tc\r\nX-Bar: d\r\n\r\n", &req);
	expect_done("folded Content-Length",
		    PUT1 "Content-Length:\r\n  42\r\n\r\n", &req);
	is(req.content_length, 42, "folded Content-Length: 42");
	expect_status("fold inside the digits",
		      PUT1 "Content-Length: 4\r\n 2\r\n\r\n", 400);
	expect_done("fold as trailing OWS",
		    PUT1 "Content-Length: 7 \r\n \r\nX: y\r\n\r\n", &req);
	is(req.content_length, 7, "fold and blanks after the value are OWS");
}

static void framing(void)
{
	struct mog_http_req req;

	expect_done("chunked", PUT1 "Transfer-Encoding: chunked\r\n\r\n5", &req);
	ok(req.chunked && !req.chunked_and_length, "chunked");
	is(req.off, 52, "off before the chunked body");
	expect_done("Chunked, OWS", PUT1 "transfer-encoding:  ChUnKeD \r\n\r\n",
		    &req);
	ok(req.chunked, "chunked: case-insensitive, OWS trimmed");
	expect_done("I164 chunked on HTTP/1.0",
		    "PUT /dev1/x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", &req);
	ok(req.chunked && !req.persistent, "chunked HTTP/1.0, not persistent");
	expect_status("C64 gzip", PUT1 "Transfer-Encoding: gzip\r\n\r\n", 400);
	expect_status("gzip, chunked",
		      PUT1 "Transfer-Encoding: gzip, chunked\r\n\r\n", 400);
	expect_status("chunked, gzip",
		      PUT1 "Transfer-Encoding: chunked, gzip\r\n\r\n", 400);
	expect_status("identity", PUT1 "Transfer-Encoding: identity\r\n\r\n", 400);
	expect_status("empty Transfer-Encoding",
		      PUT1 "Transfer-Encoding:\r\n\r\n", 400);
	expect_status("chunkedx", PUT1 "Transfer-Encoding: chunkedx\r\n\r\n", 400);
	expect_status("chunked twice",
		      PUT1 "Transfer-Encoding: chunked\r\n"
		      "Transfer-Encoding: chunked\r\n\r\n", 400);
	expect_done("I165 Content-Length then chunked",
		    PUT1 "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
		    &req);
	ok(req.chunked && req.chunked_and_length, "I165 CL first: chunked_and_length");
	ok(!req.has_content_length, "I165 CL first: Content-Length ignored");
	expect_done("I165 chunked then Content-Length",
		    PUT1 "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
		    &req);
	ok(req.chunked && req.chunked_and_length && !req.has_content_length,
	   "I165 chunked first: chunked_and_length, Content-Length ignored");
	expect_status("chunked with a bad Content-Length",
		      PUT1 "Transfer-Encoding: chunked\r\nContent-Length: x\r\n\r\n",
		      400);

	expect_done("Trailer: Content-MD5",
		    PUT1 "Trailer: Content-MD5\r\n\r\n", &req);
	ok(req.trailer_md5, "Trailer names Content-MD5");
	expect_done("Trailer list", PUT1 "Trailer: Foo , content-md5,Bar\r\n\r\n",
		    &req);
	ok(req.trailer_md5, "Trailer list names content-md5");
	expect_done("Trailer list, blanks after the name",
		    PUT1 "Trailer: Content-MD5 \t, Foo\r\n\r\n", &req);
	ok(req.trailer_md5, "Trailer element trimmed on both sides");
	expect_done("Trailer without MD5", PUT1 "Trailer: Foo, Content-MD5x\r\n\r\n",
		    &req);
	ok(!req.trailer_md5, "Trailer without Content-MD5");
	expect_done("empty Trailer", PUT1 "Trailer:\r\n\r\n", &req);
	ok(!req.trailer_md5, "empty Trailer");

	expect_done("Expect: 100-continue", PUT1 "Expect: 100-continue\r\n\r\n",
		    &req);
	ok(req.expect_continue, "expect_continue set");
	expect_done("expect: 100-Continue", PUT1 "expect:  100-Continue \r\n\r\n",
		    &req);
	ok(req.expect_continue, "Expect is case-insensitive");
	expect_done("other Expect", PUT1 "Expect: 100-continuex\r\n\r\n", &req);
	ok(!req.expect_continue, "other Expect ignored");
}

static void content_md5(void)
{
	struct mog_http_req req;

	expect_done("K177 Content-MD5",
		    PUT1 "Content-MD5: q1a02StAcTrMWviZhdS3hg==\r\n\r\n", &req);
	ok(req.has_content_md5, "K177 has_content_md5");
	is_mem(req.content_md5, 16, md5_abcde, 16, "K177 decoded MD5 of abcde");
	expect_done("K180 lower-case content-md5",
		    PUT1 "content-md5:kDPg4wXyR8DDyA0MeEjIsw==  \r\n\r\n", &req);
	is_mem(req.content_md5, 16, md5_bang, 16, "K181 tracker probe digest decoded");
	expect_done("digest with + and /",
		    PUT1 "Content-MD5: ++++++++++++++++++++//==\r\n\r\n", &req);
	is_mem(req.content_md5, 16,
	       "\xfb\xef\xbe\xfb\xef\xbe\xfb\xef\xbe\xfb\xef\xbe\xfb\xef\xbe\xff", 16,
	       "+ is 62, / is 63");
	expect_status("K179 hex digest",
		      PUT1 "Content-MD5: ab56b4d92b40713acc5af89985d4b786\r\n\r\n",
		      400);
	expect_status("K179 short value", PUT1 "Content-MD5: q1a02St==\r\n\r\n", 400);
	expect_status("K179 unpadded",
		      PUT1 "Content-MD5: q1a02StAcTrMWviZhdS3hg\r\n\r\n", 400);
	expect_status("K179 one pad",
		      PUT1 "Content-MD5: q1a02StAcTrMWviZhdS3hg=\r\n\r\n", 400);
	expect_status("K179 23 digits and =",
		      PUT1 "Content-MD5: q1a02StAcTrMWviZhdS3hgA=\r\n\r\n", 400);
	expect_status("K179 three pads",
		      PUT1 "Content-MD5: q1a02StAcTrMWviZhdS3hg===\r\n\r\n", 400);
	expect_status("K179 bad digit",
		      PUT1 "Content-MD5: q1a02StAcTrMWviZhdS3h-==\r\n\r\n", 400);
	expect_status("K179 inner space",
		      PUT1 "Content-MD5: q1a02StAcTrM WviZhdS3hg==\r\n\r\n", 400);
	expect_status("K179 empty", PUT1 "Content-MD5:\r\n\r\n", 400);
	expect_status("K179 bad Content-MD5 on GET",
		      GET1 "Content-MD5: zzz\r\n\r\n", 400);
	expect_status("K179 bad Content-MD5 on DELETE",
		      "DELETE /x HTTP/1.1\r\nContent-MD5: zzz\r\n\r\n", 400);
}

static void expect_range(const char *id, const char *spec, bool has_first, off_t first,
			 bool has_last, off_t last)
{
	struct mog_http_req req;
	char buf[256], desc[128];

	snprintf(buf, sizeof(buf), GET1 "Range: %s\r\n\r\n", spec);
	snprintf(desc, sizeof(desc), "%s Range: %s", id, spec);
	expect_done(desc, buf, &req);
	ok(req.has_range && req.range_has_first == has_first && req.range_has_last == has_last &&
	   (!has_first || req.range_first == first) && (!has_last || req.range_last == last),
	   "%s: fields", desc);
}

static void range_status(const char *id, const char *spec, int status)
{
	char buf[256], desc[128];

	snprintf(buf, sizeof(buf), GET1 "Range: %s\r\n\r\n", spec);
	snprintf(desc, sizeof(desc), "%s Range: %s", id, spec);
	expect_status(desc, buf, status);
}

static void ranges(void)
{
	struct mog_http_req req;

	/* doc/protocol.md, Range examples; the 206/416/200 decision is the caller's */
	expect_range("G98", "bytes=66-70", true, 66, true, 70);
	expect_range("G99", "bytes=66-", true, 66, false, 0);
	expect_range("G100", "bytes=-66", false, 0, true, 66);
	expect_range("G101", "bytes=0-0", true, 0, true, 0);
	expect_range("G101", "bytes=665-665", true, 665, true, 665);
	expect_range("G101", "bytes=123-123", true, 123, true, 123);
	expect_range("G102", "bytes=666-666", true, 666, true, 666);
	expect_range("G103", "bytes=-667", false, 0, true, 667);
	expect_range("G103", "bytes=-6666", false, 0, true, 6666);
	expect_range("G104", "bytes=-666", false, 0, true, 666);
	expect_range("G105", "bytes=666-", true, 666, false, 0);
	expect_range("G105", "bytes=6666-", true, 6666, false, 0);
	expect_range("G106", "bytes=6666-6666", true, 6666, true, 6666);
	expect_range("G107", "bytes=662-226", true, 662, true, 226);
	expect_range("G109", "bytes=5-6666", true, 5, true, 6666);
	expect_range("G110", "bytes=-0", false, 0, true, 0);
	expect_range("G111", "bytes=-", false, 0, false, 0);
	expect_range("G114", "bytes=0-", true, 0, false, 0);
	expect_range("G114", "bytes=-5", false, 0, true, 5);
	expect_range("unit case-insensitive", "Bytes=1-2", true, 1, true, 2);
	expect_range("", "BYTES=007-008", true, 7, true, 8);
	expect_range("", "bytes=9223372036854775807-9223372036854775807", true, INT64_MAX, true,
		     INT64_MAX);

	range_status("G108", "bytes=-5-5", 400);
	range_status("G108", "bytes=4qasdlkj", 400);
	range_status("G108", "bytes=323", 400);
	range_status("G112", "bytes=0-1,3-4", 400);
	range_status("", "bytes = 0-1", 400);
	range_status("", "bytes =0-1", 400);
	range_status("", "bytes= 0-1", 400);
	range_status("", "bytes=0 -1", 400);
	range_status("", "bytes=0- 1", 400);
	range_status("", "items=0-1", 400);
	range_status("", "bytes", 400);
	range_status("", "bytes=", 400);
	range_status("", "bytes=+1-2", 400);
	range_status("", "bytes=1-2,", 400);
	range_status("", "", 400);
	range_status("", "bytes=9223372036854775808-", 507);
	range_status("", "bytes=0-9223372036854775808", 507);
	range_status("", "bytes=-79228162514264337593543950336", 507);

	expect_status("two Range headers",
		      GET1 "Range: bytes=0-1\r\nRange: bytes=3-4\r\n\r\n", 400);
	expect_done("G113 HEAD with Range", "HEAD /x HTTP/1.1\r\nrange: bytes=66-70\r\n\r\n", &req);
	ok(req.method == MOG_HTTP_HEAD && req.has_range && req.range_first == 66 &&
	   req.range_last == 70, "G113 HEAD range parsed as for GET");
}

static void expect_crange(const char *id, const char *spec, off_t first, off_t last)
{
	struct mog_http_req req;
	char buf[256], desc[128];

	snprintf(buf, sizeof(buf), PUT1 "Content-Length: 1\r\n"
		 "Content-Range: %s\r\n\r\na", spec);
	snprintf(desc, sizeof(desc), "%s Content-Range: %s", id, spec);
	expect_done(desc, buf, &req);
	ok(req.has_content_range && req.crange_first == first && req.crange_last == last,
	   "%s: %lld-%lld", desc, (long long)first, (long long)last);
}

static void crange_status(const char *id, const char *spec, int status)
{
	char buf[256], desc[128];

	snprintf(buf, sizeof(buf), PUT1 "Content-Range: %s\r\n\r\n", spec);
	snprintf(desc, sizeof(desc), "%s Content-Range: %s", id, spec);
	expect_status(desc, buf, status);
}

static void content_ranges(void)
{
	struct mog_http_req req;

	expect_crange("J168", "bytes 5-5/*", 5, 5);
	expect_crange("J170", "bytes 5-1/*", 5, 1);
	expect_crange("J172", "bytes 6-11/*", 6, 11);
	expect_crange("J176", "bytes 0-1/2", 0, 1);
	expect_crange("", "bytes   0-1/666", 0, 1);
	expect_crange("", "bytes 0-0/9223372036854775807", 0, 0);
	expect_crange("", "bytes 9223372036854775806-9223372036854775806/*", INT64_MAX - 1,
		      INT64_MAX - 1);
	expect_done("content-range lower-case name",
		    PUT1 "content-range:bytes 1-1/*\r\n\r\n", &req);
	ok(req.has_content_range && !req.has_content_length,
	   "Content-Range without Content-Length");

	crange_status("J176", "bytes=0-0/*", 400);
	crange_status("J176", "BYTES 0-0/*", 400);
	crange_status("", "Bytes 0-0/*", 400);
	crange_status("", "bytes 0-1/1", 400);
	crange_status("", "bytes 0-1/0", 400);
	crange_status("", "bytes 0-0", 400);
	crange_status("", "bytes 0-0/", 400);
	crange_status("", "bytes -5/*", 400);
	crange_status("", "bytes 5-/*", 400);
	crange_status("", "bytes */5", 400);
	crange_status("", "bytes 0-1/2x", 400);
	crange_status("", "bytes 0-1/*x", 400);
	crange_status("", "bytes 0-1 /*", 400);
	crange_status("", "bytes\t0-1/*", 400);
	crange_status("", "bytes0-1/*", 400);
	crange_status("", "items 0-1/*", 400);
	crange_status("", "", 400);
	crange_status("J171", "bytes 79228162514264337593543950336-79228162514264337593543950337/*",
		      507);
	crange_status("J171", "bytes 0-79228162514264337593543950336/*", 507);
	crange_status("", "bytes 0-1/79228162514264337593543950336", 507);
	expect_status("two Content-Range headers",
		      PUT1 "Content-Range: bytes 0-0/*\r\n"
		      "Content-Range: bytes 0-0/*\r\n\r\n", 400);
}

static void connection(void)
{
	static const struct {
		const char *head;
		bool persistent;
	} t[] = {
		{ GET1 "Connection: close\r\n\r\n", false },
		{ GET1 "Connection: CLOSE\r\n\r\n", false },
		{ "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true },
		{ "GET /x HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n", true },
		{ "GET /x HTTP/1.0\r\nConnection: keep-alive, TE\r\n\r\n", true },
		{ "GET /x HTTP/1.0\r\nConnection: TE, keep-alive\r\n\r\n", true },
		{ GET1 "Connection: close, TE\r\n\r\n", false },
		{ GET1 "Connection: TE , close \r\n\r\n", false },
		{ GET1 "Connection: keep-alive,close\r\n\r\n", false },
		{ GET1 "Connection: close \t, TE\r\n\r\n", false },
		{ "GET /x HTTP/1.0\r\nConnection: ,, keep-alive ,\r\n\r\n", true },
		{ GET1 "Connection: keep-alive\r\nConnection: close\r\n\r\n", false },
		{ "GET /x HTTP/1.0\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n", false },
		{ "GET /x HTTP/1.0\r\nConnection: TE\r\n\r\n", false },
		{ GET1 "Connection: TE\r\n\r\n", true },
		{ GET1 "Connection:\r\n\r\n", true },
		{ "GET /x HTTP/1.0\r\nConnection: keep-alivex\r\n\r\n", false },
		{ GET1 "Connection: closed\r\n\r\n", true },
		{ "GET /x HTTP/1.0\r\nConnection: keep alive\r\n\r\n", false },
		{ "GET /x HTTP/1.0\r\nKeep-Alive: 300\r\n\r\n", false },
	};
	struct mog_http_req req;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char desc[32];

		snprintf(desc, sizeof(desc), "Connection case %zu", i);
		expect_done(desc, t[i].head, &req);
		is(req.persistent, t[i].persistent, "%s: persistent=%d", desc, t[i].persistent);
	}
}

static void pipelining(void)
{
	static const char two[] = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.0\r\nHost: x\r\n\r\n";
	static const char body[] = PUT1 "Content-Length: 5\r\n\r\nabcdeGET";
	struct mog_http_req req;

	is(RUN("pipelined GETs", two, &req), MOG_PARSE_DONE, "first of two pipelined: done");
	is(req.off, 19, "first request ends at its blank line");
	is_mem(two + req.path_off, req.path_len, "/a", 2, "first path");
	{
		/* lengths computed up front: gcc 12 -O2 folds strlen(rest) wrongly later */
		const char *rest = two + req.off;
		size_t rest_len = sizeof(two) - 1 - req.off;

		is(rest_len, 28, "28 bytes left for the second request");
		is(run("second pipelined GET", rest, rest_len, &req), MOG_PARSE_DONE,
		   "second pipelined GET: done");
		is_mem(rest + req.path_off, req.path_len, "/b", 2, "second path");
		is(req.off, rest_len, "second ends at the end");
	}
	is(RUN("head followed by body", body, &req), MOG_PARSE_DONE, "head with body: done");
	is(req.off, sizeof(body) - 1 - 8, "body bytes not consumed");

	/* calling again after DONE changes nothing */
	is(mog_http_parse(&req, body, sizeof(body) - 1), MOG_PARSE_DONE, "DONE is sticky");
	is(req.off, sizeof(body) - 1 - 8, "off unchanged after DONE");
	mog_http_req_init(&req);
	is(mog_http_parse(&req, "", 0), MOG_PARSE_AGAIN, "empty input: AGAIN");
	is(mog_http_parse(&req, GET1 "Host: y", 24), MOG_PARSE_AGAIN,
	   "incomplete head: AGAIN");
	is(req.off, 24, "AGAIN consumed everything");
}

/* a head of exactly len bytes: request line, filler headers, blank line */
static char *make_head(size_t len)
{
	static const char line[] = "GET /dev1/missing HTTP/1.1\r\n";	/* 28 bytes */
	char *h = malloc(len + 1);
	size_t off = sizeof(line) - 1, room;

	if (h == NULL)
		abort();
	memcpy(h, line, off);
	while ((room = len - 2 - off) > 0) {
		/* "X: " + value + CRLF, at most 1000 bytes per line, at least 5 */
		size_t n = room > 1000 ? 1000 : room;

		if (room > 1000 && room - 1000 < 5)
			n = 990;
		memcpy(h + off, "X: ", 3);
		memset(h + off + 3, 'v', n - 5);
		memcpy(h + off + n - 2, "\r\n", 2);
		off += n;
	}
	memcpy(h + off, "\r\n", 2);
	h[len] = '\0';
	return h;
}

static void head_limit(void)
{
	struct mog_http_req req;
	char *h, *big;
	size_t n, lines, i, off;

	h = make_head(MOG_HEAD_MAX);
	is(strlen(h), MOG_HEAD_MAX, "made a 65535-byte head");
	ok(h[MOG_HEAD_MAX - 4] == '\r' && h[MOG_HEAD_MAX - 3] == '\n', "ends with a header line");
	is(run("C59 head of 65535 bytes", h, MOG_HEAD_MAX, &req), MOG_PARSE_DONE,
	   "C59 65535-byte head accepted");
	is(req.off, MOG_HEAD_MAX, "C59 off at the end of the head");
	free(h);

	h = make_head(MOG_HEAD_MAX + 1);
	is(run("C59 head of 65536 bytes", h, MOG_HEAD_MAX + 1, &req), MOG_PARSE_ERROR,
	   "C59 65536-byte head rejected");
	is(req.status, 400, "C59 65536-byte head: 400");
	free(h);

	/* a 65535-byte head followed by a pipelined request still fits */
	h = make_head(MOG_HEAD_MAX);
	big = malloc(MOG_HEAD_MAX + 100);
	memcpy(big, h, MOG_HEAD_MAX);
	memcpy(big + MOG_HEAD_MAX, "GET / HTTP/1.1\r\n\r\n", 18);
	mog_http_req_init(&req);
	is(mog_http_parse(&req, big, MOG_HEAD_MAX + 18), MOG_PARSE_DONE,
	   "65535-byte head with pipelined bytes after it");
	is(req.off, MOG_HEAD_MAX, "pipelined bytes left alone");
	free(h);

	/* byte at a time, the 65536th byte decides */
	h = make_head(MOG_HEAD_MAX + 1);
	mog_http_req_init(&req);
	for (n = 1; n < MOG_HEAD_MAX; n++)
		if (mog_http_parse(&req, h, n) != MOG_PARSE_AGAIN)
			break;
	is(n, MOG_HEAD_MAX, "C59 AGAIN through byte 65534");
	is(mog_http_parse(&req, h, MOG_HEAD_MAX), MOG_PARSE_ERROR,
	   "C59 byte 65535 not ending the head: error");
	is(req.status, 400, "C59 byte at a time: 400");
	free(h);

	/* C60: 27-byte request line and 16-byte header lines, written line by line */
	for (lines = 4094; lines <= 4095; lines++) {
		enum mog_parse rc = MOG_PARSE_AGAIN;

		if ((big = realloc(big, 27 + lines * 16 + 2)) == NULL)
			abort();
		memcpy(big, "GET /dev666/abcd HTTP/1.1\r\n", 27);
		off = 27;
		mog_http_req_init(&req);
		for (i = 0; i < lines && rc == MOG_PARSE_AGAIN; i++) {
			rc = mog_http_parse(&req, big, off);
			memcpy(big + off, "X-Hello: World\r\n", 16);
			off += 16;
		}
		if (rc == MOG_PARSE_AGAIN)
			rc = mog_http_parse(&req, big, off);
		if (rc == MOG_PARSE_AGAIN) {
			memcpy(big + off, "\r\n", 2);
			off += 2;
			rc = mog_http_parse(&req, big, off);
		}
		if (lines == 4094) {
			is(off, 65533, "C60 4094 lines make a 65533-byte head");
			ok(rc == MOG_PARSE_DONE && req.off == off,
			   "C60 4094 X-Hello lines: accepted");
		} else {
			ok(rc == MOG_PARSE_ERROR && req.status == 400,
			   "C60 4095 X-Hello lines: 400");
		}
	}
	free(big);
}

int main(void)
{
	request_line();
	headers();
	framing();
	content_md5();
	ranges();
	content_ranges();
	connection();
	pipelining();
	head_limit();
	ok(sizeof(struct mog_http_req) < 512, "request struct is small (%zu bytes)",
	   sizeof(struct mog_http_req));
	return done_testing();
}
