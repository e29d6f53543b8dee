/* fs_cached.c: read a small file range only when it is all in memory (loop thread safe). */
#include <config.h>
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include "fs.h"

#ifndef SYS_cachestat
# define SYS_cachestat 451	/* Linux 6.5, the same number on every architecture */
#endif
#define TMPFS_MAGIC_ 0x01021994
#define RAMFS_MAGIC_ 0x858458f6

/* cachestat(2)'s argument and result, as the kernel defines them */
struct cachestat_range_ {
	uint64_t off, len;
};
struct cachestat_ {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

/* How a filesystem's cached pages are read without waiting on a disk. */
enum how {
	HOW_UNKNOWN,	/* not tried yet: RWF_NOWAIT first */
	HOW_NOWAIT,	/* preadv2(RWF_NOWAIT) */
	HOW_CACHESTAT,	/* tmpfs, ramfs: RWF_NOWAIT refused; cachestat(2), then pread */
	HOW_NONE	/* neither: always the pool */
};

/* a few filesystems by st_dev, per thread (each loop thread learns its own) */
#define NFS_SEEN 8
static __thread struct {
	dev_t dev;
	enum how how;
} seen[NFS_SEEN];
static __thread unsigned seen_next;

static enum how how_of(dev_t dev)
{
	unsigned i;

	for (i = 0; i < NFS_SEEN; i++)
		if (seen[i].how != HOW_UNKNOWN && seen[i].dev == dev)
			return seen[i].how;
	return HOW_UNKNOWN;
}

static void remember(dev_t dev, enum how how)
{
	unsigned i = seen_next++ % NFS_SEEN;

	seen[i].dev = dev;
	seen[i].how = how;
}

/* RWF_NOWAIT refused (EOPNOTSUPP): a memory filesystem is read after cachestat(2) */
static enum how learn(int fd)
{
	struct statfs sfs;
	struct cachestat_range_ r = { 0, 1 };
	struct cachestat_ cs;

	if (fstatfs(fd, &sfs) < 0)
		return HOW_NONE;
	if (sfs.f_type != TMPFS_MAGIC_ && sfs.f_type != RAMFS_MAGIC_)
		return HOW_NONE;
	if (syscall(SYS_cachestat, fd, &r, &cs, 0) < 0)
		return HOW_NONE;	/* before Linux 6.5 */
	return HOW_CACHESTAT;
}

/* Whether every page of [off, off + len) of fd is resident. */
static bool all_cached(int fd, size_t len, off_t off)
{
	static __thread long page;
	struct cachestat_range_ r;
	struct cachestat_ cs;
	uint64_t first, last;

	if (page == 0)
		page = sysconf(_SC_PAGESIZE);
	first = (uint64_t)off / (uint64_t)page;
	last = ((uint64_t)off + len + (uint64_t)page - 1) / (uint64_t)page;
	r.off = first * (uint64_t)page;
	r.len = (last - first) * (uint64_t)page;
	if (syscall(SYS_cachestat, fd, &r, &cs, 0) < 0)
		return false;
	return cs.nr_cache >= last - first && cs.nr_evicted == 0;
}

/*
 * No swap at all (checked at most once a second): a tmpfs page cannot be
 * anywhere but in memory, so cachestat(2) is not needed.  A swapon takes
 * effect here within a second.
 */
static bool swap_off(void)
{
	static __thread time_t checked = -1;
	static __thread bool off;
	time_t now = time(NULL);
	struct sysinfo si;

	if (now != checked) {
		off = sysinfo(&si) == 0 && si.totalswap == 0;
		checked = now;
	}
	return off;
}

ssize_t mog_fs_pread_cached(int fd, dev_t dev, void *buf, size_t len, off_t off)
{
	enum how how = how_of(dev);
	ssize_t n;

	if (how == HOW_UNKNOWN || how == HOW_NOWAIT) {
		n = preadv2(fd, &(struct iovec){ buf, len }, 1, off, RWF_NOWAIT);
		if (n >= 0 || errno != EOPNOTSUPP) {
			if (how == HOW_UNKNOWN && (n >= 0 || errno == EAGAIN))
				remember(dev, HOW_NOWAIT);
			return n;
		}
		how = learn(fd);
		remember(dev, how);
	}
	if (how != HOW_CACHESTAT || (!swap_off() && !all_cached(fd, len, off))) {
		errno = EAGAIN;
		return -1;
	}
	return pread(fd, buf, len, off);
}
