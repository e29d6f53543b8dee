/* upgrade.h: SIGUSR2 binary upgrade with inherited listeners (doc/evmogstored.8, SIGNALS). */
#ifndef MOG_UPGRADE_H
#define MOG_UPGRADE_H

#include <ev.h>

/* Remember argv for the re-exec and loop for watching the child.  Main thread, at startup. */
void mog_upgrade_init(struct ev_loop *loop, char **argv);

/*
 * Start an upgrade: move the pid file to <pidfile>.oldbin, fork, and exec the
 * program found by searching PATH for argv[0] with the original arguments
 * and CMOGSTORED_FD=fds (our listeners, "3,4,5": their close-on-exec flag is
 * cleared in the child).  If the new process dies while we run, the pid file
 * is restored.  Ignored while an upgrade child runs.  Takes fds (malloc'd)
 * and frees it.  Loop thread.
 */
void mog_upgrade_start(char *fds);

#endif /* MOG_UPGRADE_H */
