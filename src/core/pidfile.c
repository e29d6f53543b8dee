/* pidfile.c: create, claim, hand over (upgrade) and remove the pid file (--pidfile). */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "xalloc.h"
#include "log.h"
#include "pidfile.h"

static char *pid_path;		/* NULL: no pid file configured */
static char *oldbin_path;	/* "<pid_path>.oldbin" */
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

/* The pid held by fd's file, 0 if none; -1 (errno set) if it cannot be read. */
static pid_t read_pid_fd(int fd)
{
	char buf[32];
	ssize_t r;

	do
		r = pread(fd, buf, sizeof(buf), 0);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -1 : parse_pid(buf, (size_t)r);
}

/* The pid held by the file at path; 0 if none, missing or unreadable. */
static pid_t read_pid(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	pid_t pid;

	if (fd < 0)
		return 0;
	pid = read_pid_fd(fd);
	close(fd);
	return pid > 0 ? pid : 0;
}

/*
 * Another process with that pid exists (EPERM: it exists, owned by someone
 * else).  Our own pid can only be a leftover, e.g. from before a reboot in
 * a container where we are pid 1 again, so it never counts.
 */
static bool is_live(pid_t pid)
{
	return pid > 0 && pid != getpid() && (kill(pid, 0) == 0 || errno == EPERM);
}

/* Truncate fd's file and write "<getpid()>\n"; -1 with errno set on failure. */
static int write_pid_fd(int fd)
{
	char buf[32];
	ssize_t w;
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	/* truncate first: 1.2.1 left stale digits after a shorter pid */
	if (ftruncate(fd, 0) != 0)
		return -1;
	w = pwrite(fd, buf, (size_t)n, 0);
	if (w == n)
		return 0;
	if (w >= 0)
		errno = ENOSPC;		/* a short write means a full disk */
	return -1;
}

void mog_pidfile_prepare(const char *path)
{
	size_t len = strlen(path);
	pid_t pid;

	pid_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (pid_fd < 0)
		mog_die_errno("failed to open pidfile(%s)", path);
	pid = read_pid_fd(pid_fd);
	if (pid < 0)
		mog_die_errno("failed to read pidfile(%s)", path);
	if (is_live(pid))
		mog_die("already running on PID: %ld", (long)pid);
	pid_path = xstrdup(path);
	oldbin_path = xmalloc(len + sizeof(".oldbin"));
	memcpy(oldbin_path, path, len);
	memcpy(oldbin_path + len, ".oldbin", sizeof(".oldbin"));
}

void mog_pidfile_write(void)
{
	if (pid_fd < 0)
		return;
	if (write_pid_fd(pid_fd) != 0) {
		int err = errno;

		mog_log(LOG_ERR, "failed to write pidfile(%s): %s. continuing...",
			pid_path, strerror(err));
		return;
	}
	written_pid = getpid();
}

/* Unlink path if it names us.  Reread by name: an upgraded process may own the file now. */
static void remove_if_ours(const char *path)
{
	if (read_pid(path) == getpid() && unlink(path) != 0 && errno != ENOENT)
		mog_log_errno("failed to remove pidfile(%s)", path);
}

void mog_pidfile_remove(void)
{
	/* only the writer removes it; children (iostat, upgrades) never do */
	if (pid_path == NULL || written_pid != getpid())
		return;
	remove_if_ours(pid_path);
	remove_if_ours(oldbin_path);
	written_pid = 0;
}

int mog_pidfile_to_oldbin(void)
{
	pid_t pid;
	int fd;

	if (pid_path == NULL)
		return 0;
	pid = read_pid(oldbin_path);
	if (is_live(pid)) {
		mog_log(LOG_ERR, "upgrade aborted: %s names running PID: %ld",
			oldbin_path, (long)pid);
		return -1;
	}
	fd = open(oldbin_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0 || write_pid_fd(fd) != 0) {
		mog_log_errno("upgrade aborted: failed to write pidfile(%s)", oldbin_path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	/* the new process must find no live owner when it claims the pid file */
	pid = read_pid(pid_path);
	if ((pid == getpid() || !is_live(pid)) && unlink(pid_path) != 0 && errno != ENOENT)
		mog_log_errno("failed to remove pidfile(%s)", pid_path);
	return 0;
}

void mog_pidfile_from_oldbin(void)
{
	int fd;

	if (pid_path == NULL)
		return;
	/* the failed binary may have written its pid; it is dead now, so that does not count */
	if (!is_live(read_pid(pid_path))) {
		fd = open(pid_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
		if (fd < 0) {
			mog_log_errno("failed to open pidfile(%s)", pid_path);
		} else {
			if (pid_fd >= 0)
				close(pid_fd);
			pid_fd = fd;
			mog_pidfile_write();
		}
	}
	remove_if_ours(oldbin_path);
}
