/* cli.c: command line and configuration file merged into struct mog_opts (doc/evmogstored.8). */
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
#include "daemon.h"
#include "log.h"
#include "../util/addr.h"
#include "cli_int.h"

enum {
	OPT_HTTPLISTEN = 256, OPT_MGMTLISTEN, OPT_DOCROOT, OPT_MAXCONNS, OPT_PIDFILE,
	OPT_SERVER, OPT_SERVERBIN, OPT_FSYNC, OPT_THREADS, OPT_SLOW_TIMEOUT, OPT_IO_DEADLINE,
	OPT_FENCE, OPT_VERIFY, OPT_PUT_CHECKSUMS, OPT_SCRUB_RATE, OPT_STATUSLISTEN, OPT_ACCESSLOG,
	OPT_MULTI, OPT_WORKERS, OPT_IOSTAT, OPT_NOIOSTAT, OPT_HELP, OPT_REQUIRE_MOUNT,
	OPT_DEVICE_ID_FILE, OPT_LOOPS, OPT_BODY_CACHE
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
	{ "loops", required_argument, NULL, OPT_LOOPS },
	{ "iostat", no_argument, NULL, OPT_IOSTAT },
	{ "noiostat", no_argument, NULL, OPT_NOIOSTAT },
	{ "fsync", required_argument, NULL, OPT_FSYNC },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "slow-timeout", required_argument, NULL, OPT_SLOW_TIMEOUT },
	{ "io-deadline", required_argument, NULL, OPT_IO_DEADLINE },
	{ "fence-eio", required_argument, NULL, OPT_FENCE },
	{ "verify-reads", required_argument, NULL, OPT_VERIFY },
	{ "put-checksums", required_argument, NULL, OPT_PUT_CHECKSUMS },
	{ "scrub-rate", required_argument, NULL, OPT_SCRUB_RATE },
	{ "body-cache", required_argument, NULL, OPT_BODY_CACHE },
	{ "statuslisten", required_argument, NULL, OPT_STATUSLISTEN },
	{ "accesslog", required_argument, NULL, OPT_ACCESSLOG },
	{ "require-mount", no_argument, NULL, OPT_REQUIRE_MOUNT },
	{ "device-id-file", no_argument, NULL, OPT_DEVICE_ID_FILE },
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
"      --require-mount       every devNNN must be a mount point; one that is not\n"
"                            is refused (PUT 507, GET 404) until it is mounted\n"
"                            (one that was a mount point always is)\n"
"      --device-id-file      check each device's .evmogstored-id (devid and\n"
"                            filesystem, written at first use); refuse a mismatch\n"
"      --verify-reads=yes|no check whole-file GETs against the CRC-32Cs stored\n"
"                            by PUT; a mismatch aborts the reply and moves the\n"
"                            file to devNNN/.quarantine/ (default yes)\n"
"      --put-checksums=MODE  crc (default): a whole-file PUT stores its block\n"
"                            CRC-32Cs, and its MD5 only if the client sent\n"
"                            Content-MD5 (the scrubber fills the others in);\n"
"                            full: every such PUT also computes the MD5\n"
"      --scrub-rate=RATE     bytes per second each device's scrubber reads,\n"
"                            with an optional K, M or G suffix (powers of 1024);\n"
"                            0: no scrubbing (default 10M)\n"
"      --body-cache=SIZE     keep up to SIZE bytes (K, M or G suffix) of small\n"
"                            files' verified bodies in memory, so their GETs\n"
"                            need no read and no CRC; per process; 0: off\n"
"                            (default 64M)\n"
"      --multi               allow several --config files: one site each\n"
"      --worker-processes=N  a master and N worker processes (default 0: none)\n"
"      --loops=N             N event-loop threads serve HTTP (1..%u; default: one\n"
"                            per usable CPU, 1 per worker with --worker-processes);\n"
"                            1: the main loop does everything\n"
"  -V, --version             print the version and exit\n"
"  -?, --help, --usage       print this help and exit\n",
		mog_progname, DEFAULT_MAXCONNS, MAX_THREADS, DEFAULT_THREADS,
		MAX_SLOW_TIMEOUT_S, DEFAULT_SLOW_TIMEOUT_S, DEFAULT_IO_DEADLINE_S, MAX_LOOPS);
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
 * (as Perl mogstored).  A docroot is compared after realpath(); one that
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
		mog_cli_addr_free(file->http);
	if (o->mgmt != file->mgmt)
		mog_cli_addr_free(file->mgmt);
	if (o->httpget != file->httpget)
		mog_cli_addr_free(file->httpget);
	/* the status listener is ours alone: it does not count for the defaults */
	o->status = cl->status != NULL ? cl->status : file->status;
	if (o->status != file->status)
		mog_cli_addr_free(file->status);
	o->accesslog = cl->accesslog != NULL ? cl->accesslog : file->accesslog;
	if (o->accesslog != file->accesslog)
		free(file->accesslog);
	/* the defaults only when nothing at all is configured (cmogstored; doc/protocol.md, Listeners) */
	if (o->http == NULL && o->mgmt == NULL && o->httpget == NULL) {
		o->http = default_addr("0.0.0.0:7500");
		o->mgmt = default_addr("0.0.0.0:7501");
	}
	if (server != NULL && strcmp(server, "none") == 0) {
		mog_cli_addr_free(o->http);
		mog_cli_addr_free(o->httpget);
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
	o->workers = (unsigned)(cl->workers >= 0 ? cl->workers : file->workers >= 0 ? file->workers : 0);
	o->loops = (unsigned)(cl->loops >= 0 ? cl->loops : file->loops >= 0 ? file->loops : 0);
	o->fence_pct = cl->fence_pct >= 0 ? (unsigned)cl->fence_pct
		     : file->fence_pct >= 0 ? (unsigned)file->fence_pct : 10;
	o->require_mount = cl->require_mount > 0 || file->require_mount > 0;
	o->device_id_file = cl->device_id_file > 0 || file->device_id_file > 0;
	o->verify_reads = cl->verify_reads >= 0 ? cl->verify_reads
			: file->verify_reads >= 0 ? file->verify_reads : true;
	o->put_md5 = cl->put_checksums_full >= 0 ? cl->put_checksums_full > 0
		   : file->put_checksums_full > 0;
	o->scrub_rate = cl->scrub_rate >= 0 ? (unsigned long long)cl->scrub_rate
		      : file->scrub_rate >= 0 ? (unsigned long long)file->scrub_rate
		      : DEFAULT_SCRUB_RATE;
	o->body_cache = cl->body_cache >= 0 ? (unsigned long long)cl->body_cache
		      : file->body_cache >= 0 ? (unsigned long long)file->body_cache
		      : DEFAULT_BODY_CACHE;
}

