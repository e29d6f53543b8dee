/* body_cache_test.c: hits and misses by file identity, the size bound, LRU order, refs. */
#include <config.h>
#include <string.h>
#include "../../src/http/body_cache.c"
#include "tap.h"

static struct stat file(ino_t ino, off_t size, long mtime_ns, long ctime_ns)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_dev = 7;
	st.st_ino = ino;
	st.st_size = size;
	st.st_mtim.tv_sec = 1000;
	st.st_mtim.tv_nsec = mtime_ns;
	st.st_ctim.tv_sec = 1000;
	st.st_ctim.tv_nsec = ctime_ns;
	return st;
}

int main(void)
{
	static char a[40000], b[40000], c[40000];
	struct mog_body_cache_stats s;
	struct stat fa = file(1, sizeof(a), 1, 1), fb = file(2, sizeof(b), 1, 1);
	struct stat fc = file(3, sizeof(c), 1, 1), moved;
	const char *got;
	void *ref, *ref2;

	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	memset(c, 'c', sizeof(c));

	ok(nbuckets == 0, "off before init");
	ok(mog_body_cache_get(&fa, &ref) == NULL && ref == NULL, "off: a miss");
	mog_body_cache_init(2 * (sizeof(struct entry) + sizeof(a)));	/* room for two */
	ok(nbuckets != 0, "on after init");

	ok(mog_body_cache_get(&fa, &ref) == NULL, "empty: a miss");
	mog_body_cache_put(&fa, a);
	got = mog_body_cache_get(&fa, &ref);
	ok(got && memcmp(got, a, sizeof(a)) == 0, "a hit with a's bytes");
	mog_body_cache_release(ref);

	moved = file(1, sizeof(a), 2, 1);
	ok(mog_body_cache_get(&moved, &ref) == NULL, "another mtime: a miss");
	mog_body_cache_stats(&s);
	is(s.entries, 0ull, "and the stale entry is dropped");
	mog_body_cache_put(&fa, a);
	moved = file(1, sizeof(a), 1, 2);
	ok(mog_body_cache_get(&moved, &ref) == NULL, "another ctime: a miss");
	mog_body_cache_put(&fa, a);
	moved = file(1, sizeof(a) - 1, 1, 1);
	ok(mog_body_cache_get(&moved, &ref) == NULL, "another size: a miss");
	moved = fa;
	moved.st_dev = 8;
	mog_body_cache_put(&fa, a);
	ok(mog_body_cache_get(&moved, &ref) == NULL, "the same inode number on another device: a miss");

	/* a, b in; a used; c in: b (least recently used) goes */
	mog_body_cache_put(&fb, b);
	mog_body_cache_stats(&s);
	is(s.entries, 2ull, "two kept");
	ok(mog_body_cache_get(&fa, &ref) != NULL, "a used");
	mog_body_cache_release(ref);
	mog_body_cache_put(&fc, c);
	mog_body_cache_stats(&s);
	is(s.entries, 2ull, "still two after a third");
	ok(s.bytes <= 2 * (sizeof(struct entry) + sizeof(a)), "within the bound");
	is(s.evictions, 1ull, "one evicted");
	ok(mog_body_cache_get(&fb, &ref) == NULL, "the least recently used one went");
	got = mog_body_cache_get(&fa, &ref);
	ok(got && got[0] == 'a', "the recently used one stayed");

	/* a sender holding a: evicting it leaves its bytes valid until the release */
	mog_body_cache_put(&fb, b);		/* evicts c (a was just used) */
	got = mog_body_cache_get(&fc, &ref2);
	ok(got == NULL, "c evicted for b");
	mog_body_cache_put(&fc, c);		/* evicts a, which is still held */
	ok(mog_body_cache_get(&fa, &ref2) == NULL, "a evicted while held");
	got = ((struct entry *)ref)->body;
	ok(got[0] == 'a' && got[sizeof(a) - 1] == 'a', "a's bytes still there for its sender");
	mog_body_cache_release(ref);		/* frees it (valgrind and ASan check) */

	/* too big for the bound, or empty: not kept */
	{
		static char big[MOG_BODY_CACHE_ITEM_MAX + 1];
		struct stat fbig = file(9, sizeof(big), 1, 1), fnil = file(10, 0, 1, 1);

		mog_body_cache_put(&fbig, big);
		ok(mog_body_cache_get(&fbig, &ref) == NULL, "over 64 KiB: not kept");
		mog_body_cache_put(&fnil, big);
		ok(mog_body_cache_get(&fnil, &ref) == NULL, "empty: not kept");
	}
	mog_body_cache_stats(&s);
	ok(s.hits >= 3, "hits counted");
	mog_body_cache_destroy();
	ok(nbuckets == 0, "off after destroy");
	return done_testing();
}
