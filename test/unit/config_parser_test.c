/* config_parser_test.c: mogstored.conf syntax (doc/evmogstored.8, CONFIGURATION). */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/config_parser.h"
#include "tap.h"

/* Every callback appended as "key=val@n;" (bare word "key@n;", malformed "!line@n;"). */
struct trace {
	char buf[4096];
	size_t len;
};

static void on_line(void *arg, const char *key, const char *val, unsigned lineno)
{
	struct trace *t = arg;
	size_t room = sizeof(t->buf) - t->len;
	int n;

	if (key == NULL)
		n = snprintf(t->buf + t->len, room, "!%s@%u;", val, lineno);
	else if (*val == '\0')
		n = snprintf(t->buf + t->len, room, "%s@%u;", key, lineno);
	else
		n = snprintf(t->buf + t->len, room, "%s=%s@%u;", key, val, lineno);
	if (n > 0 && (size_t)n < room)
		t->len += (size_t)n;
}

/* Parse in[0..len) from an exact-size heap copy, so ASan sees any overread. */
static int run(const char *in, size_t len, struct trace *t)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, in, len);
	t->len = 0;
	t->buf[0] = '\0';
	rc = mog_config_parse(copy, len, on_line, t);
	free(copy);
	return rc;
}

/*
 * Check the whole file, then every prefix of it: a prefix that ends just
 * after a newline must report exactly the lines before it, and any cut must
 * be parsed without reading past its end.
 */
static void check(const char *name, const char *in, const char *want)
{
	size_t len = strlen(in), wlen = strlen(want), cut;
	struct trace t, whole;
	int cut_ok = 1;

	is(run(in, len, &whole), 0, "%s: parses", name);
	is_mem(whole.buf, whole.len, want, wlen, "%s: lines reported", name);
	for (cut = 0; cut <= len; cut++) {
		if (run(in, cut, &t) != 0)
			cut_ok = 0;
		if (cut > 0 && in[cut - 1] == '\n') {
			unsigned lines = 0;
			size_t i;

			/* the reports for the lines before the cut are a prefix of the whole */
			for (i = 0; i < cut; i++)
				lines += in[i] == '\n';
			if (t.len > whole.len || memcmp(t.buf, whole.buf, t.len) != 0)
				cut_ok = 0;
			if (t.len > 0 && strstr(t.buf, "@") != NULL) {
				const char *last = strrchr(t.buf, '@');

				if (strtoul(last + 1, NULL, 10) > lines)
					cut_ok = 0;
			}
		}
	}
	ok(cut_ok, "%s: every cut of %zu bytes", name, len);
}

int main(void)
{
	struct trace t;

	/* a file valid for both Perl mogstored and cmogstored */
	check("3.3 example",
	      "# /etc/mogilefs/mogstored.conf\n"
	      "httplisten = 0.0.0.0:7500\n"
	      "mgmtlisten = 0.0.0.0:7501\n"
	      "docroot = /var/mogdata\n"
	      "maxconns = 10000\n",
	      "httplisten=0.0.0.0:7500@2;mgmtlisten=0.0.0.0:7501@3;"
	      "docroot=/var/mogdata@4;maxconns=10000@5;");
	check("A6 no final newline",
	      "mgmtlisten = 127.0.0.1:7501\nmaxconns = 50\ndocroot = /tmp/d",
	      "mgmtlisten=127.0.0.1:7501@1;maxconns=50@2;docroot=/tmp/d@3;");
	check("A7 trailing comment, comment and blank lines",
	      "\n# comment\n   # indented comment\n\t\n"
	      "httplisten = 127.0.0.1:7500 # foo bar\n#last",
	      "httplisten=127.0.0.1:7500@5;");
	check("A7 comment glued to value",
	      "httplisten=127.0.0.1:7500#foo\n", "httplisten=127.0.0.1:7500@1;");
	check("A8 bare daemonize", "daemonize\n", "daemonize@1;");
	check("A8 bare daemonize, blanks and comment",
	      "  daemonize \t# detach\n", "daemonize@1;");
	check("A9 daemonize = 1 and = 0",
	      "daemonize = 1\ndaemonize=0\n", "daemonize=1@1;daemonize=0@2;");
	check("A10 unknown key is reported for the caller to warn",
	      "unknownkey = 5\ndocroot = /d\n", "unknownkey=5@1;docroot=/d@2;");
	check("blanks everywhere",
	      " \t docroot\t=\t/a/b \t \r\n", "docroot=/a/b@1;");
	check("CRLF line ends", "maxconns = 5\r\nserver = none\r\n",
	      "maxconns=5@1;server=none@2;");
	check("no blanks", "pidfile=/run/x.pid\n", "pidfile=/run/x.pid@1;");
	check("value keeps '=' after the first", "a=b=c\n", "a=b=c@1;");
	check("digits and underscore in keys", "io_stat2 = 1\n", "io_stat2=1@1;");
	check("empty file", "", "");
	check("only newlines", "\n\n\n", "");

	/* malformed lines: reported whole, the rest of the file still counts */
	check("upper-case key", "DOCROOT = /d\ndocroot = /e\n", "!DOCROOT = /d@1;docroot=/e@2;");
	check("value with blank", "docroot = /a b\n", "!docroot = /a b@1;");
	check("missing value", "docroot =\nserver = # x\n", "!docroot =@1;!server = # x@2;");
	check("missing key", "= 5\n", "!= 5@1;");
	check("two words", "daemonize 1\n", "!daemonize 1@1;");
	check("key starts with digit", "1key = 5\n", "!1key = 5@1;");
	check("dash in key", "worker-processes = 2\n", "!worker-processes = 2@1;");
	check("malformed last line without newline", "maxconns = 1\nbogus line",
	      "maxconns=1@1;!bogus line@2;");

	/* A12: a NUL anywhere makes the file invalid, before any callback */
	is(run("pidfile = /foo\0bar\n", 19, &t), -1, "A12 NUL in a value");
	is(t.len, 0, "A12 no line reported before the NUL verdict");
	is(run("docroot = /d\n#\0\n", 16, &t), -1, "A12 NUL in a comment");
	is(run("\0", 1, &t), -1, "A12 lone NUL");
	return done_testing();
}
