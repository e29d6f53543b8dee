/* http_parser.h: the HTTP/1.x request head (Ragel; doc/protocol.md, HTTP). */
#ifndef MOG_HTTP_PARSER_H
#define MOG_HTTP_PARSER_H

#include "../mog.h"

enum mog_http_method {
	MOG_HTTP_NONE = 0,
	MOG_HTTP_GET,
	MOG_HTTP_HEAD,
	MOG_HTTP_PUT,
	MOG_HTTP_DELETE,
	MOG_HTTP_MKCOL
};

/*
 * One request head.  Everything is an offset into the buffer the caller
 * passes, which always starts at the first byte of the request and may move
 * between calls (the parser keeps no pointers).
 */
struct mog_http_req {
	/* parser state: private */
	int cs;
	size_t off;			/* next byte to look at; after DONE: first body byte */
	size_t mark;			/* start of the token being scanned */
	size_t hname_off, hname_len;	/* current header name */
	size_t hval_off;		/* current header value */
	int hdr;			/* which recognised header is being read */
	unsigned conn_tokens;		/* close / keep-alive seen in Connection */

	/* results, valid after MOG_PARSE_DONE */
	enum mog_http_method method;
	unsigned version_minor;		/* 0 for HTTP/1.0, 1 for HTTP/1.1 */
	size_t path_off, path_len;	/* effective path: leading slashes collapsed to one */
	bool persistent;		/* keep-alive decision from version and Connection */
	bool has_content_length;
	off_t content_length;
	bool chunked;			/* Transfer-Encoding: chunked */
	bool chunked_and_length;	/* both were sent: close after the response */
	bool has_content_md5;
	unsigned char content_md5[16];	/* decoded Content-MD5 header */
	bool trailer_md5;		/* a Trailer header names Content-MD5 */
	bool expect_continue;		/* Expect: 100-continue */
	bool has_range;			/* Range: bytes=[first]-[last] */
	bool range_has_first, range_has_last;
	off_t range_first, range_last;
	bool has_content_range;		/* Content-Range: bytes first-last/(*|len) */
	off_t crange_first, crange_last;

	/* after MOG_PARSE_ERROR: 400 (syntax, size limit) or 507 (number overflow) */
	int status;
};

/* Reset req for a new request head.  Any thread, on its own req. */
void mog_http_req_init(struct mog_http_req *req);

/*
 * Parse the head in buf[0..len), resuming at req->off.  buf must hold the
 * same bytes as in previous calls, plus possibly more.  Returns AGAIN while
 * the head is incomplete (and no longer than MOG_HEAD_MAX), DONE with
 * req->off at the first byte after the blank line, or ERROR with req->status
 * set.  Any thread, on its own req.
 */
enum mog_parse mog_http_parse(struct mog_http_req *req, const char *buf, size_t len);

#endif /* MOG_HTTP_PARSER_H */
