/* fuzz.h: helpers shared by the libFuzzer drivers in test/fuzz/ (never built by make check). */
#ifndef MOG_FUZZ_H
#define MOG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#endif /* MOG_FUZZ_H */
