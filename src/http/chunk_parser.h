/* chunk_parser.h: chunked request bodies and their trailer (Ragel).
 * doc/protocol.md, Chunked bodies. */
#ifndef MOG_CHUNK_PARSER_H
#define MOG_CHUNK_PARSER_H

#include "../mog.h"

/*
 * A streaming parser: it never needs earlier bytes again, so the caller may
 * discard every byte it has fed.  Chunk data is not copied by the parser; it
 * stops in front of data and the caller takes the bytes itself.
 */
struct mog_chunk {
	/* private */
	int cs;
	off_t size;			/* chunk size being accumulated */
	size_t trailer_len;		/* bytes of trailer seen, bounded by MOG_HEAD_MAX */
	char name[16];			/* trailer field name being read (truncated) */
	size_t name_len;
	char val[32];			/* Content-MD5 trailer value being read */
	size_t val_len;
	bool in_md5;			/* current trailer field is Content-MD5 */

	/* results */
	off_t left;			/* data bytes remaining in the current chunk */
	off_t total;			/* entity bytes announced by complete size lines */
	bool has_md5;			/* a valid Content-MD5 trailer was seen */
	unsigned char md5[16];
	int status;			/* after ERROR: 400 (syntax) or 507 (overflow) */
};

enum mog_chunk_next {
	MOG_CHUNK_AGAIN,	/* all input consumed; feed more */
	MOG_CHUNK_DATA,		/* c->left > 0: the next min(left, rest) bytes are data */
	MOG_CHUNK_DONE,		/* the trailer section ended; *used bytes were consumed */
	MOG_CHUNK_ERROR		/* c->status says which */
};

/* Reset c for a new body.  Any thread, on its own c. */
void mog_chunk_init(struct mog_chunk *c);

/*
 * Feed framing bytes buf[0..len).  *used is set to the bytes consumed.  On
 * DATA the caller consumes up to c->left data bytes from buf + *used, then
 * calls mog_chunk_data(c, n) and feeds the rest.  Any thread, on its own c.
 */
enum mog_chunk_next mog_chunk_parse(struct mog_chunk *c, const char *buf, size_t len,
				    size_t *used);

/* Account for n data bytes taken by the caller (n <= c->left).  Any thread, on its own c. */
void mog_chunk_data(struct mog_chunk *c, size_t n);

#endif /* MOG_CHUNK_PARSER_H */
