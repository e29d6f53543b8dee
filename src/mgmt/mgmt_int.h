/* mgmt_int.h: state of one sideband connection, shared by mgmt.c and mgmt_digest.c only. */
#ifndef MOG_MGMT_INT_H
#define MOG_MGMT_INT_H

#include "../dev/target.h"
#include "../util/digest.h"
#include "mgmt_parser.h"
#include "mgmt.h"

enum mgmt_state {
	MGMT_LINE,		/* reading and parsing lines (loop) */
	MGMT_JOB,		/* a pool thread has the request */
	MGMT_FSCK_WAIT,		/* queued behind another fsck digest on this filesystem */
	MGMT_SEND,		/* reply in out: the loop flushes it */
	MGMT_WATCH		/* a `watch` subscriber */
};

enum digest_phase { PHASE_OPEN, PHASE_READ, PHASE_REPLY };

/*
 * One sideband command (or a watch subscription), hung off conn->req and
 * freed when the connection is idle again.  It belongs to whoever owns the
 * connection: the loop thread, or the pool thread running job.  It owns fd
 * and out; mgmt_release() gives them back.  The watcher list and the fsck
 * queues that link it are the loop thread's.
 */
struct mog_mgmt {
	struct mog_job job;
	struct mog_conn *conn;
	struct mog_mgmt_req req;
	enum mgmt_state state;
	enum mog_mgmt_cmd cmd;
	double started;			/* ev_now() when the command was parsed */
	char path[MOG_PATH_MAX + 1];
	struct mog_target target;	/* which device, and where the path below it starts */

	/* MD5 / SHA-1 */
	enum digest_phase phase;
	bool fsck;
	bool stored;			/* "MD5 <path> stored": the recorded MD5 will do */
	bool fsck_holding;		/* this request holds its filesystem's fsck slot */
	int fd;
	off_t off;
	dev_t st_dev;
	struct mog_digest digest;
	struct mog_integrity_fill *fill;	/* "stored" on a record without its MD5 */
	struct mog_mgmt *fsck_next;

	/* reply (or the pending watch round) */
	char *out;
	size_t olen, ooff, ocap;
	struct mog_mgmt *watch_prev, *watch_next;
};

/* mgmt.c */
/* Set the reply (printf-style) in m->out, from its start.  The thread that owns m. */
void mog_mgmt_out_set(struct mog_mgmt *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Queue run on the pool of m's device; the connection's watcher must be stopped
 * (MOG_NEXT_JOB).  Loop thread; the pool owns m->job until done() runs. */
void mog_mgmt_submit(struct mog_mgmt *m, void (*run)(struct mog_job *));

/* mgmt_digest.c: pool jobs (each ends with m->phase set) */
void mog_mgmt_size_run(struct mog_job *job);	/* size <path>: PHASE_REPLY */
void mog_mgmt_digest_open(struct mog_job *job);	/* open: PHASE_READ, or PHASE_REPLY on error */
void mog_mgmt_digest_read(struct mog_job *job);	/* one slice; PHASE_REPLY once done */

/*
 * mgmt_cached.c: answer m's size or MD5/SHA-1 (a file up to 64 KiB) on the
 * loop when the path and data are in memory (openat2 RESOLVE_CACHED,
 * mog_fs_pread_cached()); never waits on a disk.  True: the reply is in
 * m->out; false: the pool must do it.  Loop thread.
 */
bool mog_mgmt_cached(struct mog_mgmt *m);

/* mgmt_digest.c: the fsck slot of each filesystem.  Loop thread. */
/* True if m (an fsck digest with its file open) must wait for its filesystem's
 * slot: it is queued (state MGMT_FSCK_WAIT).  False: m now holds the slot. */
bool mog_mgmt_fsck_wait(struct mog_mgmt *m);
/* Give up m's slot, if it holds it, and start the next waiter. */
void mog_mgmt_fsck_release(struct mog_mgmt *m);
/* Remove a waiting m from its queue (its connection is closing). */
void mog_mgmt_fsck_unqueue(struct mog_mgmt *m);
/* Shutdown: the one-per-filesystem limit is lifted; start every waiter. */
void mog_mgmt_fsck_start_all(void);

#endif /* MOG_MGMT_INT_H */
