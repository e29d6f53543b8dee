/* thread_exit.c: per-thread clean-up at thread exit (a pthread key's destructor). */
#include <config.h>
#include <assert.h>
#include <pthread.h>
#include <stddef.h>
#include "thread_exit.h"

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static __thread void (*fns[MOG_THREAD_EXIT_MAX])(void);
static __thread unsigned nfns;

/* The destructor runs in the ending thread, its __thread variables intact. */
static void on_thread_exit(void *unused)
{
	while (nfns > 0)
		fns[--nfns]();
}

static void key_create(void)
{
	int rc = pthread_key_create(&key, on_thread_exit);

	assert(rc == 0 && "pthread_key_create");
	(void)rc;
}

void mog_thread_at_exit(void (*fn)(void))
{
	unsigned i;

	for (i = 0; i < nfns; i++)
		if (fns[i] == fn)
			return;
	assert(nfns < MOG_THREAD_EXIT_MAX && "mog_thread_at_exit: too many");
	if (nfns >= MOG_THREAD_EXIT_MAX)
		return;
	pthread_once(&key_once, key_create);
	if (nfns == 0)
		pthread_setspecific(key, fns);	/* non-NULL: the destructor runs */
	fns[nfns++] = fn;
}
