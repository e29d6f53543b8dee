/* cli.c: command line and configuration file merged into struct mog_opts (OPERATIONS.md 1-5, 7). */
#include <config.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "xalloc.h"
#include "config_parser.h"
#include "daemon.h"
#include "log.h"
#include "../util/addr.h"
#include "cli.h"

#define DEFAULT_DOCROOT "/var/mogdata"
#define DEFAULT_MAXCONNS 10000UL
#define DEFAULT_THREADS 10U
#define MAX_THREADS 100U		/* the reference pool size limit (OPERATIONS.md 11.2) */
#define DEFAULT_SLOW_TIMEOUT_S 60U
#define MAX_SLOW_TIMEOUT_S 86400U
#define DEFAULT_IO_DEADLINE_S 30U
#define CONFIG_MAX (1024 * 1024)	/* far beyond any real mogstored.conf */

/* What one source (the command line, or the configuration file) said; unset is NULL/-1/0. */
struct source {
	char *docroot;
	char *pidfile;
	char *server;
	struct mog_addr *http, *mgmt, *httpget, *status;
	char *accesslog;
	unsigned long maxconns;
	bool daemonize;
	int iostat;			/* -1: not given */
	int fsync;			/* -1: not given, else enum mog_fsync */
	unsigned threads;		/* 0: not given */
	unsigned slow_timeout_s;	/* 0: not given (command line only) */
	long io_deadline_s;		/* -1: not given; 0: off */
	long fence_pct;			/* -1: not given; 0: off */
};

/* Where a value came from: NULL for the command line. */
struct where {
	const char *file;
	unsigned line;
};

enum {
	OPT_HTTPLISTEN = 256, OPT_MGMTLISTEN, OPT_DOCROOT, OPT_MAXCONNS, OPT_PIDFILE,
	OPT_SERVER, OPT_SERVERBIN, OPT_FSYNC, OPT_THREADS, OPT_SLOW_TIMEOUT, OPT_IO_DEADLINE, OPT_FENCE, OPT_STATUSLISTEN, OPT_ACCESSLOG,
	OPT_MULTI, OPT_WORKERS, OPT_IOSTAT, OPT_NOIOSTAT, OPT_HELP
};

static const struct option longopts[] = {
	{ "daemonize", no_argument, NULL, 'd' },
	{ "config", required_argument, NULL, 'c' },
	{ "httplisten", required_argument, NULL, OPT_HTTPLISTEN },
	{ "mgmtlisten", required_argument, NULL, OPT_MGMTLISTEN },
	{ "docroot", required_argument, NULL, OPT_DOCROOT },
	{ "maxconns", required_argument, NULL, OPT_MAXCONNS },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ "server", required_argument, NULL, OPT_SERVER },
	{ "serverbin", required_argument, NULL, OPT_SERVERBIN },
	{ "skipconfig", no_argument, NULL, 's' },
	{ "multi", no_argument, NULL, OPT_MULTI },
	{ "worker-processes", required_argument, NULL, OPT_WORKERS },
	{ "iostat", no_argument, NULL, OPT_IOSTAT },
	{ "noiostat", no_argument, NULL, OPT_NOIOSTAT },
	{ "fsync", required_argument, NULL, OPT_FSYNC },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "slow-timeout", required_argument, NULL, OPT_SLOW_TIMEOUT },
	{ "io-deadline", required_argument, NULL, OPT_IO_DEADLINE },
	{ "fence-eio", required_argument, NULL, OPT_FENCE },
	{ "statuslisten", required_argument, NULL, OPT_STATUSLISTEN },
	{ "accesslog", required_argument, NULL, OPT_ACCESSLOG },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "usage", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};

