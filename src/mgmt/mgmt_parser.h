/* mgmt_parser.h: one sideband line (Ragel; doc/protocol.md, Sideband). */
#ifndef MOG_MGMT_PARSER_H
#define MOG_MGMT_PARSER_H

#include "../mog.h"

/* A line longer than this (terminator included) closes the connection. */
#define MOG_MGMT_LINE_MAX 496

enum mog_mgmt_cmd {
	MOG_MGMT_NONE = 0,
	MOG_MGMT_BLANK,		/* empty or blank line: reply "\r\n" */
	MOG_MGMT_SIZE,		/* size <path> */
	MOG_MGMT_MD5,		/* MD5 <path>[ <reason>] */
	MOG_MGMT_SHA1,		/* SHA-1 <path>[ <reason>] */
	MOG_MGMT_WATCH,		/* watch (any case) */
	MOG_MGMT_SHUTDOWN,	/* shutdown[ graceful] */
	MOG_MGMT_AIO_THREADS,	/* server aio_threads = N: reply "\r\n" */
	MOG_MGMT_BAD_URI,	/* path with "..", or >= 38 bytes: ERROR: uri invalid */
	MOG_MGMT_UNKNOWN	/* ERROR: unknown command: <token> */
};

struct mog_mgmt_req {
	/* private */
	int cs;
	size_t off;			/* next byte to look at */
	size_t mark;

	/* results, valid after MOG_PARSE_DONE */
	enum mog_mgmt_cmd cmd;
	size_t line_len;		/* bytes of the line including its terminator */
	size_t path_off, path_len;	/* SIZE, MD5, SHA1, BAD_URI: path as sent */
	bool fsck;			/* MD5/SHA1 reason was exactly "fsck" */
	bool stored;			/* MD5 reason was exactly "stored" */
	unsigned long aio_threads;	/* AIO_THREADS: N (saturated at ULONG_MAX) */
	size_t token_off, token_len;	/* UNKNOWN: first word of the line */
};

/* Reset req for the next line.  Any thread, on its own req. */
void mog_mgmt_req_init(struct mog_mgmt_req *req);

/*
 * Parse one line at the start of buf[0..len), resuming at req->off.  Returns
 * AGAIN if no complete line is there yet, DONE with req filled (the line is
 * req->line_len bytes), or ERROR when MOG_MGMT_LINE_MAX bytes hold no line
 * end (the caller closes).  Any thread, on its own req.
 */
enum mog_parse mog_mgmt_parse(struct mog_mgmt_req *req, const char *buf, size_t len);

#endif /* MOG_MGMT_PARSER_H */
