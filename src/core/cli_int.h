/* cli_int.h: shared by cli.c (argv, merging) and cli_keys.c (one setting at a time) only. */
#ifndef MOG_CLI_INT_H
#define MOG_CLI_INT_H

#include "cli.h"

#define DEFAULT_DOCROOT "/var/mogdata"
#define DEFAULT_MAXCONNS 10000UL
#define DEFAULT_THREADS 10U
#define MAX_THREADS 100U		/* the pool size limit of Perl mogstored and cmogstored */
#define DEFAULT_SLOW_TIMEOUT_S 60U
#define MAX_SLOW_TIMEOUT_S 86400U
#define DEFAULT_IO_DEADLINE_S 30U
#define DEFAULT_SCRUB_RATE (10ULL << 20)
#define DEFAULT_BODY_CACHE (64ULL << 20)
#define MAX_LOOPS 256U
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
	long workers;			/* -1: not given */
	long loops;			/* -1: not given */
	int require_mount;		/* -1: not given */
	int device_id_file;		/* -1: not given */
	int verify_reads;		/* -1: not given */
	int put_checksums_full;		/* -1: not given; 0: crc; 1: full */
	long long scrub_rate;		/* -1: not given; 0: off */
	long long body_cache;		/* -1: not given; 0: off */
};

/* Where a value came from: NULL for the command line. */
struct where {
	const char *file;
	unsigned line;
};

/*
 * Apply one setting (key as in the file, also the long option name) to s;
 * w is NULL for the command line, where a bad value is fatal, and says where
 * in the file it was otherwise (a warning, the line is ignored).  Main thread.
 */
void mog_cli_set_key(struct source *s, const char *key, const char *val, const struct where *w);

/* Read the configuration file path into s; dies if it cannot be read.  Main thread. */
void mog_cli_load_config(const char *path, struct source *s);

/* Decimal digits only, at most max, into *out; false (reported as for a bad value) otherwise. */
bool mog_cli_parse_number(const char *key, const char *val, unsigned long max,
			  unsigned long *out, const struct where *w);

/* Free a listen address (NULL: nothing). */
void mog_cli_addr_free(struct mog_addr *a);

#endif /* MOG_CLI_INT_H */
