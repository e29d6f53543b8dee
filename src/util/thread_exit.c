/* thread_exit.c: per-thread clean-up at thread exit (a pthread key's destructor). */
#include <config.h>
#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include "xalloc.h"
#include "thread_exit.h"

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static __thread struct {
	void (*fn)(void *arg);
	void *arg;
} calls[MOG_THREAD_EXIT_MAX];
static __thread unsigned ncalls;

/* The destructor runs in the ending thread, its __thread variables intact. */
static void on_thread_exit(void *unused)
{
	while (ncalls > 0) {
		ncalls--;
		calls[ncalls].fn(calls[ncalls].arg);
	}
}

static void key_create(void)
{
	int rc = pthread_key_create(&key, on_thread_exit);

	assert(rc == 0 && "pthread_key_create");
	(void)rc;
}

void mog_thread_at_exit(void (*fn)(void *arg), void *arg)
{
	unsigned i;

	for (i = 0; i < ncalls; i++)
		if (calls[i].fn == fn && calls[i].arg == arg)
			return;
	assert(ncalls < MOG_THREAD_EXIT_MAX && "mog_thread_at_exit: too many");
	if (ncalls >= MOG_THREAD_EXIT_MAX)
		return;
	pthread_once(&key_once, key_create);
	if (ncalls == 0)
		pthread_setspecific(key, calls);	/* non-NULL: the destructor runs */
	calls[ncalls].fn = fn;
	calls[ncalls].arg = arg;
	ncalls++;
}

char *mog_thread_buf(char **slot, size_t size)
{
	if (*slot == NULL) {
		*slot = xmalloc(size);
		mog_thread_at_exit(free, *slot);
	}
	return *slot;
}
