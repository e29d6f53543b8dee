/*
 * iostat_parser_fuzz.c: libFuzzer driver for mog_iostat_feed() (src/dev/iostat_parser.rl).
 *
 * The input is iostat output.  It is fed whole, in two pieces (split point
 * from the first byte), one byte per call and in random pieces; bytes
 * already fed are ASan-poisoned (the parser must have copied what it keeps).
 * Every callback must get a name of 1..71 of [A-Za-z0-9/] and a util of 1..7
 * of [0-9.], report ends only after device lines, and the event sequence
 * must be the same for every pattern and equal to a plain-C reading of
 * doc/protocol.md, watch (ref() below).
 */
#include <config.h>
#include "dev/iostat_parser.h"
#include "fuzz.h"

#define LINE_MAX_LEN 512	/* sizeof(((struct mog_iostat_parser *)0)->line) */

struct log {
	char *s;		/* "L <name> <util>\n" per line, "E\n" per report end */
	size_t len, cap;
	bool in_report;
};

static void put(struct log *l, const char *a, const char *b)
{
	size_t need = strlen(a) + (b ? strlen(b) + 1 : 0) + 2;

	if (l->len + need + 1 > l->cap) {
		l->cap = (l->len + need + 1) * 2;
		l->s = realloc(l->s, l->cap);
		CHECK(l->s != NULL);
	}
	l->len += (size_t)snprintf(l->s + l->len, l->cap - l->len, "%s%s%s\n",
				   a, b ? " " : "", b ? b : "");
}

static bool is_namec(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '/';
}

static bool is_utilc(int c)
{
	return (c >= '0' && c <= '9') || c == '.';
}

static bool is_blank(int c)
{
	return c == ' ' || c == '\t';
}

static void on_line(void *arg, const char *name, const char *util)
{
	struct log *l = arg;
	size_t nl = strlen(name), ul = strlen(util), i;	/* ASan: NUL-terminated */
	char *n2;

	CHECK(nl >= 1 && nl <= 71);
	for (i = 0; i < nl; i++)
		CHECK(is_namec((unsigned char)name[i]));
	CHECK(ul >= 1 && ul <= 7);
	for (i = 0; i < ul; i++)
		CHECK(is_utilc((unsigned char)util[i]));
	n2 = malloc(nl + 3);
	CHECK(n2 != NULL);
	memcpy(n2, "L ", 2);
	memcpy(n2 + 2, name, nl + 1);
	put(l, n2, util);
	free(n2);
	l->in_report = true;
}

static void on_end(void *arg)
{
	struct log *l = arg;

	CHECK(l->in_report);	/* only after one or more device lines */
	l->in_report = false;
	put(l, "E", NULL);
}

/* Does the complete line L[0..ll) (LF last) match?  Fills name and util. */
static bool ref_match(const char *L, size_t ll, char *name, char *util)
{
	size_t i = 0, ns, ne, t, us;

	if (ll > LINE_MAX_LEN)
		return false;
	while (i < ll && is_blank((unsigned char)L[i]))
		i++;
	for (ns = i; i < ll && is_namec((unsigned char)L[i]); i++)
		;
	ne = i;
	if (ne == ns || !is_blank((unsigned char)L[ne]))
		return false;
	for (t = ll - 1; t > 0 && is_blank((unsigned char)L[t - 1]); t--)
		;
	for (us = t; us > 0 && is_utilc((unsigned char)L[us - 1]); us--)
		;
	if (us == t || us == 0 || !is_blank((unsigned char)L[us - 1]) || us - 1 <= ne)
		return false;	/* no util, or not blank+ any blank+ after the name */
	if (ne - ns > 71 || t - us > 7)
		return false;
	memcpy(name, L + ns, ne - ns);
	name[ne - ns] = '\0';
	memcpy(util, L + us, t - us);
	util[t - us] = '\0';
	return true;
}

static void ref(const char *buf, size_t n, struct log *l)
{
	const char *line = buf, *end = buf + n, *nl;
	char name[LINE_MAX_LEN + 3], util[LINE_MAX_LEN];

	while (line < end && (nl = memchr(line, '\n', (size_t)(end - line))) != NULL) {
		if (ref_match(line, (size_t)(nl + 1 - line), name + 2, util)) {
			memcpy(name, "L ", 2);
			put(l, name, util);
			l->in_report = true;
		} else if (l->in_report) {
			put(l, "E", NULL);
			l->in_report = false;
		}
		line = nl + 1;
	}
}

enum { PAT_WHOLE, PAT_SPLIT, PAT_BYTE, PAT_RANDOM, NPAT };

static void feed(const char *buf, size_t n, int pat, uint32_t seed, struct log *l)
{
	struct mog_iostat_cb cb = { on_line, on_end, l };
	size_t pos = 0, pend, cut = fuzz_split((const uint8_t *)buf, n);
	struct mog_iostat_parser p;
	struct fuzz_win w;

	mog_iostat_init(&p);
	win_init(&w, buf, n);
	while (pos < n) {
		switch (pat) {
		case PAT_WHOLE:
			pend = n;
			break;
		case PAT_SPLIT:
			pend = pos == 0 && cut > 0 ? cut : n;
			break;
		case PAT_BYTE:
			pend = pos + 1;
			break;
		default:
			pend = pos + 1 + fuzz_rand(&seed) % 700;
			if (pend > n)
				pend = n;
		}
		win_move(&w, pos, pend);
		mog_iostat_feed(&p, buf + pos, pend - pos, &cb);
		CHECK(p.len <= sizeof(p.line));
		pos = pend;
	}
	win_done(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size);
	struct log want = { 0 }, got[NPAT];
	int i;

	memset(got, 0, sizeof(got));
	ref(buf, size, &want);
	for (i = 0; i < NPAT; i++) {
		feed(buf, size, i, fuzz_seed(data, size), &got[i]);
		if (got[i].len != want.len ||
		    (want.len > 0 && memcmp(got[i].s, want.s, want.len) != 0)) {
			fprintf(stderr, "pattern %d:\n%.*s\nexpected:\n%.*s\n", i,
				(int)got[i].len, got[i].s, (int)want.len, want.s);
			CHECK(!"events differ from the reference");
		}
		free(got[i].s);
	}
	free(want.s);
	free(buf);
	return 0;
}
