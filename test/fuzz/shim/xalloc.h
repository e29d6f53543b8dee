/* xalloc.h: stand-in for gnulib's, so the fuzz drivers need nothing from lib/. */
#ifndef MOG_FUZZ_XALLOC_H
#define MOG_FUZZ_XALLOC_H

#include <stdlib.h>

static inline void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (p == NULL)
		abort();
	return p;
}

#endif /* MOG_FUZZ_XALLOC_H */
