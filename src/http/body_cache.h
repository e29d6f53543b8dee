/* body_cache.h: verified bodies of small files, kept so cached GETs need no read and no CRC. */
#ifndef MOG_BODY_CACHE_H
#define MOG_BODY_CACHE_H

#include <stddef.h>
#include <sys/stat.h>
#include "../mog.h"

/* The largest body kept: the loop's in-memory GET limit. */
#define MOG_BODY_CACHE_ITEM_MAX (64 * 1024)

/*
 * Keep at most cap bytes of bodies (entries' bookkeeping included) in this
 * process; 0 turns the cache off.  Called once at startup, before any loop
 * thread runs.
 */
void mog_body_cache_init(size_t cap);

/*
 * The kept body of the file st describes (the same device, inode, size,
 * mtime and ctime; an entry of the inode that no longer matches is dropped),
 * or NULL.  The body is st->st_size bytes; it stays valid until
 * mog_body_cache_release(ref).  Any thread.
 */
const void *mog_body_cache_get(const struct stat *st, void **ref);

/* Done with what mog_body_cache_get() returned.  Any thread. */
void mog_body_cache_release(void *ref);

/*
 * Keep a copy of body (all st->st_size bytes of the file st describes, already
 * checked against its stored CRC, or read with verification off), evicting the
 * least recently used bodies to stay within the cap.  Any thread.
 */
void mog_body_cache_put(const struct stat *st, const void *body);

/* Bytes and entries kept, hits and evictions so far (for /metrics).  Any thread. */
struct mog_body_cache_stats {
	unsigned long long bytes, entries, hits, evictions;
};
void mog_body_cache_stats(struct mog_body_cache_stats *s);

/* The stats as Prometheus text, valid until the next call.  The status listener's loop. */
const char *mog_body_cache_report(void);

/* Free every entry (at exit, after the loops have stopped). */
void mog_body_cache_destroy(void);

#endif
