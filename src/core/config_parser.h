/* config_parser.h: mogstored.conf "key = value" lines (Ragel; doc/evmogstored.8, CONFIGURATION). */
#ifndef MOG_CONFIG_PARSER_H
#define MOG_CONFIG_PARSER_H

#include "../mog.h"

/* Called once per recognised-shape line; key/val are NUL-terminated copies owned by
 * the parser, valid during the call only. */
typedef void (*mog_config_cb)(void *arg, const char *key, const char *val, unsigned lineno);

/*
 * Parse a whole configuration file held in buf[0..len).  For each
 * "key = value" line calls cb(arg, key, value, lineno) (value "" for a bare
 * word such as "daemonize").  Comments, blank lines and malformed lines are
 * skipped (malformed ones are reported with cb(arg, NULL, line, lineno) so
 * the caller can warn).  Returns 0, or -1 if the file is invalid as a whole
 * (a NUL byte).  Any thread.
 */
int mog_config_parse(const char *buf, size_t len, mog_config_cb cb, void *arg);

#endif /* MOG_CONFIG_PARSER_H */
