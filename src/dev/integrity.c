/* integrity.c: the checksum record in user.mog.sum, the small-file CRC cache, quarantine. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include "xalloc.h"
#include "../core/log.h"
#include "integrity.h"

bool mog_integrity_verify = true;
bool mog_integrity_put_md5;

const char *const mog_integrity_counter_names[MOG_IC_N] = {
	"written", "verified", "adopted", "corrupt", "quarantined", "store_failed"
};

static unsigned long long counters[MOG_IC_N];

void mog_integrity_count(enum mog_integrity_counter c)
{
	__atomic_fetch_add(&counters[c], 1, __ATOMIC_RELAXED);
}

unsigned long long mog_integrity_get(enum mog_integrity_counter c)
{
	return __atomic_load_n(&counters[c], __ATOMIC_RELAXED);
}

/* Filesystems (st_dev) that refused a user xattr: a short list, rarely written. */
#define NO_XATTR_MAX 32
static dev_t no_xattr[NO_XATTR_MAX];
static unsigned n_no_xattr;
static pthread_mutex_t no_xattr_lock = PTHREAD_MUTEX_INITIALIZER;

bool mog_integrity_unsupported(const struct stat *st)
{
	unsigned i, n = __atomic_load_n(&n_no_xattr, __ATOMIC_ACQUIRE);

	for (i = 0; i < n; i++)
		if (no_xattr[i] == st->st_dev)
			return true;
	return false;
}

static void mark_unsupported(const struct stat *st)
{
	pthread_mutex_lock(&no_xattr_lock);
	if (!mog_integrity_unsupported(st) && n_no_xattr < NO_XATTR_MAX) {
		no_xattr[n_no_xattr] = st->st_dev;
		__atomic_store_n(&n_no_xattr, n_no_xattr + 1, __ATOMIC_RELEASE);
		mog_log(LOG_WARNING, "filesystem %u:%u keeps no user xattrs: its files have no "
			"checksums", major(st->st_dev), minor(st->st_dev));
	}
	pthread_mutex_unlock(&no_xattr_lock);
}

enum mog_integrity_load mog_integrity_load(int fd, struct mog_sum *s)
{
	unsigned char buf[MOG_SUM_MAX_LEN];
	ssize_t n = fgetxattr(fd, MOG_INTEGRITY_XATTR, buf, sizeof(buf));

	if (n < 0)
		return errno == ERANGE ? MOG_INTEGRITY_DAMAGED : MOG_INTEGRITY_NONE;
	switch (mog_sum_decode(s, buf, (size_t)n)) {
	case MOG_SUM_OK:
		return MOG_INTEGRITY_LOADED;
	case MOG_SUM_NEWER:
		return MOG_INTEGRITY_NEWER;
	default:
		return MOG_INTEGRITY_DAMAGED;
	}
}

int mog_integrity_store(int fd, struct mog_sum *s, const struct stat *st)
{
	unsigned char buf[MOG_SUM_MAX_LEN];
	size_t len;

	if (mog_integrity_unsupported(st)) {
		errno = ENOTSUP;
		return -1;
	}
	s->ino = (uint64_t)st->st_ino;
	s->mtime_sec = (int64_t)st->st_mtim.tv_sec;
	s->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	len = mog_sum_encode(s, buf);
	if (fsetxattr(fd, MOG_INTEGRITY_XATTR, buf, len, 0) < 0) {
		int err = errno;

		if (err == ENOTSUP)
			mark_unsupported(st);
		else
			mog_integrity_count(MOG_IC_STORE_FAILED);
		errno = err;
		return -1;
	}
	if (s->nblocks == 1)
		mog_integrity_cache_put(st, s->crc[0], false);
	return 0;
}

int mog_integrity_drop(int fd)
{
	if (fremovexattr(fd, MOG_INTEGRITY_XATTR) < 0 && errno != ENODATA && errno != ENOTSUP)
		return -1;
	return 0;
}

bool mog_integrity_adoptable(const struct stat *st)
{
	return st->st_mtime <= time(NULL) - MOG_INTEGRITY_ADOPT_AGE;
}

bool mog_integrity_bound(const struct mog_sum *s, const struct stat *st)
{
	return s->size == (uint64_t)st->st_size && s->ino == (uint64_t)st->st_ino &&
	       s->mtime_sec == (int64_t)st->st_mtim.tv_sec &&
	       s->mtime_nsec == (uint32_t)st->st_mtim.tv_nsec;
}

bool mog_integrity_md5(int fd, const struct stat *st, char *hex)
{
	struct mog_sum s;

	if (mog_integrity_load(fd, &s) != MOG_INTEGRITY_LOADED || !s.has_md5 ||
	    !mog_integrity_bound(&s, st))
		return false;
	mog_digest_hex(s.md5, 16, hex);
	return true;
}

bool mog_integrity_add_md5(int fd, struct mog_sum *s, const unsigned char md5[16])
{
	struct stat now;

	if (fstat(fd, &now) < 0 || !mog_integrity_bound(s, &now))
		return false;
	memcpy(s->md5, md5, 16);
	s->has_md5 = true;
	return mog_integrity_store(fd, s, &now) == 0;
}

