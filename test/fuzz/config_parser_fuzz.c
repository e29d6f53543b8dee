/*
 * config_parser_fuzz.c: libFuzzer driver for mog_config_parse() (src/core/config_parser.rl).
 *
 * The input is a configuration file.  Every callback must get NUL-terminated
 * strings (read with strlen() under ASan) shaped as doc/evmogstored.8 (CONFIGURATION) says,
 * with line numbers that increase, and the whole sequence must equal what a
 * plain-C reading of the grammar (ref() below) expects.  A NUL byte anywhere
 * makes the file invalid with no callback at all.
 */
#include <config.h>
#include "core/config_parser.h"
#include "fuzz.h"

struct event {
	char *key;		/* NULL: malformed line, val is the line */
	char *val;
	unsigned lineno;
};

struct log {
	struct event ev[1024];
	size_t n;
	bool overflow;
};

static char *copy(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	CHECK(p != NULL);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void add(struct log *l, const char *key, size_t klen, const char *val, size_t vlen,
		unsigned lineno)
{
	struct event *e;

	if (l->n == sizeof(l->ev) / sizeof(l->ev[0])) {
		l->overflow = true;
		return;
	}
	e = &l->ev[l->n++];
	e->key = key ? copy(key, klen) : NULL;
	e->val = copy(val, vlen);
	e->lineno = lineno;
}

static bool is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_keyc(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static void cb(void *arg, const char *key, const char *val, unsigned lineno)
{
	struct log *l = arg;
	size_t i, kl = 0, vl;

	CHECK(val != NULL);
	vl = strlen(val);	/* ASan: past the copy if not NUL-terminated */
	CHECK(memchr(val, '\n', vl) == NULL);
	if (key != NULL) {
		kl = strlen(key);
		CHECK(kl >= 1 && key[0] >= 'a' && key[0] <= 'z');
		for (i = 0; i < kl; i++)
			CHECK(is_keyc((unsigned char)key[i]));
		for (i = 0; i < vl; i++)
			CHECK(!is_blank((unsigned char)val[i]) && val[i] != '#');
	}
	CHECK(lineno >= 1);
	CHECK(l->n == 0 || lineno > l->ev[l->n - 1].lineno);
	add(l, key, kl, val, vl, lineno);
}

/* The expected callbacks for one line L[0..n). */
static void ref_line(struct log *l, const char *L, size_t n, unsigned lineno)
{
	size_t i = 0, ks, ke, vs = 0, ve = 0;

	while (i < n && is_blank((unsigned char)L[i]))
		i++;
	if (i == n || L[i] == '#')
		return;	/* blank or comment */
	if (!(L[i] >= 'a' && L[i] <= 'z'))
		goto bad;
	for (ks = i; i < n && is_keyc((unsigned char)L[i]); i++)
		;
	ke = i;
	while (i < n && is_blank((unsigned char)L[i]))
		i++;
	if (i < n && L[i] == '=') {
		for (i++; i < n && is_blank((unsigned char)L[i]); i++)
			;
		for (vs = i; i < n && !is_blank((unsigned char)L[i]) && L[i] != '#'; i++)
			;
		ve = i;
		if (ve == vs)
			goto bad;	/* "key =" */
		while (i < n && is_blank((unsigned char)L[i]))
			i++;
	}
	if (i < n && L[i] != '#')
		goto bad;
	add(l, L + ks, ke - ks, L + vs, ve - vs, lineno);
	return;
bad:
	add(l, NULL, 0, L, n, lineno);
}

static void clear(struct log *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->ev[i].key);
		free(l->ev[i].val);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct log got, want;
	char *buf = fuzz_dup(data, size);
	const char *line = buf, *end = buf + size, *nl;
	unsigned lineno = 0;
	size_t i;
	int rc;

	memset(&got, 0, sizeof(got));
	memset(&want, 0, sizeof(want));
	rc = mog_config_parse(buf, size, cb, &got);
	if (memchr(buf, '\0', size) != NULL) {
		CHECK(rc == -1 && got.n == 0);
	} else {
		CHECK(rc == 0);
		while (line < end) {
			nl = memchr(line, '\n', (size_t)(end - line));
			if (nl == NULL)
				nl = end;
			ref_line(&want, line, (size_t)(nl - line), ++lineno);
			line = nl + 1;
		}
		CHECK(got.overflow == want.overflow);
		CHECK(got.n == want.n);
		for (i = 0; i < got.n; i++) {
			CHECK(got.ev[i].lineno == want.ev[i].lineno);
			CHECK((got.ev[i].key == NULL) == (want.ev[i].key == NULL));
			CHECK(got.ev[i].key == NULL || strcmp(got.ev[i].key, want.ev[i].key) == 0);
			/* a malformed line may hold blanks etc.: compare it as the line text */
			CHECK(strcmp(got.ev[i].val, want.ev[i].val) == 0);
		}
	}
	clear(&got);
	clear(&want);
	free(buf);
	return 0;
}
