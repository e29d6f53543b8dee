/* workers.h: --worker-processes: a master that forks and supervises N copies of the daemon. */
#ifndef MOG_WORKERS_H
#define MOG_WORKERS_H

#include <signal.h>
#include "../mog.h"

/* What the master needs from the layers above it. */
struct mog_workers_ops {
	void (*close_listeners)(void);	/* shutdown: stop holding the listening sockets */
	void (*upgrade)(void);		/* SIGUSR2: start a binary upgrade */
};

/*
 * Become the master of n (>= 1) workers.  The listeners are bound and the pid
 * file written; the signals in *blocked are blocked.  Creates libev's default
 * loop for the master, forks the workers and restarts each one that exits
 * (after a backoff when it lived under 10 s).  SIGQUIT, SIGTERM and SIGINT
 * send SIGQUIT to every worker; once all have exited, returns -1 (the caller
 * exits 0).  SIGUSR2 calls ops->upgrade, with argv remembered for the re-exec;
 * SIGHUP is passed on to the workers.
 * In a worker, returns its index (0 .. n-1) with the master's loop destroyed
 * and *blocked still blocked: the caller starts the daemon as usual.
 * Main thread, once.
 */
int mog_workers_run(unsigned n, char **argv, const sigset_t *blocked,
		    const struct mog_workers_ops *ops);

/*
 * In a worker, ask the master to stop the whole tree (sideband `shutdown`)
 * and return true; false in a process that is not a worker or whose master
 * is gone.  Any thread.
 */
bool mog_workers_stop_all(void);

#endif /* MOG_WORKERS_H */
