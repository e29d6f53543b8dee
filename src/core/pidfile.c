/* pidfile.c: create, claim and remove the pid file (OPERATIONS.md 8). */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "xalloc.h"
#include "log.h"
#include "pidfile.h"

static char *pid_path;		/* NULL: no pid file configured */
static int pid_fd = -1;
static pid_t written_pid;	/* 0 until mog_pidfile_write() succeeded */

/*
 * Return the pid held in buf[0..len), or 0 if it is not "<digits>\n".
 * A missing final newline is accepted too: a hand-written pid file naming a
 * live daemon must never be overwritten by a second instance.
 */
static pid_t parse_pid(const char *buf, size_t len)
{
	long long pid = 0;
	size_t i;

	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len == 0 || len > 19)
		return 0;
	for (i = 0; i < len; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return 0;
		pid = pid * 10 + (buf[i] - '0');
	}
	return pid > 0 && pid == (pid_t)pid ? (pid_t)pid : 0;
}

/* Read at most n - 1 bytes of path from offset 0 into buf; -1 if unreadable. */
static ssize_t read_head(int fd, char *buf, size_t n)
{
	ssize_t r;

	do
		r = pread(fd, buf, n - 1, 0);
	while (r < 0 && errno == EINTR);
	if (r >= 0)
		buf[r] = '\0';
	return r;
}

void mog_pidfile_prepare(const char *path)
{
	char buf[32];
	ssize_t r;
	pid_t pid;

	pid_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (pid_fd < 0)
		mog_die_errno("failed to open pidfile(%s)", path);
	r = read_head(pid_fd, buf, sizeof(buf));
	if (r < 0)
		mog_die_errno("failed to read pidfile(%s)", path);
	pid = parse_pid(buf, (size_t)r);
	/*
	 * Our own pid can only be a leftover (e.g. from before a reboot in a
	 * container where we are pid 1 again): kill(0) would wrongly succeed.
	 */
	if (pid > 0 && pid != getpid() && (kill(pid, 0) == 0 || errno == EPERM))
		mog_die("already running on PID: %ld", (long)pid);
	pid_path = xstrdup(path);
}

void mog_pidfile_write(void)
{
	char buf[32];
	ssize_t w = -1;
	int n;

	if (pid_fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	/* truncate first: 1.2.1 left stale digits after a shorter pid */
	if (ftruncate(pid_fd, 0) != 0 || (w = pwrite(pid_fd, buf, (size_t)n, 0)) != n) {
		int err = w >= 0 ? ENOSPC : errno;	/* a short write means a full disk */

		mog_log(LOG_ERR, "failed to write pidfile(%s): %s. continuing...",
			pid_path, strerror(err));
		return;
	}
	written_pid = getpid();
}

void mog_pidfile_remove(void)
{
	char buf[32];
	ssize_t r;
	int fd;

	/* only the writer removes it; children (iostat, upgrades) never do */
	if (pid_path == NULL || written_pid == 0 || written_pid != getpid())
		return;
	/* reread by name: an upgraded process may have replaced the file */
	fd = open(pid_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	r = read_head(fd, buf, sizeof(buf));
	close(fd);
	if (r > 0 && parse_pid(buf, (size_t)r) == written_pid && unlink(pid_path) != 0)
		mog_log_errno("failed to remove pidfile(%s)", pid_path);
	written_pid = 0;
}
