/* devdir.c: device directories opened per use (closed soon after), the mount guard, identity. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "xalloc.h"
#include "../core/log.h"
#include "../net/conn.h"
#include "../net/loop.h"
#include "devid.h"
#include "dev.h"
#include "devdir.h"

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif

static void spare(struct mog_dev *dev);

bool mog_devdir_require_mount;
bool mog_devdir_idfile;

/* st_dev, st_ino and mount-root-ness of the open directory fd. */
static int look(int fd, struct mog_devdir_probe *p)
{
	struct statx sx;
	struct stat st, parent;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_INO, &sx) == 0 &&
	    (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)) {
		p->st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
		p->st_ino = sx.stx_ino;
		p->mount_root = (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
		return 0;
	}
	/* before Linux 5.8: a mount root's ".." is on another filesystem (bind
	 * mounts of the same filesystem are not recognised) */
	if (fstat(fd, &st) < 0 || fstatat(fd, "..", &parent, 0) < 0)
		return -1;
	p->st_dev = st.st_dev;
	p->st_ino = st.st_ino;
	p->mount_root = parent.st_dev != st.st_dev || parent.st_ino == st.st_ino;
	return 0;
}

static void not_mounted(char *why, size_t n)
{
	snprintf(why, n, "not a mount point (%s): its disk is not mounted",
		 mog_devdir_require_mount ? "--require-mount" : "it was one");
}

void mog_devdir_probe(int fd, unsigned devid, bool must_mount, struct mog_devdir_probe *p)
{
	memset(p, 0, sizeof(*p));
	if (look(fd, p) < 0) {
		p->state = -1;
		snprintf(p->why, sizeof(p->why), "cannot stat: %s", strerror(errno));
		return;
	}
	if (must_mount && !p->mount_root) {
		p->state = -1;
		not_mounted(p->why, sizeof(p->why));
		return;
	}
	if (mog_devdir_idfile)
		p->state = mog_devid_check(fd, devid, p->why, sizeof(p->why));
}

void mog_devdir_drop(struct mog_dev *dev)
{
	if (!dev->present && dev->spare_fd >= 0) {	/* gone from the docroot */
		close(dev->spare_fd);
		dev->spare_fd = -1;
	}
	if (dev->dir == NULL)
		return;
	if (dev->dir->refs == 0) {	/* lingering after its last user: close now */
		close(dev->dir->fd);
		free(dev->dir);
		dev->dir = NULL;
		if (dev->present)
			spare(dev);
		return;
	}
	/* the requests holding it finish with it; the next one opens anew */
	dev->dir->dev = NULL;
	dev->dir = NULL;
}

bool mog_devdir_must_mount(const struct mog_dev *dev)
{
	return mog_devdir_require_mount || dev->was_mount;
}

static void set_unavailable(struct mog_dev *dev, const char *why)
{
	mog_devdir_drop(dev);
	if (!dev->unavailable || strcmp(dev->why, why) != 0)
		mog_log(LOG_ERR, "%s/dev%u: unavailable: %s; refusing it (PUT 507, GET 404, no "
			"usage file) until that changes", mog_docroot, dev->devid, why);
	dev->unavailable = true;
	snprintf(dev->why, sizeof(dev->why), "%s", why);
	dev->usage_len = 0;	/* GET /devN/usage: 404, so the tracker's monitor stops */
}

