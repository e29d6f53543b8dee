/* cleanup.h: temporary files left behind by a crash (doc/protocol.md, Commit). */
#ifndef MOG_CLEANUP_H
#define MOG_CLEANUP_H

#include "../mog.h"

/*
 * True if name is "<base>.<8 lowercase hex>.<pid>.tmp", the pattern of our
 * own PUT temporary files; *pid is set to the pid in it.  Any thread.
 */
bool mog_cleanup_is_temp(const char *name, long *pid);

/*
 * Remove, below dir_fd (never crossing into another filesystem, never
 * following a symlink), every temporary file whose pid is not a running
 * process.  Returns how many were removed.  Pool thread (it walks the tree).
 */
unsigned long mog_cleanup_walk(int dir_fd);

#endif /* MOG_CLEANUP_H */
