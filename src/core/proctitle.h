/* proctitle.h: the title ps shows for this process (master, worker, shutting down). */
#ifndef MOG_PROCTITLE_H
#define MOG_PROCTITLE_H

/*
 * Make the whole argv+environ area writable for titles: copies environ and
 * every argv[i] string to the heap and points environ and argv[i] at the
 * copies (argv itself stays where it is).  Call first in main(), before
 * anything keeps a pointer into argv.  Main thread.
 */
void mog_proctitle_init(int argc, char **argv);

/*
 * Show "<progname><suffix>" in ps and /proc/<pid>/cmdline, truncated to the
 * area the kernel gave us (argv plus environ, at least strlen(argv[0])), and
 * as the thread name (15 bytes, "ps -o comm").  Any thread; not reentrant.
 */
void mog_proctitle_set(const char *suffix);

#endif /* MOG_PROCTITLE_H */
