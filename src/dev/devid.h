/* devid.h: the optional identity file of a device directory (--device-id-file). */
#ifndef MOG_DEVID_H
#define MOG_DEVID_H

#include <stddef.h>

/* Its name inside each device directory. */
#define MOG_DEVID_FILE ".evmogstored-id"

/*
 * The identity of the filesystem holding dir_fd into out (size n):
 * "uuid:<hex>" (FS_IOC_GETFSUUID), else "fsid:<hex>" (statfs), else "unknown".
 * Any thread; it may wait on the disk.
 */
void mog_devid_fs(int dir_fd, char *out, size_t n);

/*
 * Check the identity file of device directory dir_fd against devid and its
 * filesystem; write it (temp file, fsync, link: never replacing one another
 * process wrote first) when absent.  Returns 0 when it matches, 1 when it
 * matches with a note in why (just written, or could not be written), -1
 * when the device must be refused, with the reason in why (size n).  Pool
 * thread (or main at startup): it reads and may write the disk.
 */
int mog_devid_check(int dir_fd, unsigned devid, char *why, size_t n);

#endif /* MOG_DEVID_H */
