/* cleanup.c: remove orphaned PUT temp files whose writer is dead. */
#include <config.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cleanup.h"

#define MAX_DEPTH 16	/* MogileFS trees are 4 deep; never recurse without bound */

bool mog_cleanup_is_temp(const char *name, long *pid)
{
	size_t len = strlen(name), i, end;
	long p = 0;

	/* <base> '.' 8 hex '.' digits ".tmp" */
	if (len < 1 + 1 + 8 + 1 + 1 + 4 || strcmp(name + len - 4, ".tmp") != 0)
		return false;
	end = len - 4;
	for (i = end; i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9'; i--)
		;
	if (end - i > 10)
		return false;			/* no pid has that many digits */
	if (i == end || i < 10 || name[i - 1] != '.')
		return false;
	for (size_t j = i; j < end; j++)
		p = p * 10 + (name[j] - '0');
	i--;				/* at the '.' before the pid */
	if (name[i - 9] != '.' || i - 9 == 0)
		return false;
	for (size_t j = i - 8; j < i; j++)
		if (!((name[j] >= '0' && name[j] <= '9') || (name[j] >= 'a' && name[j] <= 'f')))
			return false;
	*pid = p;
	return p > 0;
}

static bool pid_dead(long pid)
{
	/* a live process, ours included (an upgrade shares the docroot), keeps its files */
	return pid != (long)getpid() && kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

static unsigned long walk(int dir_fd, dev_t st_dev, unsigned depth)
{
	unsigned long removed = 0;
	struct dirent *de;
	DIR *dir;
	int fd;

	if (depth > MAX_DEPTH)
		return 0;
	fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((de = readdir(dir)) != NULL) {
		struct stat st;
		long pid;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) {
			int sub = openat(dirfd(dir), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0) {
				/* stay on the device's own filesystem */
				if (fstat(sub, &st) == 0 && st.st_dev == st_dev)
					removed += walk(sub, st_dev, depth + 1);
				close(sub);
				continue;
			}
		}
		if (!mog_cleanup_is_temp(de->d_name, &pid) || !pid_dead(pid))
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && unlinkat(dirfd(dir), de->d_name, 0) == 0)
			removed++;
	}
	closedir(dir);
	return removed;
}

unsigned long mog_cleanup_walk(int dir_fd)
{
	struct stat st;

	if (fstat(dir_fd, &st) < 0)
		return 0;
	return walk(dir_fd, st.st_dev, 0);
}
