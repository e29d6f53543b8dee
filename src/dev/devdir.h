/* devdir.h: device directories opened per use (never held idle), the mount guard, identity. */
#ifndef MOG_DEVDIR_H
#define MOG_DEVDIR_H

#include <stdbool.h>
#include <sys/types.h>

struct mog_dev;

/* --require-mount: every device directory must be a mount point.  Set before mog_dev_init(). */
extern bool mog_devdir_require_mount;
/* --device-id-file: check (and write at first use) each device's identity file. */
extern bool mog_devdir_idfile;

#define MOG_DEVDIR_WHY 200

/* What a look at one device directory found (see mog_devdir_probe). */
struct mog_devdir_probe {
	dev_t st_dev;
	ino_t st_ino;
	bool mount_root;		/* the root of a mount (statx), not a bare directory */
	int state;			/* 0 usable, 1 usable with a note in why, -1 refused */
	char why[MOG_DEVDIR_WHY];
};

/*
 * Look at the open device directory fd (devid): its filesystem, whether it
 * is a mount point (refused when must_mount and it is not) and, with
 * --device-id-file, its identity file (written when absent).  Does not
 * close fd.  Pool thread (or main at startup): it may wait on the disk.
 */
void mog_devdir_probe(int fd, unsigned devid, bool must_mount, struct mog_devdir_probe *p);

/* Merge a probe of dev into the registry; log when dev becomes (un)available.  Loop thread. */
void mog_devdir_apply(struct mog_dev *dev, const struct mog_devdir_probe *p);

/* Whether a scan must refuse dev when it is not a mount point.  Loop thread. */
bool mog_devdir_must_mount(const struct mog_dev *dev);

/*
 * A device directory open for the requests using it, shared and counted:
 * opened by the first, closed when the last is done, so an idle device holds
 * no descriptor and its disk can be unmounted.  fd stays valid (and its
 * number is never reused) until the holder's mog_devdir_put().
 */
struct mog_devdir {
	int fd;				/* read by any thread while a reference is held */
	unsigned refs;			/* loop thread */
	double idle_since;		/* ev_now() when refs last fell to 0 (it lingers) */
	struct mog_dev *dev;		/* NULL once replaced (remount): freed at the last put */
};

/*
 * A reference to dev's directory, for one request or job, released with
 * mog_devdir_put(); NULL with errno when it cannot be had (ENODEV: the device
 * is unavailable, and dev->why says why).  Loop thread.
 */
struct mog_devdir *mog_devdir_get(struct mog_dev *dev);

/* The main loop's side of lingering directories.  Main thread, once the loop exists. */
void mog_devdir_start(void);

/* Release a reference (NULL: nothing); the last one closes the directory.  Loop thread. */
void mog_devdir_put(struct mog_devdir *d);

/*
 * Open docroot entry name (a device directory not in the registry yet) for
 * the caller, who closes it; with --require-mount, -1 and ENODEV when it is
 * not a mount point.  Any thread.
 */
int mog_devdir_open_name(const char *name);

/* Log (at most every 10 s per device) that a request for unavailable dev was refused.  Loop. */
void mog_devdir_refused(struct mog_dev *dev, const char *what, const char *path, int status);

/* Forget dev's open directory (remounted; gone: its slot too); the next request opens anew. */
void mog_devdir_drop(struct mog_dev *dev);

/* mog_devdir_drop() every device (the mount table changed).  Loop thread. */
void mog_devdir_drop_all(void);

#endif /* MOG_DEVDIR_H */
