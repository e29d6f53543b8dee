/* fuzz.h: helpers shared by the libFuzzer drivers in test/fuzz/ (never built by make check). */
#ifndef MOG_FUZZ_H
#define MOG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sanitizer/asan_interface.h>	/* the POISON macros are no-ops without ASan */

/* An invariant: unlike assert() it survives NDEBUG, and libFuzzer saves the input. */
#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* An exact-size heap copy, so ASan reports any read past the bytes handed over. */
static inline char *fuzz_dup(const void *p, size_t n)
{
	char *q = malloc(n ? n : 1);

	CHECK(q != NULL);
	if (n)
		memcpy(q, p, n);
	return q;
}

/* A split point in [0, n] taken from the first input byte (0 when empty). */
static inline size_t fuzz_split(const uint8_t *data, size_t n)
{
	return n == 0 ? 0 : (size_t)data[0] * n / 255;
}

/* A tiny deterministic PRNG (xorshift32) for feeding patterns derived from the input. */
static inline uint32_t fuzz_rand(uint32_t *s)
{
	uint32_t x = *s ? *s : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static inline uint32_t fuzz_seed(const uint8_t *data, size_t n)
{
	uint32_t h = 2166136261u;	/* FNV-1a over at most 64 bytes */
	size_t i;

	for (i = 0; i < n && i < 64; i++)
		h = (h ^ data[i]) * 16777619u;
	return h ^ (uint32_t)n;
}

/*
 * The bytes of buf[0..n) a parser may look at: everything outside the
 * window [a, b) is poisoned, so ASan reports a parser that reads past the
 * length it was given or (streaming parsers) re-reads bytes it was fed
 * earlier.  Windows only move forward, in O(distance moved).  ASan poisons
 * in 8-byte granules and errs on the side of fewer reports, never false ones.
 */
struct fuzz_win {
	const char *buf;
	size_t n, a, b;
};

static inline void win_init(struct fuzz_win *w, const char *buf, size_t n)
{
	w->buf = buf;
	w->n = n;
	w->a = w->b = 0;
	ASAN_POISON_MEMORY_REGION(buf, n);
}

static inline void win_move(struct fuzz_win *w, size_t a, size_t b)
{
	size_t pe, us;

	CHECK(a >= w->a && b >= w->b && a <= b && b <= w->n);
	pe = a < w->b ? a : w->b;	/* poison [w->a, pe): left the window */
	if (pe > w->a)
		ASAN_POISON_MEMORY_REGION(w->buf + w->a, pe - w->a);
	us = w->b > a ? w->b : a;	/* unpoison [us, b): entered it */
	if (b > us)
		ASAN_UNPOISON_MEMORY_REGION(w->buf + us, b - us);
	w->a = a;
	w->b = b;
}

static inline void win_done(struct fuzz_win *w)
{
	ASAN_UNPOISON_MEMORY_REGION(w->buf, w->n);
}

#endif /* MOG_FUZZ_H */
