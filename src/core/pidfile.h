/* pidfile.h: the pid file of OPERATIONS.md 8.  Main thread only. */
#ifndef MOG_PIDFILE_H
#define MOG_PIDFILE_H

/*
 * Open (create, mode 0666 & ~umask) path before daemonizing.  Dies with
 * "already running on PID: <pid>" if a live process owns it (file left
 * untouched).  Keeps the descriptor for mog_pidfile_write().
 */
void mog_pidfile_prepare(const char *path);

/* Truncate and write "<getpid()>\n"; a failure is logged, not fatal. */
void mog_pidfile_write(void);

/* Remove the pid file if it still holds our pid.  Safe to call without a pid file. */
void mog_pidfile_remove(void);

#endif /* MOG_PIDFILE_H */
