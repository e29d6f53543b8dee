/* daemon.h: detaching from the terminal (--daemonize).  Main thread only. */
#ifndef MOG_DAEMON_H
#define MOG_DAEMON_H

/*
 * Check the daemonize preconditions: config, pidfile and docroot absolute
 * (each NULL-able), PATH set and all-absolute.  Dies with the exact messages
 * of Perl mogstored and cmogstored otherwise ("PATH environment must be set", ...).
 */
void mog_daemon_check(const char *config, const char *pidfile, const char *docroot);

/*
 * fork, setsid, fork, chdir("/"), stdio to /dev/null.  The original process
 * waits until mog_daemon_ready() is called in the daemon, then exits 0; if
 * the daemon dies first it exits 1 with "daemonization error, check syslog".
 * Returns in the daemon only.
 */
void mog_daemon_start(void);

/* Tell the waiting original process that startup is complete. */
void mog_daemon_ready(void);

#endif /* MOG_DAEMON_H */
