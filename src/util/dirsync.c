/* dirsync.c: directory fsync with group commit: concurrent callers share syncs. */
#include <config.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "xalloc.h"
#include "dirsync.h"

/* One directory being synced; it lives while a caller uses it. */
struct dirsync {
	dev_t dev;
	ino_t ino;
	unsigned users;			/* callers inside mog_dirsync() */
	unsigned long requested;	/* the last ticket handed out */
	unsigned long synced;		/* tickets up to this one are settled */
	unsigned long failed_upto;	/* tickets up to this one may have failed */
	int err;			/* errno of the last failed fsync */
	bool syncing;			/* a caller runs fsync now */
	pthread_cond_t done;		/* a sync ended */
	struct dirsync *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct dirsync *dirs;		/* under lock; a handful at most (one per busy dir) */

static struct dirsync *get_locked(dev_t dev, ino_t ino)
{
	struct dirsync *d;

	for (d = dirs; d; d = d->next)
		if (d->dev == dev && d->ino == ino)
			break;
	if (d == NULL) {
		d = xzalloc(sizeof(*d));
		d->dev = dev;
		d->ino = ino;
		pthread_cond_init(&d->done, NULL);
		d->next = dirs;
		dirs = d;
	}
	d->users++;
	return d;
}

static void put_locked(struct dirsync *d)
{
	struct dirsync **pp;

	if (--d->users > 0)
		return;
	for (pp = &dirs; *pp != d; pp = &(*pp)->next)
		;
	*pp = d->next;
	pthread_cond_destroy(&d->done);
	free(d);
}

int mog_dirsync(int dir_fd)
{
	struct dirsync *d;
	unsigned long ticket;
	struct stat st;
	int rc = 0, err = 0;

	if (fstat(dir_fd, &st) < 0)
		return -1;
	pthread_mutex_lock(&lock);
	d = get_locked(st.st_dev, st.st_ino);
	ticket = ++d->requested;	/* our entries changed before this point */
	while (d->synced < ticket) {
		unsigned long upto;

		if (d->syncing) {	/* it may have started before our change: wait */
			pthread_cond_wait(&d->done, &lock);
			continue;
		}
		upto = d->requested;	/* one fsync for every ticket handed out so far */
		d->syncing = true;
		pthread_mutex_unlock(&lock);
		rc = fsync(dir_fd);
		err = errno;
		pthread_mutex_lock(&lock);
		d->syncing = false;
		if (rc < 0) {
			d->failed_upto = upto;
			d->err = err;
		}
		d->synced = upto;
		pthread_cond_broadcast(&d->done);
	}
	/* conservative: a ticket at or below a failed sync's counts as failed */
	if (ticket <= d->failed_upto) {
		rc = -1;
		err = d->err;
	} else {
		rc = 0;
	}
	put_locked(d);
	pthread_mutex_unlock(&lock);
	if (rc < 0)
		errno = err;
	return rc;
}
