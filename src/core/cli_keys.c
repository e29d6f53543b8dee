/* cli_keys.c: one setting at a time, from the command line or a mogstored.conf line. */
#include <config.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "xalloc.h"
#include "config_parser.h"
#include "log.h"
#include "cli_int.h"

/* A bad value: fatal on the command line; in the file a warning, and the line is ignored. */
static void __attribute__((format(printf, 2, 3)))
invalid(const struct where *w, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w == NULL)
		mog_die("%s", msg);
	mog_log(LOG_WARNING, "config=%s line %u: %s, line ignored", w->file, w->line, msg);
}

/* "--key" on the command line, "key" in the file: the messages name the setting as given. */
static const char *dashes(const struct where *w)
{
	return w == NULL ? "--" : "";
}

/* Decimal digits only, at most max; false (after invalid()) otherwise. */
bool mog_cli_parse_number(const char *key, const char *val, unsigned long max,
			  unsigned long *out, const struct where *w)
{
	unsigned long n = 0;
	const char *c;

	if (*val == '\0') {
		invalid(w, "failed to parse %s%s= (no number)", dashes(w), key);
		return false;
	}
	for (c = val; *c != '\0'; c++) {
		unsigned digit = (unsigned)(*c - '0');

		if (*c < '0' || *c > '9') {
			invalid(w, "failed to parse %s%s=%s (invalid character: %c)",
				dashes(w), key, val, *c);
			return false;
		}
		if (n > (max - digit) / 10) {
			invalid(w, "failed to parse %s%s=%s (larger than %lu)",
				dashes(w), key, val, max);
			return false;
		}
		n = n * 10 + digit;
	}
	*out = n;
	return true;
}

void mog_cli_addr_free(struct mog_addr *a)
{
	if (a == NULL)
		return;
	free(a->text);
	free(a);
}

static void set_listen(struct mog_addr **slot, const char *key, const char *val,
		       const struct where *w)
{
	struct mog_addr *a = xzalloc(sizeof(*a));

	switch (mog_addr_parse(val, &a->ss, &a->len)) {
	case MOG_ADDR_OK:
		a->text = xstrdup(val);
		mog_cli_addr_free(*slot);
		*slot = a;
		return;
	case MOG_ADDR_SYNTAX:
		free(a);
		invalid(w, "failed to parse %s=%s", key, val);
		return;
	case MOG_ADDR_RESOLVE:
		/* fatal even in the file: the operator named an address we cannot have */
		free(a);
		if (w != NULL)
			mog_die("config=%s line %u: failed to resolve %s=%s: "
				"not a numeric IPv4 or IPv6 address", w->file, w->line, key, val);
		mog_die("failed to resolve %s=%s: not a numeric IPv4 or IPv6 address", key, val);
	}
}

static void set_string(char **slot, const char *key, const char *val, const struct where *w)
{
	if (*val == '\0') {
		invalid(w, "%s%s needs a value", dashes(w), key);
		return;
	}
	free(*slot);
	*slot = xstrdup(val);
}

static void set_server(struct source *s, const char *val)
{
	/* Perl mogstored could spawn apache, lighttpd or nginx; we have only our own server */
	if (strcmp(val, "perlbal") == 0)
		mog_log(LOG_WARNING, "W: using internal HTTP for 'server = perlbal' instead");
	else if (strcmp(val, "none") != 0)
		mog_die("E: 'server = %s' not understood by %s", val, mog_progname);
	free(s->server);
	s->server = xstrdup(val);
}

static void set_fsync(struct source *s, const char *key, const char *val, const struct where *w)
{
	if (strcmp(val, "data") == 0)
		s->fsync = MOG_FSYNC_DATA;
	else if (strcmp(val, "none") == 0)
		s->fsync = MOG_FSYNC_NONE;
	else
		invalid(w, "failed to parse %s%s=%s (expected data or none)", dashes(w), key, val);
}

/* A byte count or rate into *to: digits and an optional K, M or G (powers of 1024). */
static void set_bytes(long long *to, const char *key, const char *val, const struct where *w,
		      const char *what)
{
	unsigned long long n, mult = 1;
	char *end;

	errno = 0;
	n = strtoull(val, &end, 10);
	if (*end == 'K' || *end == 'k')
		mult = 1ull << 10;
	else if (*end == 'M' || *end == 'm')
		mult = 1ull << 20;
	else if (*end == 'G' || *end == 'g')
		mult = 1ull << 30;
	if (mult > 1)
		end++;
	if (errno || end == val || !isdigit((unsigned char)*val) || *end != '\0' ||
	    n > (1ull << 40) / mult)
		invalid(w, "failed to parse %s%s=%s (%s, 0..1T)", dashes(w), key, val, what);
	else
		*to = (long long)(n * mult);
}

