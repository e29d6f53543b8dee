/* upgrade.h: SIGUSR2 binary upgrade with inherited listeners (OPERATIONS.md 9.3).  Loop thread. */
#ifndef MOG_UPGRADE_H
#define MOG_UPGRADE_H

/* Remember argv for the re-exec.  Main thread, at startup. */
void mog_upgrade_init(char **argv);

/*
 * Start an upgrade: move the pid file to <pidfile>.oldbin, fork, and exec the
 * program found by searching PATH for argv[0] with the original arguments
 * and CMOGSTORED_FD naming our listeners.  If the new process dies while we
 * run, the pid file is restored.  Ignored while an upgrade child runs.
 */
void mog_upgrade_start(void);

#endif /* MOG_UPGRADE_H */