static int open_devid(unsigned devid)
{
	char name[16];

	snprintf(name, sizeof(name), "dev%u", devid);
	/* device directories are often symlinks to mount points: follow */
	return openat(mog_docroot_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/*
 * An idle device keeps a descriptor slot for its directory, open on
 * /dev/null (which pins no disk): the directory takes the slot while it is
 * open and gives it back after, so the daemon uses as many descriptors as
 * when directories were held open all the time, and a request can still open
 * its directory when every other descriptor is taken (maxconns reached).
 */
static void spare(struct mog_dev *dev)
{
	if (dev->spare_fd < 0)
		dev->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static int open_dir(struct mog_dev *dev)
{
	if (dev->spare_fd >= 0) {
		close(dev->spare_fd);
		dev->spare_fd = -1;
	}
	return open_devid(dev->devid);
}

void mog_devdir_apply(struct mog_dev *dev, const struct mog_devdir_probe *p)
{
	spare(dev);	/* retried every scan */
	if (p->mount_root)
		dev->was_mount = true;
	if (p->st_dev != dev->st_dev || p->st_ino != dev->st_ino) {
		mog_devdir_drop(dev);	/* remounted or replaced: the next request opens the new one */
		dev->st_dev = p->st_dev;
		dev->st_ino = p->st_ino;
	}
	if (p->state < 0) {
		set_unavailable(dev, p->why);
		return;
	}
	if (p->state > 0)
		mog_log(LOG_WARNING, "%s/dev%u: %s", mog_docroot, dev->devid, p->why);
	if (dev->unavailable)
		mog_log(LOG_WARNING, "%s/dev%u: available again", mog_docroot, dev->devid);
	dev->unavailable = false;
	dev->why[0] = '\0';
}

/* The directory is not what the last scan checked: refuse or adopt it. */
static int changed(struct mog_dev *dev, int fd, const struct mog_devdir_probe *p)
{
	mog_dev_refresh();	/* the scan checks it fully (identity) */
	if (!mog_devdir_must_mount(dev) && !mog_devdir_idfile) {
		dev->st_dev = p->st_dev;
		dev->st_ino = p->st_ino;
		return 0;
	}
	close(fd);
	if (!p->mount_root && mog_devdir_must_mount(dev)) {
		char why[MOG_DEVDIR_WHY];

		not_mounted(why, sizeof(why));
		set_unavailable(dev, why);
	}
	errno = ENODEV;		/* a new filesystem: refused until the scan checked it */
	return -1;
}

struct mog_devdir *mog_devdir_get(struct mog_dev *dev)
{
	struct mog_devdir_probe p;
	int fd;

	if (dev->unavailable) {
		errno = ENODEV;
		return NULL;
	}
	if (dev->dir == NULL) {
		/* a lookup of the mount point or symlink: in the dentry cache */
		if ((fd = open_dir(dev)) < 0)
			goto fail;
		if (look(fd, &p) < 0) {
			int err = errno;

			close(fd);
			errno = err;
			goto fail;
		}
		if ((p.st_dev != dev->st_dev || p.st_ino != dev->st_ino) &&
		    changed(dev, fd, &p) < 0)
			goto fail;
		dev->dir = xzalloc(sizeof(*dev->dir));
		dev->dir->fd = fd;
		dev->dir->dev = dev;
	}
	dev->dir->refs++;
	return dev->dir;
fail:
	{
		int err = errno;

		spare(dev);
		errno = err;
	}
	return NULL;
}

/* Close d (no references left): nothing holds the disk now. */
static void close_dir(struct mog_devdir *d)
{
	close(d->fd);
	if (d->dev) {
		d->dev->dir = NULL;
		spare(d->dev);
	}
	free(d);
}

/*
 * A directory whose last user is done stays open for LINGER_S more seconds,
 * so back-to-back requests answered on the loop (one at a time) do not each
 * pay openat + statx + close; an idle device is still unmountable within
 * about 2 * LINGER_S of its last request.
 */
#define LINGER_S 0.1
/* main loop only; linger_on is read and written under the shared lock (or on main) */
static ev_timer linger_timer;
static ev_async linger_wakeup;		/* a loop thread asks the main loop for the timer */
static bool linger_on;			/* the timer runs or has been asked for */

static void on_linger(struct ev_loop *loop, ev_timer *w, int revents)
{
	size_t n, i;
	struct mog_dev **devs = mog_dev_list(&n);
	bool left = false;

	for (i = 0; i < n; i++) {
		struct mog_devdir *d = devs[i]->dir;

		if (d == NULL || d->refs > 0)
			continue;
		if (ev_now(loop) - d->idle_since >= LINGER_S)
			close_dir(d);
		else
			left = true;
	}
	if (!left) {
		ev_ref(loop);	/* undo the unref of start_linger() before stopping */
		ev_timer_stop(loop, w);
		linger_on = false;
	}
}

static void start_linger(struct ev_loop *loop)
{
	if (ev_is_active(&linger_timer))
		return;
	ev_timer_init(&linger_timer, on_linger, LINGER_S, LINGER_S);
	ev_timer_start(loop, &linger_timer);
	ev_unref(loop);		/* a lingering directory does not keep the loop alive */
}

static void on_linger_wakeup(struct ev_loop *loop, ev_async *w, int revents)
{
	start_linger(loop);
}

void mog_devdir_start(void)
{
	ev_async_init(&linger_wakeup, on_linger_wakeup);
	ev_async_start(mog_loop, &linger_wakeup);
	ev_unref(mog_loop);
}

/* Under the shared lock (the caller's mog_devdir_put()). */
static void linger(struct mog_devdir *d)
{
	d->idle_since = ev_now(mog_loop);
	if (linger_on)
		return;
	linger_on = true;
	/* the timer is the main loop's: a loop thread asks for it */
	if (mog_loop_current() == mog_loop_main())
		start_linger(mog_loop);
	else
		ev_async_send(mog_loop_main_ev(), &linger_wakeup);
}

void mog_devdir_put(struct mog_devdir *d)
{
	if (d == NULL || --d->refs > 0)
		return;
	if (d->dev == NULL || mog_shutting_down)
		close_dir(d);	/* replaced (remount), or stopping: close now */
	else
		linger(d);
}

int mog_devdir_open_name(const char *name)
{
	struct mog_devdir_probe p;
	int fd = openat(mog_docroot_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || !mog_devdir_require_mount)
		return fd;
	if (look(fd, &p) < 0 || !p.mount_root) {
		close(fd);
		errno = ENODEV;
		return -1;
	}
	return fd;
}

void mog_devdir_refused(struct mog_dev *dev, const char *what, const char *path, int status)
{
	time_t now = time(NULL);
	char why[sizeof(dev->why)];

	mog_loop_shared_lock();		/* dev is every loop's */
	if (now - dev->refused_log < 10) {
		mog_loop_shared_unlock();
		return;
	}
	dev->refused_log = now;
	memcpy(why, dev->why, sizeof(why));
	mog_loop_shared_unlock();
	mog_log(LOG_ERR, "%s %s: %d: dev%u is unavailable: %s", what, path, status, dev->devid,
		why[0] ? why : "a new filesystem there is being checked");
}

void mog_devdir_drop_all(void)
{
	size_t n, i;
	struct mog_dev **devs = mog_dev_list(&n);

	for (i = 0; i < n; i++)
		mog_devdir_drop(devs[i]);
}
