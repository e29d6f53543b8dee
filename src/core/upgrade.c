/* upgrade.c: re-execute the binary with the listening sockets inherited (nginx's procedure). */
#include <config.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>
#include "xalloc.h"
#include "log.h"
#include "pidfile.h"
#include "upgrade.h"

extern char **environ;
static char **saved_argv;
static struct ev_loop *upgrade_loop;
static pid_t child;
static ev_child child_watch;

void mog_upgrade_init(struct ev_loop *loop, char **argv)
{
	upgrade_loop = loop;
	saved_argv = argv;
}

static void on_child_exit(struct ev_loop *loop, ev_child *w, int revents)
{
	ev_child_stop(loop, w);
	mog_log(LOG_ERR, "upgrade PID:%d exited with status=%d", (int)w->rpid, w->rstatus);
	child = 0;
	mog_pidfile_from_oldbin();
}

/* environ without CMOGSTORED_FD, plus CMOGSTORED_FD=fds; built before fork (no malloc after). */
static char **upgrade_env(const char *fds)
{
	size_t n = 0, i, j = 0;
	char **env;

	while (environ[n])
		n++;
	env = xnmalloc(n + 2, sizeof(*env));
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "CMOGSTORED_FD=", 14) != 0)
			env[j++] = environ[i];
	if (asprintf(&env[j++], "CMOGSTORED_FD=%s", fds) < 0)
		xalloc_die();
	env[j] = NULL;
	return env;
}

void mog_upgrade_start(char *fds)
{
	char **env;
	const char *p;
	size_t i;
	pid_t pid;

	if (child > 0) {
		mog_log(LOG_WARNING, "upgrade already running on PID:%d", (int)child);
		free(fds);
		return;
	}
	if (mog_pidfile_to_oldbin() < 0) {
		free(fds);
		return;
	}
	env = upgrade_env(fds);
	pid = fork();
	if (pid == 0) {
		sigset_t none;

		/* only async-signal-safe calls from here on: other threads held locks */
		for (p = fds; *p;) {
			int fd = 0;

			while (*p >= '0' && *p <= '9')
				fd = fd * 10 + (*p++ - '0');
			fcntl(fd, F_SETFD, 0);
			if (*p == ',')
				p++;
		}
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvpe(saved_argv[0], saved_argv, env);
		_exit(1);
	}
	if (pid < 0) {
		mog_log_errno("upgrade: fork");
		mog_pidfile_from_oldbin();
	} else {
		child = pid;
		mog_log(LOG_INFO, "upgrade started: PID:%d", (int)pid);
		ev_child_init(&child_watch, on_child_exit, pid, 0);
		ev_child_start(upgrade_loop, &child_watch);
	}
	for (i = 0; env[i]; i++)
		if (strncmp(env[i], "CMOGSTORED_FD=", 14) == 0)
			free(env[i]);
	free(env);
	free(fds);
}
