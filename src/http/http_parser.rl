/* http_parser.rl: the HTTP/1.x request head → struct mog_http_req (doc/protocol.md, HTTP). */
#include <config.h>
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include "../mog.h"
#include "http_parser.h"

/* req->hdr: the recognised header whose name was just read */
enum {
	HDR_OTHER = 0,
	HDR_CONTENT_LENGTH,
	HDR_TRANSFER_ENCODING,
	HDR_TRAILER,
	HDR_CONTENT_MD5,
	HDR_RANGE,
	HDR_CONTENT_RANGE,
	HDR_CONNECTION,
	HDR_EXPECT
};

/* req->conn_tokens */
#define CONN_CLOSE	1u
#define CONN_KEEPALIVE	2u

static const struct {
	const char *name;
	int hdr;
} known_headers[] = {
	{ "content-length", HDR_CONTENT_LENGTH },
	{ "transfer-encoding", HDR_TRANSFER_ENCODING },
	{ "trailer", HDR_TRAILER },
	{ "content-md5", HDR_CONTENT_MD5 },
	{ "range", HDR_RANGE },
	{ "content-range", HDR_CONTENT_RANGE },
	{ "connection", HDR_CONNECTION },
	{ "expect", HDR_EXPECT },
};

/* ASCII only: header names and tokens must not depend on the locale */
static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool is_ows(int c)
{
	return c == ' ' || c == '\t';
}

static int classify(const char *name, size_t len)
{
	size_t i, j;

	for (i = 0; i < sizeof(known_headers) / sizeof(known_headers[0]); i++) {
		const char *k = known_headers[i].name;

		if (strlen(k) != len)
			continue;
		for (j = 0; j < len && lower(name[j]) == k[j]; j++)
			;
		if (j == len)
			return known_headers[i].hdr;
	}
	return HDR_OTHER;
}

/*
 * A header value with its surrounding OWS trimmed.  It may still contain
 * obs-folds (CRLF 1*(SP/HT)); the grammar guarantees every CR in it starts
 * one.  val_getc() reads a fold as one space.
 */
struct val {
	const char *p, *pe;
};

static void val_init(struct val *v, const char *buf, size_t off, size_t end)
{
	const char *p = buf + off, *pe = buf + end;

	for (;;) {
		if (p < pe && is_ows(*p))
			p++;
		else if (p < pe && *p == '\r')
			p += 2;
		else
			break;
	}
	while (pe > p) {
		if (is_ows(pe[-1]))
			pe--;
		else if (pe[-1] == '\n')
			pe -= 2;
		else
			break;
	}
	v->p = p;
	v->pe = pe;
}

/* the next byte of the value, ' ' for a fold, -1 at its end */
static int val_getc(struct val *v)
{
	if (v->p >= v->pe)
		return -1;
	if (*v->p == '\r') {
		for (v->p += 2; v->p < v->pe && is_ows(*v->p); v->p++)
			;
		return ' ';
	}
	return (unsigned char)*v->p++;
}

/* the whole value equals word (lower case), case-insensitively */
static bool val_is(struct val v, const char *word)
{
	int c;

	while ((c = val_getc(&v)) >= 0)
		if (*word == '\0' || lower(c) != *word++)
			return false;
	return *word == '\0';
}

/*
 * Reads 1*DIGIT starting with *c (the current byte), leaving the byte after
 * them in *c.  Returns the number of digits; *ovf is set past 2^63-1.
 */
static size_t get_num(struct val *v, int *c, off_t *num, bool *ovf)
{
	int64_t x = 0;
	size_t n;

	for (n = 0; *c >= '0' && *c <= '9'; n++, *c = val_getc(v)) {
		int d = *c - '0';

		if (x > (INT64_MAX - d) / 10)
			*ovf = true;
		else
			x = x * 10 + d;
	}
	*num = (off_t)x;
	return n;
}

/*
 * A comma-separated list: bit i of the result is set when some element,
 * trimmed, equals words[i] case-insensitively.  Longer elements never match.
 */
static unsigned list_match(struct val v, const char *const *words, size_t nwords)
{
	unsigned found = 0;
	char elt[16];
	size_t len = 0, end = 0, i;
	int c;

	do {
		c = val_getc(&v);
		if (c == ',' || c < 0) {
			for (i = 0; i < nwords; i++)
				if (end == strlen(words[i]) && end <= sizeof(elt) &&
				    memcmp(elt, words[i], end) == 0)
					found |= 1u << i;
			len = end = 0;
		} else if (len > 0 || !is_ows(c)) {
			if (len < sizeof(elt))
				elt[len] = (char)lower(c);
			len++;
			if (!is_ows(c))
				end = len;
		}
	} while (c >= 0);
	return found;
}

