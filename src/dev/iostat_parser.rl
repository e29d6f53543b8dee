/* iostat_parser.rl: iostat(1) output → device lines and report ends (doc/protocol.md, watch). */
#include <config.h>
#include <string.h>
#include "../mog.h"
#include "iostat_parser.h"

/* longer fields make the line a non-matching one */
#define NAME_MAX_LEN 71
#define UTIL_MAX_LEN 7

/*
 * Run on one complete line (LF included).  "Any text" may itself hold
 * blanks and numbers, so util_start and util_end fire for every field that
 * could be the last one; when the whole line matches, the last firing wins.
 */
%%{
	machine iostat_parser;

	action name_start { name_off = fpc - line; }
	action name_end { name_len = fpc - line - name_off; }
	action util_start { util_off = fpc - line; }
	action util_end { util_len = fpc - line - util_off; }

	blank = [ \t];
	name = [A-Za-z0-9/]+ >name_start %name_end;
	util = [0-9.]+ >util_start %util_end;

	main := blank* name blank+ [^\n]* blank+ util blank* '\n';
}%%

%% write data noerror noentry;

/* Match one line of len bytes ending in LF; NUL-terminate its two fields in place. */
static bool parse_line(char *line, size_t len, const char **name, const char **util)
{
	size_t name_off = 0, name_len = 0, util_off = 0, util_len = 0;
	const char *p = line, *pe = line + len;
	int cs;

	%% write init;
	%% write exec;

	if (cs < iostat_parser_first_final)
		return false;
	if (name_len == 0 || name_len > NAME_MAX_LEN || util_len == 0 || util_len > UTIL_MAX_LEN)
		return false;
	line[name_off + name_len] = '\0';	/* a blank */
	line[util_off + util_len] = '\0';	/* a blank or the LF */
	*name = line + name_off;
	*util = line + util_off;
	return true;
}

void mog_iostat_init(struct mog_iostat_parser *p)
{
	p->len = 0;
	p->overflow = false;
	p->in_report = false;
}

static void end_line(struct mog_iostat_parser *p, const struct mog_iostat_cb *cb)
{
	const char *name, *util;

	if (!p->overflow && parse_line(p->line, p->len, &name, &util)) {
		cb->line(cb->arg, name, util);
		p->in_report = true;
	} else if (p->in_report) {
		p->in_report = false;
		cb->report_end(cb->arg);
	}
	p->len = 0;
	p->overflow = false;
}

void mog_iostat_feed(struct mog_iostat_parser *p, const char *buf, size_t len,
		     const struct mog_iostat_cb *cb)
{
	const char *end = buf + len;

	while (buf < end) {
		const char *nl = memchr(buf, '\n', end - buf);
		size_t n = (nl != NULL ? nl + 1 : end) - buf;

		/* no device line is this long: drop the rest of it */
		if (!p->overflow && n > sizeof(p->line) - p->len)
			p->overflow = true;
		if (!p->overflow) {
			memcpy(p->line + p->len, buf, n);
			p->len += n;
		}
		buf += n;
		if (nl != NULL)
			end_line(p, cb);
	}
}
