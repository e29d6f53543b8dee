/* iostat_parser.h: iostat(1) output split into reports (Ragel; doc/protocol.md, watch). */
#ifndef MOG_IOSTAT_PARSER_H
#define MOG_IOSTAT_PARSER_H

#include "../mog.h"

struct mog_iostat_cb {
	/* one device line: name (1..71 of [A-Za-z0-9/]), util (1..7 of [0-9.]), NUL-terminated */
	void (*line)(void *arg, const char *name, const char *util);
	/* the first non-matching line after matching ones: the report is complete */
	void (*report_end)(void *arg);
	void *arg;
};

struct mog_iostat_parser {
	/* private: the current incomplete line, bounded */
	char line[512];
	size_t len;
	bool overflow;		/* current line is too long to be a device line */
	bool in_report;		/* matching lines seen since the last report end */
};

/* Reset p for a new stream.  Any thread, on its own p. */
void mog_iostat_init(struct mog_iostat_parser *p);

/* Feed bytes in any fragments; calls cb for each complete line.  Any thread, own p. */
void mog_iostat_feed(struct mog_iostat_parser *p, const char *buf, size_t len,
		     const struct mog_iostat_cb *cb);

#endif /* MOG_IOSTAT_PARSER_H */
