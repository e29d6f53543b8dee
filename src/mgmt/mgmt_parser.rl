/* mgmt_parser.rl: one sideband request line → struct mog_mgmt_req (doc/protocol.md, Sideband). */
#include <config.h>
#include <assert.h>
#include <limits.h>
#include <string.h>
#include "../mog.h"
#include "../util/path.h"
#include "mgmt_parser.h"

/*
 * The grammar is "a known command, or any other line": the catch-all is the
 * set of all lines minus the known ones, so exactly one of the two accepts
 * a given line and no priorities are needed.  Both sides run in one DFA, so
 * the actions of either also run on lines the other ends up accepting (the
 * first word is recorded for "size /x" too, fsck for "MD5 /x fsck\rx"):
 * mog_mgmt_parse() clears results that do not belong to the final command.
 */
%%{
	machine mgmt_parser;
	access req->;

	action path_start { req->path_off = fpc - buf; }
	action path_end { req->path_len = fpc - buf - req->path_off; }
	action token_start { req->token_off = fpc - buf; }
	action token_end { req->token_len = fpc - buf - req->token_off; }
	action set_fsck { req->fsck = true; }
	action set_stored { req->stored = true; }
	action aio_digit {
		unsigned long d = fc - '0';

		if (req->aio_threads > (ULONG_MAX - d) / 10)
			req->aio_threads = ULONG_MAX;
		else
			req->aio_threads = req->aio_threads * 10 + d;
	}

	eol = '\r'? '\n';
	blanks = [ \t]*;

	# doc/protocol.md, Sideband paths; ".." and the length are checked in C afterwards
	path = ('/' [A-Za-z0-9/.\-]*) >path_start %path_end;

	# trackers send "fsck"; only that exact word limits concurrency;
	# "stored" asks for the MD5 a PUT recorded, when it still fits the file
	reason = ("fsck" %set_fsck) | ("stored" %set_stored) | ([A-Za-z0-9_]+ - "fsck" - "stored");

	size = "size " path eol @{ req->cmd = MOG_MGMT_SIZE; };
	md5 = "MD5 " path (" " reason)? eol @{ req->cmd = MOG_MGMT_MD5; };
	sha1 = "SHA-1 " path (" " reason)? eol @{ req->cmd = MOG_MGMT_SHA1; };

	# 1.2.1 knows only "watch"; Perl takes any case, and so do we
	watch = /watch/i eol @{ req->cmd = MOG_MGMT_WATCH; };

	shutdown = "shutdown" (" "+ "graceful")? eol @{ req->cmd = MOG_MGMT_SHUTDOWN; };

	# Perlbal's management command, as Perl mogstored accepted it
	aio_threads = /server aio_threads/i blanks '=' blanks
		(digit+ >{ req->aio_threads = 0; } $aio_digit) blanks eol
		@{ req->cmd = MOG_MGMT_AIO_THREADS; };

	blank = blanks eol @{ req->cmd = MOG_MGMT_BLANK; };

	known = size | md5 | sha1 | watch | shutdown | aio_threads | blank;

	# any line; a bare CR is skipped like a blank when looking for the word
	sep = [ \t\r];
	token = [^ \t\r\n]+ >token_start %token_end;
	line = sep* (token (sep [^\n]*)?)? '\n';

	unknown = (line - known) @{ req->cmd = MOG_MGMT_UNKNOWN; };

	# pipelined lines stay in buf for the next call.  Ragel runs the actions
	# of a transition in the order they were embedded, so this outermost
	# fbreak comes after the command's and the first word's actions.
	main := (known | unknown) @{ fbreak; };
}%%

%% write data noerror nofinal noentry;

void mog_mgmt_req_init(struct mog_mgmt_req *req)
{
	memset(req, 0, sizeof(*req));
	%% write init;
}

enum mog_parse mog_mgmt_parse(struct mog_mgmt_req *req, const char *buf, size_t len)
{
	/* bytes past the limit cannot belong to an acceptable line */
	size_t lim = len < MOG_MGMT_LINE_MAX ? len : MOG_MGMT_LINE_MAX;
	const char *p, *pe;

	assert(req->off <= len && "buffer shrank under the parser");
	if (req->cmd != MOG_MGMT_NONE)
		return MOG_PARSE_DONE;	/* called again before mog_mgmt_req_init() */
	p = buf + (req->off < lim ? req->off : lim);
	pe = buf + lim;

	%% write exec;

	req->off = p - buf;	/* an offset: buf may move before the next call */
	assert(req->off <= lim && "parser ran past buffer");
	if (req->cmd == MOG_MGMT_NONE) {
		/* the grammar accepts every line, so only a missing LF gets here */
		return lim == MOG_MGMT_LINE_MAX ? MOG_PARSE_ERROR : MOG_PARSE_AGAIN;
	}
	req->line_len = req->off;
	/* cmogstored says "contains .." for over-long paths too */
	if ((req->cmd == MOG_MGMT_SIZE || req->cmd == MOG_MGMT_MD5 || req->cmd == MOG_MGMT_SHA1) &&
	    (req->path_len > MOG_PATH_MAX || mog_path_has_dotdot(buf + req->path_off, req->path_len)))
		req->cmd = MOG_MGMT_BAD_URI;
	if (req->cmd != MOG_MGMT_MD5 && req->cmd != MOG_MGMT_SHA1)
		req->fsck = false;
	if (req->cmd != MOG_MGMT_MD5)
		req->stored = false;
	if (req->cmd != MOG_MGMT_AIO_THREADS)
		req->aio_threads = 0;
	return MOG_PARSE_DONE;
}
