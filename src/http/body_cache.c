/* body_cache.c: verified bodies of small files, kept so cached GETs need no read and no CRC. */
#include <config.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "xalloc.h"
#include "body_cache.h"

/*
 * A hash table of entries chained per bucket, and one list from the most to
 * the least recently used.  One mutex guards both; it is held only to look
 * up, link and unlink (never while copying a body in or sending one out).
 * An entry evicted while a loop is still sending from it is unlinked and
 * freed by the last release.
 */
struct entry {
	struct entry *hnext;		/* bucket chain */
	struct entry *newer, *older;	/* use order */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	unsigned refs;			/* senders, plus one while linked */
	char body[];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry **buckets;
static size_t nbuckets;			/* a power of 2; 0: the cache is off */
static struct entry *newest, *oldest;
static size_t cap, used;
static struct mog_body_cache_stats stats;

void mog_body_cache_init(size_t bytes)
{
	size_t n = 256;

	cap = bytes;
	if (cap == 0)
		return;
	while (n < cap / 8192 && n < (size_t)1 << 20)	/* about one bucket per entry of 8 KiB */
		n <<= 1;
	buckets = xcalloc(n, sizeof(*buckets));
	nbuckets = n;
}

static size_t bucket_of(dev_t dev, ino_t ino)
{
	uint64_t k = ((uint64_t)ino ^ (uint64_t)dev << 32) * 0x9e3779b97f4a7c15ull;

	return (size_t)(k >> 32) & (nbuckets - 1);
}

static size_t cost_of(const struct entry *e)
{
	return sizeof(*e) + (size_t)e->size;
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* The file has not changed since e was taken: same size and times (a rewrite
 * in place moves mtime and ctime; a new file from a PUT is a new inode). */
static bool matches(const struct entry *e, const struct stat *st)
{
	return e->size == st->st_size && same_time(&e->mtime, &st->st_mtim) &&
	       same_time(&e->ctime, &st->st_ctim);
}

static struct entry **find_locked(dev_t dev, ino_t ino)
{
	struct entry **p = &buckets[bucket_of(dev, ino)];

	while (*p && ((*p)->dev != dev || (*p)->ino != ino))
		p = &(*p)->hnext;
	return p;
}

static void unuse_locked(struct entry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		oldest = e->newer;
	e->newer = e->older = NULL;
}

static void use_locked(struct entry *e)
{
	e->older = newest;
	e->newer = NULL;
	if (newest)
		newest->newer = e;
	newest = e;
	if (oldest == NULL)
		oldest = e;
}

/* Unlink *p (its chain slot); freed now or by the last sender's release. */
static void drop_locked(struct entry **p)
{
	struct entry *e = *p;

	*p = e->hnext;
	unuse_locked(e);
	used -= cost_of(e);
	stats.entries--;
	if (--e->refs == 0)
		free(e);
}

const void *mog_body_cache_get(const struct stat *st, void **ref)
{
	struct entry **p, *e = NULL;

	*ref = NULL;
	if (nbuckets == 0)
		return NULL;
	pthread_mutex_lock(&lock);
	p = find_locked(st->st_dev, st->st_ino);
	if (*p && !matches(*p, st)) {
		drop_locked(p);		/* changed since: the old body is no use */
	} else if (*p) {
		e = *p;
		e->refs++;
		unuse_locked(e);
		use_locked(e);
		stats.hits++;
	}
	pthread_mutex_unlock(&lock);
	*ref = e;
	return e ? e->body : NULL;
}

void mog_body_cache_release(void *ref)
{
	struct entry *e = ref;
	bool last;

	if (e == NULL)
		return;
	pthread_mutex_lock(&lock);
	last = --e->refs == 0;
	pthread_mutex_unlock(&lock);
	if (last)
		free(e);
}

void mog_body_cache_put(const struct stat *st, const void *body)
{
	struct entry *e, **p;

	if (nbuckets == 0 || st->st_size <= 0 || st->st_size > MOG_BODY_CACHE_ITEM_MAX ||
	    sizeof(*e) + (size_t)st->st_size > cap)
		return;
	e = xmalloc(sizeof(*e) + (size_t)st->st_size);	/* copied outside the lock */
	*e = (struct entry){ .dev = st->st_dev, .ino = st->st_ino, .size = st->st_size,
			     .mtime = st->st_mtim, .ctime = st->st_ctim, .refs = 1 };
	memcpy(e->body, body, (size_t)st->st_size);
	pthread_mutex_lock(&lock);
	p = find_locked(st->st_dev, st->st_ino);
	if (*p)
		drop_locked(p);		/* another loop's copy, or an older version */
	while (used + cost_of(e) > cap && oldest) {
		drop_locked(find_locked(oldest->dev, oldest->ino));
		stats.evictions++;
	}
	p = find_locked(st->st_dev, st->st_ino);
	e->hnext = NULL;
	*p = e;
	use_locked(e);
	used += cost_of(e);
	stats.entries++;
	pthread_mutex_unlock(&lock);
}

void mog_body_cache_stats(struct mog_body_cache_stats *s)
{
	pthread_mutex_lock(&lock);
	*s = stats;
	s->bytes = used;
	pthread_mutex_unlock(&lock);
}

const char *mog_body_cache_report(void)
{
	static char text[1024];		/* status listener's loop only */
	struct mog_body_cache_stats s;

	mog_body_cache_stats(&s);
	snprintf(text, sizeof(text),
		 "# HELP evmogstored_body_cache_bytes Bytes of small files' checked bodies kept "
		 "in memory (--body-cache).\n"
		 "# TYPE evmogstored_body_cache_bytes gauge\n"
		 "evmogstored_body_cache_bytes %llu\n"
		 "# HELP evmogstored_body_cache_entries Files whose bodies are kept.\n"
		 "# TYPE evmogstored_body_cache_entries gauge\n"
		 "evmogstored_body_cache_entries %llu\n"
		 "# HELP evmogstored_body_cache_hits_total GETs answered from a kept body.\n"
		 "# TYPE evmogstored_body_cache_hits_total counter\n"
		 "evmogstored_body_cache_hits_total %llu\n"
		 "# HELP evmogstored_body_cache_evictions_total Bodies dropped to stay within "
		 "the size.\n"
		 "# TYPE evmogstored_body_cache_evictions_total counter\n"
		 "evmogstored_body_cache_evictions_total %llu\n",
		 s.bytes, s.entries, s.hits, s.evictions);
	return text;
}

void mog_body_cache_destroy(void)
{
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nbuckets; i++)
		while (buckets[i])
			drop_locked(&buckets[i]);
	free(buckets);
	buckets = NULL;
	nbuckets = 0;
	pthread_mutex_unlock(&lock);
}