struct mog_integrity_fill {
	bool ok;
	struct mog_sum_check check;
	struct mog_sum sum;
};

struct mog_integrity_fill *mog_integrity_fill_start(int fd, const struct stat *st)
{
	struct mog_integrity_fill *f = xmalloc(sizeof(*f));

	if (mog_integrity_load(fd, &f->sum) != MOG_INTEGRITY_LOADED || f->sum.has_md5 ||
	    !mog_integrity_bound(&f->sum, st)) {
		free(f);
		return NULL;
	}
	f->ok = true;
	mog_sum_check_init(&f->check, &f->sum);
	return f;
}

void mog_integrity_fill_update(struct mog_integrity_fill *f, const void *buf, size_t len)
{
	if (f && f->ok)
		f->ok = mog_sum_check_update(&f->check, buf, len);
}

void mog_integrity_fill_finish(struct mog_integrity_fill *f, int fd,
			       const unsigned char md5[16])
{
	if (f && f->ok && f->check.pos == f->sum.size)
		mog_integrity_add_md5(fd, &f->sum, md5);
	free(f);
}

int mog_integrity_quarantine(int dev_fd, unsigned devid, const char *rel, ino_t ino,
			     const char *why)
{
	char dst[MOG_PATH_MAX + 64];
	size_t off, i;
	struct stat st;

	mog_integrity_count(MOG_IC_CORRUPT);
	while (*rel == '/')
		rel++;
	if (fstatat(dev_fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_ino != ino) {
		mog_log(LOG_ERR, "dev%u/%s: %s; already replaced, not quarantined", devid, rel, why);
		return -1;
	}
	if (mkdirat(dev_fd, MOG_QUARANTINE, 0755) < 0 && errno != EEXIST) {
		mog_log_errno("dev%u/%s: %s; mkdir %s failed", devid, rel, why, MOG_QUARANTINE);
		return -1;
	}
	/* one flat directory: "0/000/000/0000000123.fid" becomes "0_000_000_0000000123.fid.T" */
	off = (size_t)snprintf(dst, sizeof(dst), "%s/", MOG_QUARANTINE);
	for (i = 0; rel[i] != '\0' && off < sizeof(dst) - 32; i++)
		dst[off++] = rel[i] == '/' ? '_' : rel[i];
	snprintf(dst + off, sizeof(dst) - off, ".%lld", (long long)time(NULL));
	if (renameat(dev_fd, rel, dev_fd, dst) < 0) {
		mog_log_errno("dev%u/%s: %s; rename to %s failed", devid, rel, why, dst);
		return -1;
	}
	mog_integrity_count(MOG_IC_QUARANTINED);
	mog_log(LOG_ERR, "dev%u/%s: %s; moved to dev%u/%s", devid, rel, why, devid, dst);
	return 0;
}

/* 4-way set associative, 16384 entries (768 KiB, touched only as used): a miss
 * only costs the request a trip to the pool and an xattr read. */
#define CACHE_SETS 4096
#define CACHE_WAYS 4

struct cache_slot {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	uint32_t crc;
	bool none;			/* no record */
	bool used;
};

static struct cache_slot cache[CACHE_SETS][CACHE_WAYS];
static unsigned char cache_next[CACHE_SETS];	/* the way to replace next */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned set_of(const struct stat *st)
{
	uint64_t k = ((uint64_t)st->st_ino ^ (uint64_t)st->st_dev << 32) * 0x9e3779b97f4a7c15ull;

	return (unsigned)(k >> 40) % CACHE_SETS;
}

static bool same_file(const struct cache_slot *c, const struct stat *st)
{
	return c->used && c->dev == st->st_dev && c->ino == st->st_ino;
}

bool mog_integrity_cache_get(const struct stat *st, uint32_t *crc, bool *none)
{
	struct cache_slot *set = cache[set_of(st)];
	bool hit = false;
	int w;

	pthread_mutex_lock(&cache_lock);
	for (w = 0; w < CACHE_WAYS && !hit; w++) {
		struct cache_slot *c = &set[w];

		hit = same_file(c, st) && c->size == st->st_size &&
		      c->mtime.tv_sec == st->st_mtim.tv_sec &&
		      c->mtime.tv_nsec == st->st_mtim.tv_nsec;
		if (hit) {
			*crc = c->crc;
			*none = c->none;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	return hit;
}

void mog_integrity_cache_put(const struct stat *st, uint32_t crc, bool none)
{
	unsigned s = set_of(st);
	struct cache_slot *set = cache[s];
	int w;

	pthread_mutex_lock(&cache_lock);
	for (w = 0; w < CACHE_WAYS && !same_file(&set[w], st) && set[w].used; w++)
		;
	if (w == CACHE_WAYS) {
		w = cache_next[s];
		cache_next[s] = (unsigned char)((w + 1) % CACHE_WAYS);
	}
	set[w] = (struct cache_slot){ st->st_dev, st->st_ino, st->st_size, st->st_mtim, crc, none,
				      true };
	pthread_mutex_unlock(&cache_lock);
}
