/* target.c: the one resolver of request paths, for HTTP and sideband commands alike. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "../util/path.h"
#include "target.h"

void mog_target_lookup(struct mog_target *t, const char *path, size_t len)
{
	size_t n = len > 0 && path[0] == '/' ? mog_path_dev_scan(path + 1, len - 1, &t->devid) : 0;

	t->in_dev = n > 0;
	t->rest_off = t->in_dev ? n + 1 : 0;
	if (!t->in_dev)
		t->devid = MOG_DEVID_NONE;
	t->dev = t->devid != MOG_DEVID_NONE ? mog_dev_get(t->devid) : NULL;
}

int mog_target_open_dir(const struct mog_target *t, const char *path, const char **rel)
{
	char name[MOG_PATH_MAX + 1];

	*rel = path + t->rest_off;
	if (!t->in_dev)
		return mog_docroot_fd;
	/* shared, not duplicated: no extra descriptor or syscall per request.
	 * dir_fd is written by the loop only; a replaced one stays open for a
	 * scan interval, so a value read here stays valid while it is used. */
	if (t->dev)
		return t->dev->dir_fd;
	/* not (yet) in the registry, or a non-canonical name such as dev01 */
	if (t->rest_off - 1 > MOG_PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(name, path + 1, t->rest_off - 1);
	name[t->rest_off - 1] = '\0';
	return openat(mog_docroot_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

void mog_target_close_dir(const struct mog_target *t, int fd)
{
	int err = errno;

	/* only an unregistered device's directory was opened for the request
	 * (t->dev never changes, unlike t->dev->dir_fd, so decide by t) */
	if (fd >= 0 && t->in_dev && t->dev == NULL)
		close(fd);
	errno = err;
}

int mog_target_cached_dir(const struct mog_target *t)
{
	return t->dev ? t->dev->dir_fd : -1;
}

struct mog_dev_pool *mog_target_pool(const struct mog_target *t)
{
	return t->dev ? &t->dev->pool : mog_dev_root_pool();
}
