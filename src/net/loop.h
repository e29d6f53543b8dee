/* loop.h: the one libev loop and the list of jobs coming back to it. */
#ifndef MOG_LOOP_H
#define MOG_LOOP_H

#include <ev.h>
#include "../dev/dev_pool.h"

/* The event loop.  Only the loop thread touches it (and libev watchers). */
extern struct ev_loop *mog_loop;

/* Create the loop and the finished-job wakeup.  Main thread, at startup. */
void mog_loop_init(void);

/* Hand a finished job back to the loop, where job->done() will run.  Pool threads. */
void mog_loop_complete(struct mog_job *job);

#endif /* MOG_LOOP_H */