static void source_init(struct source *s)
{
	memset(s, 0, sizeof(*s));
	s->iostat = -1;
	s->fsync = -1;
	s->io_deadline_s = -1;
	s->fence_pct = -1;
	s->workers = -1;
	s->loops = -1;
	s->require_mount = -1;
	s->device_id_file = -1;
	s->verify_reads = -1;
	s->put_checksums_full = -1;
	s->scrub_rate = -1;
	s->body_cache = -1;
}

/* The command line's share of one site: its own copies of what merge() consumes. */
static struct source site_source(const struct source *cl)
{
	struct source c = *cl;

	c.server = cl->server ? xstrdup(cl->server) : NULL;
	c.accesslog = cl->accesslog ? xstrdup(cl->accesslog) : NULL;
	c.pidfile = cl->pidfile ? xstrdup(cl->pidfile) : NULL;
	return c;
}

/* One more --multi site from path; dies on what makes it unusable alone. */
static struct mog_opts *load_site(const struct source *cl, const char *path)
{
	struct mog_opts *o = xzalloc(sizeof(*o));
	struct source c = site_source(cl), file;

	if (cl->daemonize)
		mog_daemon_check(path, NULL, NULL);
	source_init(&file);
	mog_cli_load_config(path, &file);
	if (file.docroot == NULL)
		mog_die("no docroot in --config=%s", path);
	if (!file.http && !file.mgmt && !file.httpget)
		mog_die("no listeners in --config=%s", path);
	merge(o, &c, &file);
	o->config = xstrdup(path);
	return o;
}

