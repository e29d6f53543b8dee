/* fs.h: file access confined below a directory descriptor.  Pool threads (they may block). */
#ifndef MOG_FS_H
#define MOG_FS_H

#include <stdbool.h>
#include <sys/types.h>
#include "../mog.h"

/* The process umask, read once at startup (umask(2) cannot be read without changing it). */
extern mode_t mog_umask;

/*
 * Open rel (relative; leading '/' ignored; "" means dir_fd itself) below
 * dir_fd without following any symbolic link and without leaving dir_fd
 * (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, or an O_NOFOLLOW walk on
 * kernels without openat2).  flags as for open(2), O_CREAT allowed for the
 * last component.  A symlink anywhere fails with ELOOP.  Returns a new fd
 * (O_CLOEXEC) that the caller owns, or -1 with errno set.  dir_fd stays the
 * caller's.
 */
int mog_fs_open_beneath(int dir_fd, const char *rel, int flags, mode_t mode);

/*
 * As mog_fs_open_beneath(), but only if every dentry and inode on the way is
 * already in memory (openat2 RESOLVE_CACHED): it never waits on a disk, so
 * the loop thread may call it.  Fails with EAGAIN when the lookup would need
 * I/O, and with ENOSYS when the kernel cannot do this at all.  The returned fd
 * is the caller's.
 */
int mog_fs_open_cached(int dir_fd, const char *rel, int flags);

/*
 * Read up to len bytes at off from fd (a regular file on the filesystem
 * st_dev dev) only if they are all in memory: preadv2(RWF_NOWAIT), or, on
 * tmpfs and ramfs, which refuse RWF_NOWAIT, cachestat(2) (Linux 6.5) then
 * pread (without cachestat when no swap is configured).  It never waits on a
 * disk (tmpfs pages in swap count as not in memory), so the loop thread may
 * call it.  Returns bytes read, or -1 with
 * EAGAIN when the data is not in memory or cannot be known to be (then the
 * caller reads on a pool thread).  What it learns per filesystem is kept per
 * thread.
 */
ssize_t mog_fs_pread_cached(int fd, dev_t dev, void *buf, size_t len, off_t off);

/*
 * Open the directory that will hold rel's last component, creating missing
 * directories (mode 0777 & ~umask) only after an open fails with ENOENT.
 * With sync, each directory that gained an entry this way is synced
 * (mog_dirsync) before the call returns, so the new path survives a crash.
 * Stores the offset of the last component in *base_off.  Same confinement
 * as mog_fs_open_beneath().  Returns a new directory fd that the caller
 * owns (never dir_fd itself), or -1 with errno.
 */
int mog_fs_open_parent(int dir_fd, const char *rel, size_t *base_off, bool sync);

#endif /* MOG_FS_H */