void mog_cli_usage(FILE *out)
{
	fprintf(out,
"Usage: %s [OPTION]...\n"
"MogileFS storage node: HTTP file server and sideband (management) server.\n"
"\n"
"  -c, --config=FILE         read FILE (mogstored.conf syntax); no default file\n"
"  -d, --daemonize           detach; needs absolute paths and an absolute PATH\n"
"      --httplisten=ADDR     HTTP listener, ADDR is IP:PORT, :PORT, PORT or [IPv6]:PORT\n"
"      --mgmtlisten=ADDR     sideband listener (usage files, iostat and watch need it)\n"
"                            default: HTTP on 0.0.0.0:7500 and sideband on\n"
"                            0.0.0.0:7501, only if no listener is configured at all\n"
"      --statuslisten=ADDR   status listener: GET /metrics (Prometheus), / (HTML\n"
"                            status page), /health; off by default\n"
"      --accesslog=DEST      one line per request to the file DEST, or to syslog\n"
"                            when DEST is \"syslog\"; reopened on SIGHUP; off by default\n"
"      --docroot=DIR         directory holding the devNNN directories\n"
"                            (default " DEFAULT_DOCROOT ")\n"
"      --maxconns=N          file descriptor budget (default %lu)\n"
"      --pidfile=FILE        write the daemon's pid to FILE\n"
"      --server=TYPE         perlbal: warn, use the internal HTTP server;\n"
"                            none: no HTTP listener (sideband only)\n"
"      --serverbin=PATH      accepted and ignored, with a warning (Perl mogstored)\n"
"  -s, --skipconfig          accepted and ignored (Perl mogstored)\n"
"      --iostat, --noiostat  run (default) or do not run the iostat(1) child\n"
"      --fsync=MODE          data (default): sync each PUT before 201; none: never\n"
"      --threads=N           I/O threads per device, 1..%u (default %u)\n"
"      --slow-timeout=SECS   give up on a stalled client after SECS, 1..%u\n"
"                            (default %u)\n"
"      --io-deadline=SECS    a request queued for a device longer than SECS\n"
"                            gets 503 (sideband: an error line); 0: never\n"
"                            (default %u)\n"
"      --fence-eio=PCT       mark a device failing (usage reports it full) when\n"
"                            over PCT%% of its requests in 5 minutes fail with\n"
"                            EIO; 0: never (default 10)\n"
"      --multi               rejected: run one %s per docroot\n"
"      --worker-processes=N  rejected unless 0: one process uses all CPUs\n"
"  -V, --version             print the version and exit\n"
"  -?, --help, --usage       print this help and exit\n",
		mog_progname, DEFAULT_MAXCONNS, MAX_THREADS, DEFAULT_THREADS,
		MAX_SLOW_TIMEOUT_S, DEFAULT_SLOW_TIMEOUT_S, DEFAULT_IO_DEADLINE_S, mog_progname);
}

static noreturn void __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", mog_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	mog_cli_usage(stderr);
	exit(64);	/* EX_USAGE */
}

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

/* "--key" on the command line, "key" in the file, as the messages of OPERATIONS.md 1 want. */
static const char *dashes(const struct where *w)
{
	return w == NULL ? "--" : "";
}

/* Decimal digits only, at most max; false (after invalid()) otherwise. */
static bool parse_number(const char *key, const char *val, unsigned long max,
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

static void addr_free(struct mog_addr *a)
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
		addr_free(*slot);
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

/*
 * One setting from either source.  Keys are the configuration-file keys
 * (which are also the long option names); the command line reaches only the
 * ones getopt knows, so an unknown key can only come from the file.
 */
static void set_key(struct source *s, const char *key, const char *val, const struct where *w)
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
		if (parse_number(key, val, ULONG_MAX, &n, w))
			s->maxconns = n;
	} else if (strcmp(key, "server") == 0) {
		set_server(s, val);
	} else if (strcmp(key, "serverbin") == 0) {
		mog_log(LOG_WARNING, "W: serverbin = %s ignored", val);
	} else if (strcmp(key, "fsync") == 0) {
		set_fsync(s, key, val, w);
	} else if (strcmp(key, "threads") == 0) {
		if (!parse_number(key, val, ULONG_MAX, &n, w))
			return;
		if (n < 1 || n > MAX_THREADS)
			invalid(w, "failed to parse %s%s=%s (must be 1..%u)", dashes(w), key, val,
				MAX_THREADS);
		else
			s->threads = (unsigned)n;
	} else if (strcmp(key, "slow-timeout") == 0) {
		if (!parse_number(key, val, ULONG_MAX, &n, w))
			return;
		if (n < 1 || n > MAX_SLOW_TIMEOUT_S)
			invalid(w, "failed to parse %s%s=%s (must be 1..%u)", dashes(w), key, val,
				MAX_SLOW_TIMEOUT_S);
		else
			s->slow_timeout_s = (unsigned)n;
	} else if (strcmp(key, "io-deadline") == 0) {
		if (!parse_number(key, val, ULONG_MAX, &n, w))
			return;
		if (n > MAX_SLOW_TIMEOUT_S)
			invalid(w, "failed to parse %s%s=%s (must be 0..%u)", dashes(w), key, val,
				MAX_SLOW_TIMEOUT_S);
		else
			s->io_deadline_s = (long)n;
	} else if (strcmp(key, "fence-eio") == 0) {
		if (!parse_number(key, val, ULONG_MAX, &n, w))
			return;
		if (n > 100)
			invalid(w, "failed to parse %s%s=%s (must be 0..100)", dashes(w), key, val);
		else
			s->fence_pct = (long)n;
	} else if (strcmp(key, "daemonize") == 0 && w != NULL) {
		/* bare "daemonize" (cmogstored) arrives as "", "daemonize = 1" as Perl has it */
		s->daemonize = *val == '\0' || !is_false(val);
	} else if (strcmp(key, "iostat") == 0 && w != NULL) {
		if (strcmp(val, "0") == 0 || strcmp(val, "1") == 0)
			s->iostat = val[0] == '1';
		else
			invalid(w, "failed to parse iostat=%s (expected 0 or 1)", val);
	} else {
		assert(w != NULL && "getopt passed an option set_key() does not know");
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
		set_key(ctx->source, key, val, &w);
}