/* Whether a and b name the same existing file or directory. */
static bool same_path(const char *a, const char *b)
{
	char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
	bool same = ra && rb && strcmp(ra, rb) == 0;

	free(ra);
	free(rb);
	return same;
}

/* --multi with several files: one site each, chained on o->next (doc: --multi). */
static void parse_sites(struct mog_opts *o, struct source *cl, char **configs, unsigned n)
{
	const char *pidfile = NULL;
	struct mog_opts *site, **tail = &o->next;
	unsigned i, j;

	if (cl->docroot || cl->http || cl->mgmt || cl->status)
		mog_die("--%s may not be used with multiple --config files",
			cl->docroot ? "docroot" : cl->http ? "httplisten"
			: cl->mgmt ? "mgmtlisten" : "statuslisten");
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(configs[i], configs[j]) == 0 || same_path(configs[i], configs[j]))
				mog_die("invalid (or duplicate) config=%s", configs[i]);
	site = load_site(cl, configs[0]);
	*o = *site;
	free(site);
	o->next = NULL;
	for (i = 1; i < n; i++, tail = &(*tail)->next)
		*tail = load_site(cl, configs[i]);
	for (site = o; site; site = site->next) {
		struct mog_opts *other;

		for (other = o; other != site; other = other->next)
			if (same_path(other->docroot, site->docroot))
				mog_die("docroot=%s is in two --config files", site->docroot);
		if (site->pidfile && pidfile && strcmp(site->pidfile, pidfile) != 0)
			mog_die("--config files name different pidfiles: %s and %s",
				pidfile, site->pidfile);
		if (site->pidfile)
			pidfile = site->pidfile;
		o->daemonize |= site->daemonize;
	}
	for (site = o->next; site; site = site->next) {
		free(site->pidfile);
		site->pidfile = NULL;	/* the first site's process tree owns it */
	}
	if (o->pidfile == NULL && pidfile)
		o->pidfile = xstrdup(pidfile);
	free(cl->server);
	free(cl->accesslog);
	free(cl->pidfile);
}

void mog_cli_parse(struct mog_opts *o, int argc, char **argv)
{
	struct source cl, file;
	unsigned nconfig = 0;
	char **configs = NULL;
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
			configs = xnrealloc(configs, nconfig + 1, sizeof(*configs));
			configs[nconfig++] = optarg;
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
		default:	/* every other long option goes to mog_cli_set_key() (no value: "") */
			mog_cli_set_key(&cl, longopts[idx].name, optarg ? optarg : "", NULL);
			break;
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (nconfig > 1 && !multi)
		mog_die("--multi must be set if using multiple --config/-c switches");
	if (nconfig > 1) {
		parse_sites(o, &cl, configs, nconfig);
		free(configs);
		if (o->daemonize)
			for (struct mog_opts *site = o; site; site = site->next)
				mog_daemon_check(site->config, site->pidfile, site->docroot);
		return;
	}
	o->config = nconfig ? xstrdup(configs[0]) : NULL;
	free(configs);
	/* before reading the file, so a relative --config is named as such, not as missing */
	if (cl.daemonize)
		mog_daemon_check(o->config, cl.pidfile, cl.docroot);
	if (o->config != NULL)
		mog_cli_load_config(o->config, &file);
	merge(o, &cl, &file);
	if (o->daemonize)
		mog_daemon_check(o->config, o->pidfile, o->docroot);
}

void mog_cli_destroy(struct mog_opts *o)
{
	if (o->next) {
		mog_cli_destroy(o->next);
		free(o->next);
	}
	mog_cli_addr_free(o->http);
	mog_cli_addr_free(o->mgmt);
	mog_cli_addr_free(o->httpget);
	mog_cli_addr_free(o->status);
	free(o->accesslog);
	free(o->docroot);
	free(o->pidfile);
	free(o->config);
	memset(o, 0, sizeof(*o));
}
