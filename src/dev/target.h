/* target.h: a request path -> (device, directory, path below it); HTTP and sideband. */
#ifndef MOG_TARGET_H
#define MOG_TARGET_H

#include "dev.h"

struct mog_devdir;

/* What a request path names.  Filled by mog_target_lookup(); plain data, owned by the request. */
struct mog_target {
	struct mog_dev *dev;	/* the present, registered device the path names; NULL if none */
	unsigned devid;		/* its number; MOG_DEVID_NONE unless the name is canonical */
	bool in_dev;		/* the path starts with a "/devN" component (any digits: dev01 too) */
	size_t rest_off;	/* in_dev: the path below the device directory starts here; else 0 */
	struct mog_devdir *dir;	/* dev's directory: the request's reference (devdir.h), or NULL */
	int dir_err;		/* why dir is NULL although dev is not (ENODEV: unavailable) */
};

/*
 * Classify path[0..len): "/devN/..." names device N (mog_dev_get(); a name
 * with a leading zero or out of range names none, but is still resolved
 * below the docroot entry of that name); any other path is resolved below
 * the docroot.  A registered device's directory is referenced for the
 * request (opened if no other request has it open: a dentry-cache lookup)
 * until mog_target_release(); an unavailable device gets none (dir_err
 * ENODEV).  Loop thread.
 */
void mog_target_lookup(struct mog_target *t, const char *path, size_t len);

/* Release what mog_target_lookup() took (once the request's jobs are done).  Loop thread. */
void mog_target_release(struct mog_target *t);

/* Whether t names a registered device that is unavailable (not mounted, wrong identity). */
bool mog_target_unavailable(const struct mog_target *t);

/*
 * Open the directory that t's path is resolved in, and set *rel to the part
 * of path below it: the device directory (the registered device's, or else
 * the docroot entry "devN", which may be a symlink to a mount point, refused
 * with ENODEV under --require-mount when it is not one), or the docroot for
 * paths outside any device.  Returns a descriptor, or -1 with errno (ENOENT:
 * no such device; ENODEV: the device is unavailable).  The caller holds it until it gives it
 * back with mog_target_close_dir(t, fd), and never closes it itself: whether
 * it is shared (a registered device's directory, the docroot) or was opened for
 * this request is the resolver's business alone.  Pool thread (it may block
 * on the disk).
 */
int mog_target_open_dir(const struct mog_target *t, const char *path, const char **rel);

/* Give back fd from mog_target_open_dir(t, ...) (-1 is ignored); errno is kept.  Pool thread. */
void mog_target_close_dir(const struct mog_target *t, int fd);

/*
 * The registered device's directory, for the loop's in-memory fast path
 * (mog_fs_open_cached()), or -1 when t names no registered device.  Borrowed:
 * the caller uses it before returning to the loop, and neither closes nor
 * keeps it.  Loop thread.
 */
int mog_target_cached_dir(const struct mog_target *t);

/* The pool that t's blocking work runs on: its device's, or the docroot pool.  Loop thread. */
struct mog_dev_pool *mog_target_pool(const struct mog_target *t);

#endif /* MOG_TARGET_H */
