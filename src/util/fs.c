/* fs.c: openat2-confined opens, with an O_NOFOLLOW component walk as fallback. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#ifdef HAVE_LINUX_OPENAT2_H
# include <linux/openat2.h>
#endif
#include "dirsync.h"
#include "fs.h"

mode_t mog_umask = 022;

#ifdef HAVE_LINUX_OPENAT2_H
static bool no_openat2;		/* set once if the kernel lacks the syscall */
#endif

/* Open one directory component below cur without following a symlink;
 * with create, make it if missing and set *made (NULL: not wanted). */
static int open_dir_comp(int cur, const char *comp, bool *made)
{
	struct stat st;
	int fd;

	fd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && made) {
		if (mkdirat(cur, comp, 0777) < 0 && errno != EEXIST)
			return -1;
		/* even on EEXIST: whoever won the race may not have synced it yet */
		*made = true;
		fd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0 && errno == ENOTDIR &&
	    fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		errno = ELOOP;		/* O_NOFOLLOW|O_DIRECTORY on a symlink says ENOTDIR */
	return fd;
}

/* The last component: comp opened in cur with flags, refusing a symlink as openat2 does. */
static int open_last(int cur, const char *comp, int flags, mode_t mode)
{
	struct stat st;
	int fd = openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);

	/* O_NOFOLLOW|O_DIRECTORY on a symlink says ENOTDIR: say ELOOP,
	 * as openat2(RESOLVE_NO_SYMLINKS) does */
	if (fd < 0 && errno == ENOTDIR &&
	    fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		errno = ELOOP;
	/* O_PATH|O_NOFOLLOW opens the symlink itself instead of failing */
	if (fd >= 0 && (flags & O_PATH) && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
		close(fd);
		fd = -1;
		errno = ELOOP;
	}
	return fd;
}

/*
 * Walk rel one component at a time with O_NOFOLLOW; returns an fd for the last one.
 * ".." goes back to the directory opened before (never openat(".."), which could
 * leave dir_fd); above dir_fd itself it fails with EXDEV, as RESOLVE_BENEATH does.
 */
static int walk_open(int dir_fd, const char *rel, int flags, mode_t mode)
{
	char buf[MOG_PATH_MAX + 1];
	int stack[MOG_PATH_MAX / 2 + 1];	/* directories opened on the way down */
	size_t n = strlen(rel), depth = 0;
	const char *comp;
	char *next, *save = NULL;
	int fd = -1, err;

	if (n > MOG_PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, rel, n + 1);
	if (n > 0 && buf[n - 1] == '/')
		flags |= O_DIRECTORY;		/* "file/" must be a directory */
	comp = strtok_r(buf, "/", &save);
	if (comp == NULL) {
		strcpy(buf, ".");
		comp = buf;
	}
	for (;; comp = next) {
		int cur = depth ? stack[depth - 1] : dir_fd;
		bool up = strcmp(comp, "..") == 0;

		next = strtok_r(NULL, "/", &save);
		if (up && depth == 0) {
			errno = EXDEV;
			fd = -1;
			break;
		}
		if (up) {
			close(stack[--depth]);
			cur = depth ? stack[depth - 1] : dir_fd;
			comp = ".";
		}
		if (next == NULL) {
			fd = open_last(cur, comp, flags, mode);
			break;
		}
		if (strcmp(comp, ".") == 0)
			continue;
		fd = open_dir_comp(cur, comp, NULL);
		if (fd < 0)
			break;
		stack[depth++] = fd;
	}
	err = errno;
	while (depth > 0)
		close(stack[--depth]);
	errno = err;
	return fd;
}

int mog_fs_open_cached(int dir_fd, const char *rel, int flags)
{
#if defined(HAVE_LINUX_OPENAT2_H) && defined(RESOLVE_CACHED)
	struct open_how how;
	long fd;

	while (*rel == '/')
		rel++;
	if (*rel == '\0')
		rel = ".";
	memset(&how, 0, sizeof(how));
	how.flags = (unsigned)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
		      RESOLVE_CACHED;
	fd = syscall(SYS_openat2, dir_fd, rel, &how, sizeof(how));
	if (fd < 0 && errno == EINVAL)
		errno = ENOSYS;		/* a kernel before 5.12: no RESOLVE_CACHED */
	return (int)fd;
#else
	(void)dir_fd;
	(void)rel;
	(void)flags;
	errno = ENOSYS;
	return -1;
#endif
}

int mog_fs_open_beneath(int dir_fd, const char *rel, int flags, mode_t mode)
{
	while (*rel == '/')
		rel++;
	if (*rel == '\0')
		rel = ".";
#ifdef HAVE_LINUX_OPENAT2_H
	if (!no_openat2) {
		struct open_how how;
		long fd;

		memset(&how, 0, sizeof(how));
		how.flags = (unsigned)(flags | O_CLOEXEC);
		how.mode = (flags & O_CREAT) ? mode : 0;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
		fd = syscall(SYS_openat2, dir_fd, rel, &how, sizeof(how));
		if (fd >= 0 || errno != ENOSYS)
			return (int)fd;
		no_openat2 = true;
	}
#endif
	return walk_open(dir_fd, rel, flags, mode);
}

int mog_fs_open_parent(int dir_fd, const char *rel, size_t *base_off, bool sync)
{
	char dir[MOG_PATH_MAX + 1];
	const char *last;
	char *comp, *save = NULL;
	size_t n;
	int fd, cur;

	while (*rel == '/')
		rel++;
	last = strrchr(rel, '/');
	if (last == NULL) {
		*base_off = 0;
		return mog_fs_open_beneath(dir_fd, ".", O_RDONLY | O_DIRECTORY, 0);
	}
	n = (size_t)(last - rel);
	if (n > MOG_PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	*base_off = n + 1;
	memcpy(dir, rel, n);
	dir[n] = '\0';
	fd = mog_fs_open_beneath(dir_fd, dir, O_RDONLY | O_DIRECTORY, 0);
	if (fd >= 0 || errno != ENOENT)
		return fd;

	/* Create what is missing one component at a time, each step confined
	 * to the directory opened before it (mkdirat on "a/b" would follow a
	 * symlinked "a" out of the device). */
	cur = dir_fd;
	for (comp = strtok_r(dir, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		bool made = false;

		if (strcmp(comp, "..") == 0) {
			fd = -1;	/* never creates its way out of dir_fd ("new/../../x") */
			errno = EXDEV;
		} else {
			fd = open_dir_comp(cur, comp, &made);
		}
		if (fd >= 0 && made && sync && mog_dirsync(cur) < 0) {
			int err = errno;	/* the new entry in cur may not survive a crash */
			close(fd);
			fd = -1;
			errno = err;
		}
		if (cur != dir_fd) {
			int err = errno;
			close(cur);
			errno = err;
		}
		if (fd < 0)
			return -1;
		cur = fd;
	}
	if (cur == dir_fd)
		return mog_fs_open_beneath(dir_fd, ".", O_RDONLY | O_DIRECTORY, 0);
	return cur;
}
