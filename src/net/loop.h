/* loop.h: the one libev loop and the list of jobs coming back to it. */
#ifndef MOG_LOOP_H
#define MOG_LOOP_H

#include <ev.h>
#include "../mog.h"

/*
 * A piece of blocking work handed from the loop to a thread (a device pool)
 * and back.  Embedded in its owner's state (struct mog_http, struct mog_mgmt,
 * a scan or usage job); whoever holds it owns it: the submitter until
 * submission, then the pool, then the loop again from the moment done() runs.
 */
struct mog_job {
	void (*run)(struct mog_job *job);	/* pool thread: may block on disk */
	void (*done)(struct mog_job *job);	/* loop thread: may touch the conn */
	struct mog_job *next;			/* link, used by whoever holds the job */
	int err;				/* errno from run(), 0 if none */
	/* loop thread: the job waited too long in the queue and will not run;
	 * prepare an error answer (done() follows).  NULL: never expires. */
	void (*expire)(struct mog_job *job);
	double submitted;			/* ev_now() at submission */
};

/* The event loop.  Only the loop thread touches it (and libev watchers). */
extern struct ev_loop *mog_loop;

/* Create the loop and the finished-job wakeup.  Main thread, at startup. */
void mog_loop_init(void);

/* Hand a finished job back to the loop, where job->done() will run.  Pool threads. */
void mog_loop_complete(struct mog_job *job);

#endif /* MOG_LOOP_H */
