/* dev.h: the registry of devNNN directories, each with its own I/O pool (doc/design.md). */
#ifndef MOG_DEV_H
#define MOG_DEV_H

#include <time.h>
#include <sys/types.h>
#include "../core/metrics.h"
#include "dev_pool.h"

/* Per-device numbers for /metrics (embedded in struct mog_dev).  Loop thread. */
struct mog_dev_metrics {
	struct mog_hist latency[3];	/* 0 GET/HEAD, 1 PUT, 2 sideband digest */
	struct mog_hist fsync;
	unsigned long long errors[4];	/* EIO, ENOSPC/EDQUOT, EACCES/EPERM, other */
	unsigned long long bytes_in, bytes_out;
};

/*
 * One device directory.  Created by the loop thread on first sight and never
 * freed (a pointer to it stays valid for the life of the process); every
 * field is the loop thread's, except as noted.
 */
struct mog_dev {
	unsigned devid;
	/*
	 * The device directory while requests or jobs use it, else NULL: a
	 * counted struct mog_devdir (devdir.h) opened by the first user and
	 * closed by the last, so an idle device pins no filesystem.  Loop thread
	 * only; users read the descriptor through their own reference.
	 */
	struct mog_devdir *dir;
	int spare_fd;			/* /dev/null keeping a descriptor slot for dir, or -1 */
	dev_t st_dev;			/* its filesystem, as the latest scan checked it */
	ino_t st_ino;
	bool was_mount;			/* seen as a mount point: never served as a bare directory */
	bool unavailable;		/* not mounted, or wrong identity: refused */
	char why[200];			/* why it is unavailable */
	time_t refused_log;		/* when a refused request was last logged */
	bool present;			/* found by the latest scan */
	bool present_before;		/* found by the scan before (scan_merge only) */
	struct mog_dev_pool pool;	/* threads doing this device's blocking I/O (own lock) */
	char util[8];			/* latest %util figure, "-" if unknown; loop thread */
	char usage[512];		/* latest usage text (doc/protocol.md, Usage files); loop thread */
	size_t usage_len;		/* 0 until generated */
	time_t usage_time;
	bool usage_busy;		/* a usage job is out */
	int usage_err;
	time_t next_cleanup;		/* when to look for orphaned temp files again */
	bool cleanup_busy;

	/* failure fencing (loop thread): EIO counts per 10 s, over 5 minutes */
	unsigned long win_ops[30], win_eio[30];
	unsigned win_pos;
	bool failing;			/* too many EIO: usage reports the device full */
	struct mog_dev_metrics metrics;	/* loop thread */
};

/* Canonical docroot path and its open descriptor: set at startup, then read-only and
 * never closed; any thread may read them, nobody else closes the descriptor. */
extern const char *mog_docroot;
extern int mog_docroot_fd;

/*
 * Open the docroot (dies if it does not exist), scan it once and start the
 * pools.  threads: per-device pool size.  usage: write usage files (only
 * with a sideband listener).  Main thread, at startup, before the loop runs.
 */
void mog_dev_init(const char *docroot, unsigned threads, bool usage);

/* Jobs waiting longer than seconds for their pool are answered with an error (0: never).
 * Main thread, at startup. */
void mog_dev_set_deadline(unsigned seconds);

/* Start the rescan/usage timer.  Main thread, once the loop exists. */
void mog_dev_start(void);

/* The present device devid, or NULL.  Loop thread. */
struct mog_dev *mog_dev_get(unsigned devid);

/* The pool for paths outside any known device.  Any thread (the pointer is constant). */
struct mog_dev_pool *mog_dev_root_pool(void);

/* Present devices in ascending devid order; *n set to their count.  The array is the
 * registry's: valid until the loop next merges a scan, not to be kept.  Loop thread. */
struct mog_dev **mog_dev_list(size_t *n);

/* Changes whenever a device appears, goes, moves to another filesystem, or the
 * mount table changes (what is derived from mounts may be cached until then).  Loop. */
extern unsigned long mog_dev_generation;

/* Rescan the docroot and refresh every usage file now (as `watch` asks).  Loop thread. */
void mog_dev_refresh(void);

/* Set every pool to n threads (sideband `server aio_threads`).  Loop thread. */
void mog_dev_set_threads(unsigned n);

/*
 * Account one finished request on dev (NULL: none) that ended with errno err
 * (0 for success).  Enough EIO marks the device failing.  Loop thread.
 */
void mog_dev_account(struct mog_dev *dev, int err);

/* Fence a device when EIO exceeds pct percent of its requests over 5 minutes (0: never).
 * Main thread, at startup. */
void mog_dev_set_fence(unsigned pct);

/* Stop all pools (waits for queued jobs).  Main thread, after the loop ended. */
void mog_dev_shutdown(void);

#endif /* MOG_DEV_H */