static void load_config(const char *path, struct source *s)
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

/* path made absolute against the current directory, without resolving anything. */
static char *absolute(const char *path)
{
	char *cwd, *abs;
	size_t len;

	if (path[0] == '/')
		return xstrdup(path);
	cwd = getcwd(NULL, 0);
	if (cwd == NULL)
		mog_die_errno("getcwd");
	len = strlen(cwd) + 1 + strlen(path) + 1;
	abs = xmalloc(len);
	snprintf(abs, len, "%s/%s", cwd, path);
	free(cwd);
	return abs;
}

/*
 * The command line and the file name the same path, else fatal
 * (OPERATIONS.md 3.5).  A docroot is compared after realpath(); one that
 * does not exist is compared as an absolute name and reported missing later.
 */
static char *merge_path(const char *key, char *cl, char *file, bool resolve)
{
	char *a, *b;

	if (cl == NULL || file == NULL) {
		return cl != NULL ? cl : file;
	}
	a = resolve ? realpath(cl, NULL) : NULL;
	b = resolve ? realpath(file, NULL) : NULL;
	if (a == NULL)
		a = absolute(cl);
	if (b == NULL)
		b = absolute(file);
	if (strcmp(a, b) != 0)
		mog_die("conflicting path values for %s: `%s' != `%s'", key, cl, file);
	free(a);
	free(b);
	free(file);
	return cl;
}

static struct mog_addr *default_addr(const char *text)
{
	struct mog_addr *a = xzalloc(sizeof(*a));

	if (mog_addr_parse(text, &a->ss, &a->len) != MOG_ADDR_OK)
		abort();	/* our own constant */
	a->text = xstrdup(text);
	return a;
}

static void merge(struct mog_opts *o, struct source *cl, struct source *file)
{
	const char *server = cl->server != NULL ? cl->server : file->server;

	o->docroot = merge_path("docroot", cl->docroot, file->docroot, true);
	if (o->docroot == NULL)
		o->docroot = xstrdup(DEFAULT_DOCROOT);
	o->pidfile = merge_path("pidfile", cl->pidfile, file->pidfile, false);

	/* the command line wins; the file fills in the listeners it did not name */
	o->http = cl->http != NULL ? cl->http : file->http;
	o->mgmt = cl->mgmt != NULL ? cl->mgmt : file->mgmt;
	o->httpget = cl->httpget != NULL ? cl->httpget : file->httpget;
	if (o->http != file->http)
		addr_free(file->http);
	if (o->mgmt != file->mgmt)
		addr_free(file->mgmt);
	if (o->httpget != file->httpget)
		addr_free(file->httpget);
	/* the status listener is ours alone: it does not count for the defaults */
	o->status = cl->status != NULL ? cl->status : file->status;
	if (o->status != file->status)
		addr_free(file->status);
	o->accesslog = cl->accesslog != NULL ? cl->accesslog : file->accesslog;
	if (o->accesslog != file->accesslog)
		free(file->accesslog);
	/* the defaults only when nothing at all is configured (cmogstored, OPERATIONS.md 4) */
	if (o->http == NULL && o->mgmt == NULL && o->httpget == NULL) {
		o->http = default_addr("0.0.0.0:7500");
		o->mgmt = default_addr("0.0.0.0:7501");
	}
	if (server != NULL && strcmp(server, "none") == 0) {
		addr_free(o->http);
		addr_free(o->httpget);
		o->http = o->httpget = NULL;
		if (o->mgmt == NULL)
			mog_die("server = none leaves no listener: configure mgmtlisten");
	}
	free(cl->server);
	free(file->server);

	/* added, as cmogstored does: it only raises a limit */
	if (cl->maxconns > ULONG_MAX - file->maxconns)
		mog_die("maxconns=%lu+%lu is too large", cl->maxconns, file->maxconns);
	o->maxconns = cl->maxconns + file->maxconns;
	if (o->maxconns == 0)
		o->maxconns = DEFAULT_MAXCONNS;
	o->daemonize = cl->daemonize || file->daemonize;
	o->iostat = cl->iostat >= 0 ? cl->iostat : file->iostat >= 0 ? file->iostat : true;
	o->fsync = (enum mog_fsync)(cl->fsync >= 0 ? cl->fsync
				    : file->fsync >= 0 ? file->fsync : MOG_FSYNC_DATA);
	o->threads_per_dev = cl->threads ? cl->threads
			   : file->threads ? file->threads : DEFAULT_THREADS;
	o->slow_timeout_s = cl->slow_timeout_s ? cl->slow_timeout_s : DEFAULT_SLOW_TIMEOUT_S;
	o->io_deadline_s = cl->io_deadline_s >= 0 ? (unsigned)cl->io_deadline_s
			 : file->io_deadline_s >= 0 ? (unsigned)file->io_deadline_s
			 : DEFAULT_IO_DEADLINE_S;
	o->fence_pct = cl->fence_pct >= 0 ? (unsigned)cl->fence_pct
		     : file->fence_pct >= 0 ? (unsigned)file->fence_pct : 10;
}

