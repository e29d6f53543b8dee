/* http_resp.c: response heads, byte for byte as doc/protocol.md (Responses) shows them. */
#include <config.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "http_date.h"
#include "http_int.h"

const char *mog_http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 416: return "Requested Range Not Satisfiable";
	case 503: return "Service Unavailable";
	case 507: return "Insufficient Storage";
	default: return "Internal Server Error";
	}
}

/* errno -> status, by operation; any errno not listed is a 500 */
static const struct {
	int err;
	short status[4];		/* by enum mog_http_op */
} errno_status[] = {
	/*			  READ DELETE CREATE WRITE */
	{ ENOENT,		{ 404, 404, 404, 500 } },
	{ ENOTDIR,		{ 404, 404, 500, 500 } },	/* "/dev1/file/" */
	{ ENAMETOOLONG,		{ 404, 404, 500, 500 } },
	{ EACCES,		{ 403, 403, 403, 500 } },
	{ EPERM,		{ 403, 403, 403, 500 } },
	{ ELOOP,		{ 403, 403, 403, 500 } },	/* a symlink below the docroot */
	{ EXDEV,		{ 403, 403, 403, 500 } },	/* the path would leave the device */
	{ ENXIO,		{ 403, 500, 500, 500 } },	/* a FIFO without a writer, a socket */
	{ EISDIR,		{ 500, 403, 500, 500 } },	/* directories are never deleted */
	{ ENOSPC,		{ 500, 500, 507, 507 } },
	{ EDQUOT,		{ 500, 500, 507, 507 } },
	{ EFBIG,		{ 500, 500, 507, 507 } },
	{ ENODEV,		{ 404, 503, 507, 507 } },	/* the device is unavailable */
	{ EMFILE,		{ 503, 503, 503, 503 } },	/* out of descriptors (--maxconns) */
	{ ENFILE,		{ 503, 503, 503, 503 } },
};

int mog_http_status_of(struct mog_http *h, enum mog_http_op op, int err)
{
	size_t i;

	h->job.err = err;
	for (i = 0; i < sizeof(errno_status) / sizeof(errno_status[0]); i++)
		if (errno_status[i].err == err)
			return errno_status[i].status[op];
	return 500;
}

static const char *conn_hdr(bool keep)
{
	return keep ? "keep-alive" : "close";
}

size_t mog_http_resp_status(char *buf, size_t cap, int status, bool keep)
{
	const char *reason;
	int n;

	if (status != 100 && (status < 200 || status > 599))
		status = 500;
	reason = mog_http_reason(status);
	n = snprintf(buf, cap,
		     "HTTP/1.1 %d %s\r\nStatus: %d %s\r\nDate: %s\r\nContent-Length: 0\r\n"
		     "Content-Type: text/plain\r\nConnection: %s\r\n\r\n",
		     status, reason, status, reason, mog_http_date_now(), conn_hdr(keep));
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

#define PUT_LIT(p, s) (memcpy((p), (s), sizeof(s) - 1), (p) + sizeof(s) - 1)

/* The decimal digits of v at p; returns the end. */
static char *put_u64(char *p, unsigned long long v)
{
	char tmp[20];
	size_t i = 0;

	do
		tmp[i++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (i > 0)
		*p++ = tmp[--i];
	return p;
}

/* Last-Modified of mtime, formatted once per thread for a run of one mtime. */
static const char *last_modified(time_t mtime)
{
	static __thread time_t cached = -1;
	static __thread char lm[MOG_HTTP_DATE_LEN + 1];

	if (mtime != cached) {
		mog_http_date_fmt(mtime, lm);
		cached = mtime;
	}
	return lm;
}

/* The 200 head of every whole-file GET, built by hand (no stdio per request). */
static size_t resp_200(char *buf, time_t mtime, off_t size, bool keep)
{
	char *p = buf;

	p = PUT_LIT(p, "HTTP/1.1 200 OK\r\nStatus: 200 OK\r\nDate: ");
	memcpy(p, mog_http_date_now(), MOG_HTTP_DATE_LEN);
	p = PUT_LIT(p + MOG_HTTP_DATE_LEN, "\r\nLast-Modified: ");
	memcpy(p, last_modified(mtime), MOG_HTTP_DATE_LEN);
	p = PUT_LIT(p + MOG_HTTP_DATE_LEN, "\r\nContent-Length: ");
	p = put_u64(p, (unsigned long long)size);
	p = PUT_LIT(p, "\r\nContent-Type: application/octet-stream\r\n"
		       "Accept-Ranges: bytes\r\nConnection: ");
	if (keep)
		p = PUT_LIT(p, "keep-alive\r\n\r\n");
	else
		p = PUT_LIT(p, "close\r\n\r\n");
	return (size_t)(p - buf);
}

/* bytes resp_200() writes at most */
#define RESP_200_MAX 256

size_t mog_http_resp_file(char *buf, size_t cap, int status, time_t mtime, off_t first,
			  off_t last, off_t size, bool keep)
{
	char lm[MOG_HTTP_DATE_LEN + 1];
	int n;

	if (status == 200 && cap >= RESP_200_MAX && size >= 0)
		return resp_200(buf, mtime, size, keep);
	mog_http_date_fmt(mtime, lm);
	if (status == 206)
		n = snprintf(buf, cap,
			     "HTTP/1.1 206 Partial Content\r\nStatus: 206 Partial Content\r\n"
			     "Date: %s\r\nLast-Modified: %s\r\nContent-Length: %lld\r\n"
			     "Content-Type: application/octet-stream\r\n"
			     "Content-Range: bytes %lld-%lld/%lld\r\nConnection: %s\r\n\r\n",
			     mog_http_date_now(), lm, (long long)(last - first + 1),
			     (long long)first, (long long)last, (long long)size, conn_hdr(keep));
	else
		n = snprintf(buf, cap,
			     "HTTP/1.1 200 OK\r\nStatus: 200 OK\r\nDate: %s\r\nLast-Modified: %s\r\n"
			     "Content-Length: %lld\r\nContent-Type: application/octet-stream\r\n"
			     "Accept-Ranges: bytes\r\nConnection: %s\r\n\r\n",
			     mog_http_date_now(), lm, (long long)size, conn_hdr(keep));
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

size_t mog_http_resp_416(char *buf, size_t cap, off_t size, bool keep)
{
	int n = snprintf(buf, cap,
			 "HTTP/1.1 416 Requested Range Not Satisfiable\r\n"
			 "Status: 416 Requested Range Not Satisfiable\r\nDate: %s\r\n"
			 "Content-Length: 0\r\nContent-Type: text/plain\r\n"
			 "Content-Range: bytes */%lld\r\nConnection: %s\r\n\r\n",
			 mog_http_date_now(), (long long)size, conn_hdr(keep));

	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