/*
 * Perl truth plus the words operators write: 0, false, no, off are off.  An
 * empty value ("daemonize =") never gets here: the parser reports it as a
 * malformed line, which leaves daemonize off as well.
 */
static bool is_false(const char *val)
{
	return strcmp(val, "0") == 0 || strcasecmp(val, "false") == 0 ||
	       strcasecmp(val, "no") == 0 || strcasecmp(val, "off") == 0;
}

static void set_verify(struct source *s, const char *key, const char *val, const struct where *w)
{
	if (is_false(val) || strcmp(val, "1") == 0 || strcasecmp(val, "yes") == 0 ||
	    strcasecmp(val, "true") == 0 || strcasecmp(val, "on") == 0)
		s->verify_reads = !is_false(val);
	else
		invalid(w, "failed to parse %s%s=%s (expected yes or no)", dashes(w), key, val);
}

/* --put-checksums=crc|full (key put-checksums or put_checksums). */
static void set_put_checksums(struct source *s, const char *key, const char *val,
			      const struct where *w)
{
	if (strcmp(val, "crc") == 0 || strcmp(val, "full") == 0)
		s->put_checksums_full = val[0] == 'f';
	else
		invalid(w, "failed to parse %s%s=%s (expected crc or full)", dashes(w), key, val);
}

/* The integrity settings; returns whether key is one of them. */
static bool set_integrity_key(struct source *s, const char *key, const char *val,
			      const struct where *w)
{
	if (strcmp(key, "verify-reads") == 0)
		set_verify(s, key, val, w);
	else if (strcmp(key, "put-checksums") == 0 || strcmp(key, "put_checksums") == 0)
		set_put_checksums(s, key, val, w);
	else if (strcmp(key, "scrub-rate") == 0)
		set_bytes(&s->scrub_rate, key, val, w, "bytes per second");
	else if (strcmp(key, "body-cache") == 0 || strcmp(key, "body_cache") == 0)
		set_bytes(&s->body_cache, key, val, w, "bytes");
	else
		return false;
	return true;
}

/*
 * One setting from either source.  Keys are the configuration-file keys
 * (which are also the long option names); the command line reaches only the
 * ones getopt knows, so an unknown key can only come from the file.
 */
/*
 * --require-mount and --device-id-file, and their configuration keys (which
 * are [a-z0-9_]): bare or "= 1" like daemonize.  Returns whether key is one.
 */
static bool set_flag(struct source *s, const char *key, const char *val)
{
	int on = *val == '\0' || !is_false(val);

	if (strcmp(key, "require-mount") == 0 || strcmp(key, "require_mount") == 0)
		s->require_mount = on;
	else if (strcmp(key, "device-id-file") == 0 || strcmp(key, "device_id_file") == 0)
		s->device_id_file = on;
	else
		return false;
	return true;
}

/*
 * The bounded numeric settings (pool size, timeouts, fencing, processes,
 * loops); returns whether key is one of them.  Main thread.
 */
static bool set_number(struct source *s, const char *key, const char *val, const struct where *w)
{
	unsigned long n;

	if (strcmp(key, "threads") == 0) {
		if (!mog_cli_parse_number(key, val, ULONG_MAX, &n, w))
			return true;
		if (n < 1 || n > MAX_THREADS)
			invalid(w, "failed to parse %s%s=%s (must be 1..%u)", dashes(w), key, val,
				MAX_THREADS);
		else
			s->threads = (unsigned)n;
	} else if (strcmp(key, "slow-timeout") == 0) {
		if (!mog_cli_parse_number(key, val, ULONG_MAX, &n, w))
			return true;
		if (n < 1 || n > MAX_SLOW_TIMEOUT_S)
			invalid(w, "failed to parse %s%s=%s (must be 1..%u)", dashes(w), key, val,
				MAX_SLOW_TIMEOUT_S);
		else
			s->slow_timeout_s = (unsigned)n;
	} else if (strcmp(key, "io-deadline") == 0) {
		if (!mog_cli_parse_number(key, val, ULONG_MAX, &n, w))
			return true;
		if (n > MAX_SLOW_TIMEOUT_S)
			invalid(w, "failed to parse %s%s=%s (must be 0..%u)", dashes(w), key, val,
				MAX_SLOW_TIMEOUT_S);
		else
			s->io_deadline_s = (long)n;
	} else if (strcmp(key, "fence-eio") == 0) {
		if (!mog_cli_parse_number(key, val, ULONG_MAX, &n, w))
			return true;
		if (n > 100)
			invalid(w, "failed to parse %s%s=%s (must be 0..100)", dashes(w), key, val);
		else
			s->fence_pct = (long)n;
	} else if (strcmp(key, "worker-processes") == 0 || strcmp(key, "worker_processes") == 0) {
		if (mog_cli_parse_number(key, val, UINT_MAX, &n, w))
			s->workers = (long)n;
	} else if (strcmp(key, "loops") == 0) {
		if (!mog_cli_parse_number(key, val, ULONG_MAX, &n, w))
			return true;
		if (n < 1 || n > MAX_LOOPS)
			invalid(w, "failed to parse %s%s=%s (must be 1..%u)", dashes(w), key, val,
				MAX_LOOPS);
		else
			s->loops = (long)n;
	} else {
		return false;
	}
	return true;
}

