/* target.c: the one resolver of request paths, for HTTP and sideband commands alike. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "../util/path.h"
#include "devdir.h"
#include "target.h"

void mog_target_lookup(struct mog_target *t, const char *path, size_t len)
{
	size_t n = len > 0 && path[0] == '/' ? mog_path_dev_scan(path + 1, len - 1, &t->devid) : 0;

	t->in_dev = n > 0;
	t->rest_off = t->in_dev ? n + 1 : 0;
	if (!t->in_dev)
		t->devid = MOG_DEVID_NONE;
	if (t->devid == MOG_DEVID_NONE) {
		t->dev = NULL;
		t->dir = NULL;
		t->dir_err = 0;
		return;
	}
	mog_loop_shared_lock();		/* the registry is every loop's */
	t->dev = mog_dev_get(t->devid);
	/* the request's own reference: a queued job never sees a closed or
	 * reused descriptor, and an idle device holds none (doc/design.md) */
	t->dir = t->dev ? mog_devdir_get(t->dev) : NULL;
	t->dir_err = t->dev && t->dir == NULL ? errno : 0;
	mog_loop_shared_unlock();
}

void mog_target_release(struct mog_target *t)
{
	if (t->dir == NULL)
		return;
	mog_loop_shared_lock();
	mog_devdir_put(t->dir);
	mog_loop_shared_unlock();
	t->dir = NULL;
}

bool mog_target_unavailable(const struct mog_target *t)
{
	return t->dev && t->dir == NULL && t->dir_err == ENODEV;
}

int mog_target_open_dir(const struct mog_target *t, const char *path, const char **rel)
{
	char name[MOG_PATH_MAX + 1];

	*rel = path + t->rest_off;
	if (!t->in_dev)
		return mog_docroot_fd;
	/* the request's reference: no extra descriptor or syscall per request */
	if (t->dev) {
		errno = t->dir_err;
		return t->dir ? t->dir->fd : -1;
	}
	/* not (yet) in the registry, or a non-canonical name such as dev01 */
	if (t->rest_off - 1 > MOG_PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(name, path + 1, t->rest_off - 1);
	name[t->rest_off - 1] = '\0';
	return mog_devdir_open_name(name);
}

void mog_target_close_dir(const struct mog_target *t, int fd)
{
	int err = errno;

	/* only an unregistered device's directory was opened for the request */
	if (fd >= 0 && t->in_dev && t->dev == NULL)
		close(fd);
	errno = err;
}

int mog_target_cached_dir(const struct mog_target *t)
{
	return t->dir ? t->dir->fd : -1;
}

struct mog_dev_pool *mog_target_pool(const struct mog_target *t)
{
	return t->dev ? &t->dev->pool : mog_dev_root_pool();
}
