/* tap.h: a tiny TAP producer for unit tests (ok, is, done_testing). */
#ifndef MOG_TAP_H
#define MOG_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static unsigned tap_count, tap_failed;

static void tap_vreport(int pass, const char *fmt, va_list ap)
{
	tap_count++;
	if (!pass)
		tap_failed++;
	printf("%sok %u - ", pass ? "" : "not ", tap_count);
	vprintf(fmt, ap);
	putchar('\n');
}

/* ok(cond, "description %d", args...): one test point. */
static int __attribute__((format(printf, 2, 3))) ok(int pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vreport(pass, fmt, ap);
	va_end(ap);
	return pass;
}

/* is(got, expected, ...): integer comparison that prints both on failure. */
#define is(got, want, ...) do { \
	long long got_ = (long long)(got), want_ = (long long)(want); \
	if (!ok(got_ == want_, __VA_ARGS__)) \
		printf("#   got %lld, expected %lld\n", got_, want_); \
} while (0)

/* is_mem(got, got_len, want, want_len, ...): byte string comparison. */
#define is_mem(g, gl, w, wl, ...) do { \
	size_t gl_ = (gl), wl_ = (wl); \
	if (!ok(gl_ == wl_ && memcmp((g), (w), gl_) == 0, __VA_ARGS__)) \
		printf("#   got %zu bytes \"%.*s\", expected \"%.*s\"\n", gl_, (int)gl_, \
		       (const char *)(g), (int)wl_, (const char *)(w)); \
} while (0)

static int done_testing(void)
{
	printf("1..%u\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif /* MOG_TAP_H */
