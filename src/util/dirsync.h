/* dirsync.h: durable directory entries, one fsync shared by concurrent callers. */
#ifndef MOG_DIRSYNC_H
#define MOG_DIRSYNC_H

/*
 * Make the entries of directory dir_fd (as they are when the call starts)
 * durable: fsync(dir_fd), except that callers for the same directory (by
 * st_dev and st_ino) share syncs.  A caller that arrives while a sync of
 * that directory runs waits for it to end, then one of the waiters runs one
 * more fsync for all of them (group commit): N concurrent PUTs into one
 * directory cost about 2 fsyncs, not N, and none returns before an fsync
 * that started after its call did.  Returns 0, or -1 with errno (EIO, ...)
 * when the sync covering this call failed.  dir_fd stays the caller's.
 * Pool threads (it blocks on the disk and on other callers' syncs).
 */
int mog_dirsync(int dir_fd);

#endif /* MOG_DIRSYNC_H */
