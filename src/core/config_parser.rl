/* config_parser.rl: mogstored.conf, one "key = value # comment" line at a time (OPERATIONS 3.1). */
#include <config.h>
#include <stdlib.h>
#include <string.h>
#include "xalloc.h"
#include "config_parser.h"

/*
 * The machine runs once per line, so a malformed line costs only itself
 * (cmogstored and our recommendation: ignore it, Perl dies).  Positions are
 * recorded with '$' actions so nothing depends on end-of-input actions.
 * A bare word ("daemonize") is a key without '='; "key =" with nothing
 * after it is malformed, which for daemonize gives the same result as the
 * recommended "empty means off" since daemonize is off unless turned on.
 */
%%{
	machine config_parser;

	blank = [ \t\r\v\f];
	key = ([a-z] [a-z0-9_]*) >{ key_off = p - line; } ${ key_end = p + 1 - line; };
	value = (any - blank - '#')+ >{ val_off = p - line; } ${ val_end = p + 1 - line; };
	comment = '#' any*;
	setting = key (blank* '=' @{ has_eq = true; } blank* value)?;

	main := blank* (setting blank*)? comment?;
}%%

%% write data noerror noentry;

/* Run the machine over line[0..len) (no '\n'); report it through cb. */
static void parse_line(const char *line, size_t len, unsigned lineno, mog_config_cb cb, void *arg)
{
	const char *p = line, *pe = line + len;
	size_t key_off = 0, key_end = 0, val_off = 0, val_end = 0;
	bool has_eq = false;
	char *copy;
	int cs;

	%% write init;
	%% write exec;

	copy = xmalloc(len + 2);	/* key NUL val NUL, or the line NUL */
	if (cs < config_parser_first_final) {
		memcpy(copy, line, len);
		copy[len] = '\0';
		cb(arg, NULL, copy, lineno);
	} else if (key_end > key_off) {
		size_t key_len = key_end - key_off, val_len = val_end - val_off;
		char *val = copy + key_len + 1;

		memcpy(copy, line + key_off, key_len);
		copy[key_len] = '\0';
		if (has_eq)
			memcpy(val, line + val_off, val_len);
		else
			val_len = 0;	/* bare word */
		val[val_len] = '\0';
		cb(arg, copy, val, lineno);
	}
	free(copy);
}

int mog_config_parse(const char *buf, size_t len, mog_config_cb cb, void *arg)
{
	const char *line = buf, *end = buf + len, *nl;
	unsigned lineno = 0;

	/* checked first so that an invalid file has no partial effect */
	if (memchr(buf, '\0', len) != NULL)
		return -1;
	while (line < end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			nl = end;	/* a missing final newline is fine */
		parse_line(line, (size_t)(nl - line), ++lineno, cb, arg);
		line = nl + 1;
	}
	return 0;
}