static void source_init(struct source *s)
{
	memset(s, 0, sizeof(*s));
	s->iostat = -1;
	s->fsync = -1;
	s->io_deadline_s = -1;
	s->fence_pct = -1;
}

void mog_cli_parse(struct mog_opts *o, int argc, char **argv)
{
	struct source cl, file;
	unsigned nconfig = 0;
	unsigned long n = 0;
	bool multi = false;
	int c, idx;

	memset(o, 0, sizeof(*o));
	source_init(&cl);
	source_init(&file);
	opterr = 0;	/* our own messages, then the usage text */
	/* "-?" is not in optstring: getopt reports it as unknown with optopt == '?' */
	while ((c = getopt_long(argc, argv, ":c:dsV", longopts, &idx)) != -1) {
		switch (c) {
		case 'c':
			nconfig++;
			free(o->config);
			o->config = xstrdup(optarg);
			break;
		case 'd':
			cl.daemonize = true;
			break;
		case 's':	/* Perl's --skipconfig: we never read a default file anyway */
			break;
		case 'V':
			printf("%s %s\n", mog_progname, PACKAGE_VERSION);
			exit(0);
		case OPT_HELP:
			mog_cli_usage(stdout);
			exit(0);
		case OPT_MULTI:
			multi = true;
			break;
		case OPT_WORKERS:
			parse_number("worker-processes", optarg, UINT_MAX, &n, NULL);
			/* 0 is the reference default: "no workers", which is what we do */
			if (n > 0)
				mog_die("--worker-processes is not supported: "
					"%s uses all CPUs from one process", mog_progname);
			break;
		case OPT_IOSTAT:
		case OPT_NOIOSTAT:
			cl.iostat = c == OPT_IOSTAT;
			break;
		case ':':
			usage_error("option '%s' requires an argument", argv[optind - 1]);
		case '?':
			if (optopt == '?') {
				mog_cli_usage(stdout);
				exit(0);
			}
			/* a long option ("--version=3" too) is shown whole, a short one alone */
			if (strncmp(argv[optind - 1], "--", 2) == 0 || optopt == 0)
				usage_error("unrecognized option '%s'", argv[optind - 1]);
			usage_error("unrecognized option '-%c'", optopt);
		default:	/* every other long option carries a value for set_key() */
			set_key(&cl, longopts[idx].name, optarg, NULL);
			break;
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (multi)
		mog_die("--multi is not supported: run one %s per docroot", mog_progname);
	if (nconfig > 1)
		mog_die("--multi must be set if using multiple --config/-c switches");
	/* before reading the file, so a relative --config is named as such, not as missing */
	if (cl.daemonize)
		mog_daemon_check(o->config, cl.pidfile, cl.docroot);
	if (o->config != NULL)
		load_config(o->config, &file);
	merge(o, &cl, &file);
	if (o->daemonize)
		mog_daemon_check(o->config, o->pidfile, o->docroot);
}

void mog_cli_destroy(struct mog_opts *o)
{
	addr_free(o->http);
	addr_free(o->mgmt);
	addr_free(o->httpget);
	addr_free(o->status);
	free(o->accesslog);
	free(o->docroot);
	free(o->pidfile);
	free(o->config);
	memset(o, 0, sizeof(*o));
}
