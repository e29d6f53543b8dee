/* loop.h: the libev loops (one per loop thread) and the jobs coming back to them. */
#ifndef MOG_LOOP_H
#define MOG_LOOP_H

#include <ev.h>
#include "../mog.h"

struct mog_loop_ctx;

/*
 * A piece of blocking work handed from a loop to a thread (a device pool)
 * and back.  Embedded in its owner's state (struct mog_http, struct mog_mgmt,
 * a scan or usage job); whoever holds it owns it: the submitter until
 * submission, then the pool, then the loop again from the moment done() runs.
 */
struct mog_job {
	void (*run)(struct mog_job *job);	/* pool thread: may block on disk */
	void (*done)(struct mog_job *job);	/* owner's loop thread: may touch the conn */
	struct mog_job *next;			/* link, used by whoever holds the job */
	int err;				/* errno from run(), 0 if none */
	/* main loop thread: the job waited too long in the queue and will not run;
	 * prepare an error answer (done() follows, on the owner's loop).  NULL: never expires.
	 * It may touch only the job's own request state. */
	void (*expire)(struct mog_job *job);
	double submitted;			/* ev_now() at submission */
	struct mog_loop_ctx *owner;		/* the loop done() runs on (set at submission) */
};

/*
 * The calling thread's event loop: the main loop on the main thread, its own
 * on a loop thread (--loops), NULL on any other thread.  Only the thread
 * whose loop it is touches it (and libev watchers on it).
 */
extern __thread struct ev_loop *mog_loop;

/* The calling thread's loop (for a job's owner); NULL off the loop threads. */
struct mog_loop_ctx *mog_loop_current(void);

/* The calling loop's index: 0 for the main loop, 1..N for loop threads. */
unsigned mog_loop_index(void);

/* The main thread's loop (signals, timers, devices, sideband, status). */
struct mog_loop_ctx *mog_loop_main(void);

/* The main thread's libev loop (for ev_async_send() from another thread). */
struct ev_loop *mog_loop_main_ev(void);

/* Create the main loop and its finished-job wakeup.  Main thread, at startup. */
void mog_loop_init(void);

/* Hand a finished job back to job->owner, where job->done() will run.  Any thread. */
void mog_loop_complete(struct mog_job *job);

/*
 * --loops=N (N > 1): start N loop threads ("loop1".."loopN"), each with its
 * own libev loop, running start() on its thread before its loop runs (its
 * listeners, its connection sweep).  From then on the main thread holds the
 * shared lock whenever it is not waiting for events.  Main thread, once,
 * before ev_run().
 */
void mog_loop_threads_start(unsigned n, void (*start)(void));

/* How many loop threads were started (0: the main loop does everything). */
unsigned mog_loop_nthreads(void);

/*
 * Graceful shutdown of every loop thread: each runs stop() on its own thread,
 * then its loop ends (once stop() or later work calls mog_loop_break()).
 * all_done() runs on the main loop once every loop thread has ended.  Main thread.
 */
void mog_loop_threads_stop(void (*stop)(void), void (*all_done)(void));

/* Whether every loop thread has ended (true when there are none).  Main thread. */
bool mog_loop_threads_ended(void);

/* End the calling thread's loop (ev_break).  A loop thread. */
void mog_loop_break(void);

/* Join the ended loop threads and drop the shared lock.  Main thread, after ev_run(). */
void mog_loop_threads_join(void);

/*
 * Run fn(arg) on every other loop (main included) and return the sum of what
 * they return; a loop that has not started on it within timeout_s (it may be
 * asking the same of us) is skipped.  A loop thread only: on the main loop
 * (or with no loop threads) it does nothing and returns 0.  For the rare
 * moments a loop needs the others at once (out of descriptors: shed idle
 * connections everywhere); it waits for other loops, never for a disk.
 */
size_t mog_loop_ask_others(size_t (*fn)(double arg), double arg, double timeout_s);

/*
 * State shared by every loop (the device registry and directory references,
 * HTTP and device metrics, fencing windows) is touched only under the shared
 * lock: a loop thread takes it around each such touch; the main loop holds
 * it whenever it runs callbacks, so these are no-ops there (and when there
 * are no loop threads).  Never held across a blocking call; never taken by a
 * pool thread.  Loop threads.
 */
void mog_loop_shared_lock(void);
void mog_loop_shared_unlock(void);

/*
 * Per-loop connection figures published for the status listener: each loop
 * stores its own, the main loop reads the sums.  idle is refreshed by each
 * loop thread's once-a-second sweep.
 */
struct mog_loop_stats {
	unsigned long long conns, idle, closed, accepted;
};
/* Publish the calling loop's figures (relaxed stores).  Loop threads (no-op on main). */
void mog_loop_stats_publish(const struct mog_loop_stats *st);
/* Sum of every loop thread's published figures (main loop not included).  Main thread. */
void mog_loop_stats_sum(struct mog_loop_stats *st);

/* Whether another loop thread has at least two connections fewer than conns.  Loop threads. */
bool mog_loop_lighter_exists(unsigned long long conns);

#endif /* MOG_LOOP_H */
