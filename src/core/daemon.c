/* daemon.c: detach from the terminal once listeners are bound (--daemonize). */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "log.h"
#include "daemon.h"

static int ready_fd = -1;	/* daemon's end of the pipe to the waiting original */

static bool path_is_absolute(const char *key, const char *val)
{
	if (val == NULL || val[0] == '/')
		return true;
	mog_log(LOG_ERR, "%s=%s must use an absolute path", key, val);
	return false;
}

/*
 * SIGUSR2 re-executes argv[0] found through PATH from "/" (we chdir there),
 * so a relative entry would find a different program or none.  Returns the
 * first offending entry, starting at the ':' before it if it is empty and
 * not the first, or NULL if every entry is absolute.
 */
static const char *relative_path_entry(const char *path)
{
	const char *entry = path, *colon;

	for (;;) {
		colon = strchr(entry, ':');
		if (*entry != '/')	/* "", ".", "bin": all relative */
			return (entry == colon || *entry == '\0') && entry > path ? entry - 1
										  : entry;
		if (colon == NULL)
			return NULL;
		entry = colon + 1;
	}
}

void mog_daemon_check(const char *config, const char *pidfile, const char *docroot)
{
	const char *path = getenv("PATH"), *bad_entry;
	bool ok = true;

	ok &= path_is_absolute("config", config);
	ok &= path_is_absolute("pidfile", pidfile);
	ok &= path_is_absolute("docroot", docroot);
	if (path == NULL) {
		if (ok)
			mog_die("PATH environment must be set");
		mog_log(LOG_ERR, "PATH environment must be set");
	} else if ((bad_entry = relative_path_entry(path)) != NULL) {
		mog_log(LOG_ERR, "PATH environment contains relative path: %s", bad_entry);
		ok = false;
	}
	if (!ok)
		mog_die("relative paths are incompatible with --daemonize and SIGUSR2 upgrades");
}

/* In the original process: wait for the daemon's byte, or its death. */
static void wait_for_daemon(int fd, pid_t child)
{
	char c;
	ssize_t r;

	/* the intermediate child exits right after its fork; reap it */
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	do
		r = read(fd, &c, 1);
	while (r < 0 && errno == EINTR);
	/* no exit(): atexit handlers belong to the daemon, not to us */
	if (r == 1)
		_exit(0);
	fprintf(stderr, "%s: daemonization error, check syslog\n", mog_progname);
	_exit(1);
}

void mog_daemon_start(void)
{
	int fds[2], null_fd;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0)
		mog_die_errno("pipe2");
	fflush(NULL);		/* buffered output must not be written twice */
	pid = fork();
	if (pid < 0)
		mog_die_errno("fork");
	if (pid > 0) {
		close(fds[1]);
		wait_for_daemon(fds[0], pid);
	}
	close(fds[0]);
	if (setsid() < 0)
		mog_die_errno("setsid");
	/* a second fork: the daemon is no session leader, so it never gets a terminal */
	pid = fork();
	if (pid < 0)
		mog_die_errno("fork");
	if (pid > 0)
		_exit(0);
	if (chdir("/") != 0)
		mog_die_errno("chdir(/)");
	null_fd = open("/dev/null", O_RDWR);
	if (null_fd < 0)
		mog_die_errno("open(/dev/null)");
	mog_log_stderr_off();
	if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(null_fd, STDOUT_FILENO) < 0 ||
	    dup2(null_fd, STDERR_FILENO) < 0)
		mog_die_errno("dup2(/dev/null)");
	if (null_fd > STDERR_FILENO)
		close(null_fd);
	ready_fd = fds[1];
}

void mog_daemon_ready(void)
{
	char c = '.';
	ssize_t r;

	if (ready_fd < 0)
		return;
	do
		r = write(ready_fd, &c, 1);
	while (r < 0 && errno == EINTR);
	close(ready_fd);
	ready_fd = -1;
}
