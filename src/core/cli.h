/* cli.h: command line and configuration file merged into struct mog_opts (doc/evmogstored.8). */
#ifndef MOG_CLI_H
#define MOG_CLI_H

#include <stdio.h>
#include <sys/socket.h>
#include "../mog.h"
#include "../util/addr.h"

enum mog_fsync {
	MOG_FSYNC_DATA = 0,		/* default: fdatasync file, fsync directory, then 201 */
	MOG_FSYNC_NONE			/* cmogstored's behaviour: no syncing */
};

/* Every string and address here is owned by the struct until mog_cli_destroy(). */
struct mog_opts {
	char *docroot;			/* default "/var/mogdata" */
	char *pidfile;			/* NULL: none */
	struct mog_addr *http;		/* NULL: no HTTP listener */
	struct mog_addr *mgmt;		/* NULL: no sideband listener */
	struct mog_addr *httpget;	/* NULL: no get-only listener */
	struct mog_addr *status;	/* NULL: no status (metrics) listener */
	char *accesslog;		/* NULL: none; a file path, or "syslog" */
	unsigned long maxconns;		/* descriptor budget; default 10000 */
	bool daemonize;
	bool iostat;			/* default true; --noiostat / iostat = 0 turn it off */
	enum mog_fsync fsync;
	unsigned threads_per_dev;	/* device pool size, default 10 */
	unsigned slow_timeout_s;	/* slow client: 408 / drop after this long, default 60 */
	unsigned fence_pct;		/* EIO share that marks a device failing; 0 = never */
	unsigned io_deadline_s;		/* queued longer for a device: 503; 0 = never; default 30 */
	unsigned workers;		/* --worker-processes: 0 (default) for one process */
	unsigned loops;			/* --loops: HTTP loop threads; 0: not given (main.c decides) */
	bool require_mount;		/* every device directory must be a mount point */
	bool device_id_file;		/* check each device's identity file */
	bool verify_reads;		/* whole-file GETs check stored CRCs; default true */
	bool put_md5;			/* --put-checksums=full: every PUT stores its MD5 */
	unsigned long long scrub_rate;	/* bytes/s per device scrubber; 0 = off; default 10 MiB */
	unsigned long long body_cache;	/* bytes of small verified bodies kept; 0 = off; 64 MiB */
	char *config;			/* --config path, NULL if none */
	struct mog_opts *next;		/* --multi: the next --config file's site, or NULL */
};

/*
 * Parse argv and the configuration file it names into o, applying every rule
 * of doc/evmogstored.8, OPTIONS and CONFIGURATION (defaults, precedence, validation).
 * Prints help/version and exits 0, prints usage and exits 64 for unknown
 * options, and calls mog_die() (exit 1) for invalid values.  Main thread,
 * at startup only.
 */
void mog_cli_parse(struct mog_opts *o, int argc, char **argv);

/* Free what mog_cli_parse() allocated in o (for leak checkers at exit).  Main thread. */
void mog_cli_destroy(struct mog_opts *o);

/* The --help text (also used by the test that compares it with the man page). */
void mog_cli_usage(FILE *out);

#endif /* MOG_CLI_H */
