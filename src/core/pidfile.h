/* pidfile.h: the pid file (--pidfile; doc/evmogstored.8, FILES).  Main thread only. */
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

/*
 * Remove the pid file, and <pidfile>.oldbin, each only if it still holds our
 * pid.  Safe to call without a pid file.
 */
void mog_pidfile_remove(void);

/*
 * SIGUSR2 upgrade, before forking the new binary (nginx's procedure):
 * write our pid to <pidfile>.oldbin, then remove <pidfile> if it holds our
 * pid or a dead one.  Returns 0 (also without a pid file), or -1, logged,
 * if the upgrade must not go on (.oldbin names a live process, or cannot be
 * written).
 */
int mog_pidfile_to_oldbin(void);

/*
 * The upgrade failed (the new binary died): write our pid to <pidfile> again unless a
 * live process owns it, and remove <pidfile>.oldbin.  Safe without a pid file.
 */
void mog_pidfile_from_oldbin(void);

#endif /* MOG_PIDFILE_H */