static int b64_digit(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* exactly 22 base64 digits and "==" (doc/protocol.md, Content-MD5) */
static bool md5_decode(struct val v, unsigned char md5[16])
{
	unsigned acc = 0, bits = 0;
	size_t i, n = 0;

	for (i = 0; i < 22; i++) {
		int d = b64_digit(val_getc(&v));

		if (d < 0)
			return false;
		acc = (acc << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			md5[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	assert(n == 16 && "22 base64 digits hold 16 bytes");
	return val_getc(&v) == '=' && val_getc(&v) == '=' && val_getc(&v) < 0;
}

static int content_length(struct mog_http_req *req, struct val v)
{
	int c = val_getc(&v);
	bool ovf = false;
	off_t n;

	if (get_num(&v, &c, &n, &ovf) == 0 || c >= 0)
		return 400;
	if (ovf)
		return 507;
	/* 1.2.1 concatenates repeated values; the same value twice is harmless */
	if (req->has_content_length && req->content_length != n)
		return 400;
	req->has_content_length = true;
	req->content_length = n;
	return 0;
}

/* "bytes=" [first] "-" [last]: the unit in any case, no spaces, one range */
static int range(struct mog_http_req *req, struct val v)
{
	const char *unit = "bytes=";
	bool ovf = false;
	int c;

	for (; *unit != '\0'; unit++)
		if (lower(val_getc(&v)) != *unit)
			return 400;
	if (req->has_range)
		return 400;	/* a second Range header is a second range */
	c = val_getc(&v);
	req->range_has_first = get_num(&v, &c, &req->range_first, &ovf) > 0;
	if (c != '-')
		return 400;
	c = val_getc(&v);
	req->range_has_last = get_num(&v, &c, &req->range_last, &ovf) > 0;
	if (c >= 0)
		return 400;
	if (ovf)
		return 507;
	req->has_range = true;
	return 0;
}

/* "bytes" 1*SP first "-" last "/" ("*" | complete-length): doc/protocol.md, Content-Range */
static int content_range(struct mog_http_req *req, struct val v)
{
	const char *unit = "bytes";
	bool ovf = false, has_len;
	off_t len = 0;
	int c;

	for (; *unit != '\0'; unit++)
		if (val_getc(&v) != *unit)
			return 400;
	if ((c = val_getc(&v)) != ' ' || req->has_content_range)
		return 400;
	while (c == ' ')
		c = val_getc(&v);
	if (get_num(&v, &c, &req->crange_first, &ovf) == 0 || c != '-')
		return 400;
	c = val_getc(&v);
	if (get_num(&v, &c, &req->crange_last, &ovf) == 0 || c != '/')
		return 400;
	c = val_getc(&v);
	if (c == '*') {
		has_len = false;
		c = val_getc(&v);
	} else {
		has_len = get_num(&v, &c, &len, &ovf) > 0;
		if (!has_len)
			return 400;
	}
	if (c >= 0)
		return 400;
	if (ovf)
		return 507;
	if (has_len && len <= req->crange_last)
		return 400;
	req->has_content_range = true;
	return 0;
}

/* a header line ended at buf[end] (its CRLF): interpret recognised values */
static int header_done(struct mog_http_req *req, const char *buf, size_t end)
{
	static const char *const conn_words[] = { "close", "keep-alive" };
	static const char *const md5_word[] = { "content-md5" };
	unsigned char md5[16];
	struct val v;

	val_init(&v, buf, req->hval_off, end);
	switch (req->hdr) {
	case HDR_CONTENT_LENGTH:
		return content_length(req, v);
	case HDR_TRANSFER_ENCODING:
		if (req->chunked || !val_is(v, "chunked"))
			return 400;
		req->chunked = true;
		return 0;
	case HDR_TRAILER:
		if (list_match(v, md5_word, 1))
			req->trailer_md5 = true;
		return 0;
	case HDR_CONTENT_MD5:
		if (!md5_decode(v, md5))
			return 400;
		memcpy(req->content_md5, md5, sizeof(md5));
		req->has_content_md5 = true;
		return 0;
	case HDR_RANGE:
		return range(req, v);
	case HDR_CONTENT_RANGE:
		return content_range(req, v);
	case HDR_CONNECTION:
		req->conn_tokens |= list_match(v, conn_words, 2);
		return 0;
	case HDR_EXPECT:
		if (val_is(v, "100-continue"))
			req->expect_continue = true;
		return 0;
	}
	return 0;
}

%%{
	machine http_parser;
	access req->;

	action path_slash { req->path_off = fpc - buf; }
	action path_end {
		req->path_len = fpc - buf - req->path_off;
		if (req->path_len > MOG_PATH_MAX) {
			req->status = 400;
			fbreak;
		}
	}
	action name_start { req->hname_off = fpc - buf; }
	action name_end {
		req->hname_len = fpc - buf - req->hname_off;
		req->hdr = classify(buf + req->hname_off, req->hname_len);
	}
	action value_start { req->hval_off = fpc - buf + 1; }
	# runs on the first byte of the next line: the value ended at its CRLF
	action header_end {
		int rc = header_done(req, buf, fpc - buf - 2);

		if (rc != 0) {
			req->status = rc;
			fbreak;
		}
	}

	CRLF = "\r\n";

	method = "GET" @{ req->method = MOG_HTTP_GET; }
		| "HEAD" @{ req->method = MOG_HTTP_HEAD; }
		| "PUT" @{ req->method = MOG_HTTP_PUT; }
		| "DELETE" @{ req->method = MOG_HTTP_DELETE; }
		| "MKCOL" @{ req->method = MOG_HTTP_MKCOL; };

	# the effective path starts at the last slash of the leading run
	pchar = [A-Za-z0-9.\-];
	abs_path = ('/' @path_slash)+ (pchar (pchar | '/')*)?;
	authority = (graph - '/')+;
	target = (abs_path | "http"i "://" authority abs_path) %path_end;

	version = "HTTP/1." ('0' @{ req->version_minor = 0; }
		| '1' @{ req->version_minor = 1; });

	request_line = method ' ' target ' ' version CRLF;

	# RFC 7230 token; values: any byte but CTLs (HT allowed), obs-text included
	tchar = alnum | [!#$%&'*+.^_`|~\-];
	vchar = (any - cntrl) | '\t';
	name = tchar+ >name_start %name_end;
	field = name ':' @value_start vchar* CRLF ([ \t] vchar* CRLF)*;

	main := request_line (field %header_end)* CRLF @{ fbreak; };
}%%

%% write data noentry;

void mog_http_req_init(struct mog_http_req *req)
{
	memset(req, 0, sizeof(*req));
	%% write init;
}

/* doc/protocol.md, Connections and Body framing */
static void head_done(struct mog_http_req *req)
{
	req->persistent = req->version_minor == 1;
	if (req->conn_tokens & CONN_CLOSE)
		req->persistent = false;
	else if (req->conn_tokens & CONN_KEEPALIVE)
		req->persistent = true;
	/* RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 means the framing is faulty:
	 * answer this request, then close (a pipelined request is never read) */
	if (req->chunked && req->version_minor == 0)
		req->persistent = false;
	if (req->chunked && req->has_content_length) {
		req->chunked_and_length = true;
		req->has_content_length = false;
		req->content_length = 0;
	}
}

enum mog_parse mog_http_parse(struct mog_http_req *req, const char *buf, size_t len)
{
	/* a head that has not ended within the limit is too long */
	size_t lim = len < MOG_HEAD_MAX ? len : MOG_HEAD_MAX;
	const char *p, *pe;

	assert(req->off <= len && "buffer shrank under the parser");
	if (req->status != 0)
		return MOG_PARSE_ERROR;
	if (req->cs >= http_parser_first_final)
		return MOG_PARSE_DONE;
	p = buf + req->off;
	pe = buf + lim;

	%% write exec;

	req->off = p - buf;	/* an offset: buf may move before the next call */
	assert(req->off <= lim && "parser ran past buffer");
	if (req->status != 0)
		return MOG_PARSE_ERROR;
	if (req->cs == http_parser_error) {
		req->status = 400;
		return MOG_PARSE_ERROR;
	}
	if (req->cs >= http_parser_first_final) {
		head_done(req);
		return MOG_PARSE_DONE;
	}
	if (req->off >= MOG_HEAD_MAX) {
		req->status = 400;
		return MOG_PARSE_ERROR;
	}
	return MOG_PARSE_AGAIN;
}