void mog_cli_set_key(struct source *s, const char *key, const char *val, const struct where *w)
{
	unsigned long n;

	if (strcmp(key, "httplisten") == 0) {
		set_listen(&s->http, key, val, w);
	} else if (strcmp(key, "mgmtlisten") == 0) {
		set_listen(&s->mgmt, key, val, w);
	} else if (strcmp(key, "httpgetlisten") == 0 && w != NULL) {
		set_listen(&s->httpget, key, val, w);
	} else if (strcmp(key, "statuslisten") == 0) {
		set_listen(&s->status, key, val, w);
	} else if (strcmp(key, "accesslog") == 0) {
		set_string(&s->accesslog, key, val, w);
	} else if (strcmp(key, "docroot") == 0) {
		set_string(&s->docroot, key, val, w);
	} else if (strcmp(key, "pidfile") == 0) {
		set_string(&s->pidfile, key, val, w);
	} else if (strcmp(key, "maxconns") == 0) {
		if (mog_cli_parse_number(key, val, ULONG_MAX, &n, w))
			s->maxconns = n;
	} else if (strcmp(key, "server") == 0) {
		set_server(s, val);
	} else if (strcmp(key, "serverbin") == 0) {
		mog_log(LOG_WARNING, "W: serverbin = %s ignored", val);
	} else if (strcmp(key, "fsync") == 0) {
		set_fsync(s, key, val, w);
	} else if (set_flag(s, key, val)) {
		/* a flag: done */
	} else if (set_number(s, key, val, w)) {
		/* a bounded number: done */
	} else if (set_integrity_key(s, key, val, w)) {
		/* verify-reads, put-checksums, scrub-rate, body-cache: done */
	} else if (strcmp(key, "daemonize") == 0 && w != NULL) {
		/* bare "daemonize" (cmogstored) arrives as "", "daemonize = 1" as Perl has it */
		s->daemonize = *val == '\0' || !is_false(val);
	} else if (strcmp(key, "iostat") == 0 && w != NULL) {
		if (strcmp(val, "0") == 0 || strcmp(val, "1") == 0)
			s->iostat = val[0] == '1';
		else
			invalid(w, "failed to parse iostat=%s (expected 0 or 1)", val);
	} else {
		assert(w != NULL && "getopt passed an option mog_cli_set_key() does not know");
		mog_log(LOG_WARNING, "config=%s line %u: unknown key `%s' ignored",
			w->file, w->line, key);
	}
}

struct config_ctx {
	const char *file;
	struct source *source;
};

/* The configuration file callback (config_parser.h): key NULL means a malformed line. */
static void on_config_line(void *arg, const char *key, const char *val, unsigned lineno)
{
	struct config_ctx *ctx = arg;
	struct where w = { ctx->file, lineno };

	if (key == NULL)
		mog_log(LOG_WARNING, "config=%s line %u: malformed line ignored: %s",
			ctx->file, lineno, val);
	else
		mog_cli_set_key(ctx->source, key, val, &w);
}

void mog_cli_load_config(const char *path, struct source *s)
{
	size_t len = 0, cap = 4096;
	char *buf = xmalloc(cap);
	struct config_ctx ctx = { path, s };
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		mog_die_errno("failed to open config=%s", path);
	for (;;) {
		if (len == cap) {
			if (cap >= CONFIG_MAX)
				mog_die("failed to load config=%s: larger than %d bytes",
					path, CONFIG_MAX);
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		r = read(fd, buf + len, cap - len);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			mog_die_errno("failed to load config=%s", path);
		}
		len += (size_t)r;
	}
	close(fd);
	if (mog_config_parse(buf, len, on_config_line, &ctx) != 0)
		mog_die("failed to load config=%s: parser error", path);
	free(buf);
}
