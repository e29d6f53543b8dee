/* dev_pool.h: threads that do the blocking I/O for one device. */
#ifndef MOG_DEV_POOL_H
#define MOG_DEV_POOL_H

#include <pthread.h>
#include "../mog.h"
#include "../net/loop.h"	/* struct mog_job */

/*
 * A device's threads and their queue.  lock guards every field below it but
 * name (set before the threads start); cond and exited are waited on with
 * it held.  Other threads read nthreads, busy and queued only through
 * mog_dev_pool_stats(), which takes the lock.
 */
struct mog_dev_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* jobs queued, or the size changed */
	pthread_cond_t exited;		/* a thread left (for mog_dev_pool_stop) */
	struct mog_job *head, *tail;	/* FIFO of queued jobs */
	unsigned nthreads;		/* threads alive */
	unsigned want;			/* threads wanted; extra ones exit when idle */
	unsigned busy;			/* threads running a job */
	unsigned queued;		/* jobs in the FIFO */
	unsigned idle;			/* threads waiting for a job */
	unsigned waking;		/* signalled, not yet awake: not worth another signal */
	char name[16];			/* thread name, e.g. "dev1" */
};

/*
 * Start nthreads detached threads named name.  Returns 0, or -1 with errno
 * (threads already started keep running).  Loop thread (or main at startup).
 */
int mog_dev_pool_start(struct mog_dev_pool *pool, unsigned nthreads, const char *name);

/* Counters of a pool, read together under its lock. */
struct mog_dev_pool_stats {
	unsigned nthreads, busy, queued;
};

/* Fill *st with a consistent snapshot of pool's counters (they change under
 * the pool's lock in its threads).  Any thread. */
void mog_dev_pool_stats(struct mog_dev_pool *pool, struct mog_dev_pool_stats *st);

/* Queue job on pool; its done() will run on the calling loop.  Loop thread only.  The
 * pool owns job until job->done() runs. */
void mog_dev_pool_submit(struct mog_dev_pool *pool, struct mog_job *job);

/* The same, but done() runs on the main loop (the registry's scans, usage, cleanup),
 * whichever loop submits it.  Loop thread only. */
void mog_dev_pool_submit_main(struct mog_dev_pool *pool, struct mog_job *job);

/*
 * Remove the queued jobs that have an expire() and were submitted before
 * cutoff (an ev_now() time); returns them as a list linked through next.
 * Jobs already running are never touched.  Loop thread.
 */
struct mog_job *mog_dev_pool_expire(struct mog_dev_pool *pool, double cutoff);

/* Grow or shrink the pool to nthreads (idle threads exit to shrink).  Loop thread. */
void mog_dev_pool_resize(struct mog_dev_pool *pool, unsigned nthreads);

/* Ask every thread to exit once the queue is empty and wait for them.  Main thread, at exit. */
void mog_dev_pool_stop(struct mog_dev_pool *pool);

#endif /* MOG_DEV_POOL_H */
