/* thread_exit.h: what a thread keeps for its whole life, given back when it ends. */
#ifndef MOG_THREAD_EXIT_H
#define MOG_THREAD_EXIT_H
#include <stddef.h>

/*
 * Call fn(arg) in the calling thread when that thread ends (a loop or pool
 * thread returning from its start routine), after every call registered
 * before it.  For a module's per-thread free lists and buffers: once the
 * thread's __thread variables are gone nothing points to them, and valgrind
 * rightly calls them lost.  fn runs while the thread's __thread variables
 * still hold their values.  Registering the same fn and arg twice in one
 * thread calls it once.  At most MOG_THREAD_EXIT_MAX per thread.  Not needed
 * for the main thread, whose memory lasts until exit().
 */
#define MOG_THREAD_EXIT_MAX 8
void mog_thread_at_exit(void (*fn)(void *arg), void *arg);

/*
 * The calling thread's buffer of size bytes in *slot (a __thread variable,
 * NULL at first): allocated on the thread's first call, freed when it ends.
 */
char *mog_thread_buf(char **slot, size_t size);

#endif /* MOG_THREAD_EXIT_H */
