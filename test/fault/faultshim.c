/* faultshim.c: LD_PRELOAD library that injects errors and delays at the libc
 * syscall boundary, so tests can fail a disk without test-only code in the daemon.
 *
 * Settings (environment, or KEY=VALUE lines of MOG_FAULT_FILE):
 *   MOG_FAULT_PATH=<substring>	required: only calls on a path, or on an fd whose
 *				/proc/self/fd/N target, containing it are affected;
 *				relative paths are resolved against their dirfd (or
 *				the cwd) first, so "/dev1/" matches openat(dev1_fd, "x")
 *   MOG_FAULT_CALLS=a,b,...	among open openat openat2 read pread write pwrite
 *				sendfile fdatasync fsync renameat unlinkat fstatvfs
 *				mkdirat (openat2 is caught through syscall(2))
 *   MOG_FAULT_ERRNO=<name|n>	fail the call with this errno (ENOSPC, EIO, ...)
 *   MOG_FAULT_DELAY_MS=<n>	sleep first; then fail (if ERRNO) or do the call
 *   MOG_FAULT_AFTER=<n>		the first n matching calls pass untouched
 *   MOG_FAULT_CORRUPT=<offset>	read, pread (preadv2 too) in MOG_FAULT_CALLS:
 *				a matching call that returns the file's byte at
 *				this offset returns it with bit 0 flipped (only in
 *				the caller's buffer: the file is unchanged, as
 *				when a disk or its path returns bad data); with
 *				neither ERRNO nor DELAY_MS, RWF_NOWAIT reads and
 *				RESOLVE_CACHED opens are not refused either
 *   MOG_FAULT_ID=<word>		echoed when settings are loaded (tests wait for it)
 *   MOG_FAULT_VERBOSE=1		log loads and every injected fault to fd 2
 *   MOG_FAULT_TRACE=1		log every matching call to fd 2 as "trace <call>
 *				<path>" (the fd's target, or the resolved path;
 *				renameat: the new path), and "trace fsync <path>
 *				done" when an fsync returns 0 (tests count and
 *				order directory syncs this way)
 * Environment only:
 *   MOG_FAULT_FILE=<path>	while this file exists, its lines replace the
 *				settings above (all of them: a key it lacks is
 *				unset); it is stat()ed at most every 100 ms and
 *				re-read when it changes.  Write it atomically
 *				(write a temp file, rename it over).  While it does
 *				not exist, the environment's settings apply.
 *
 * Every wrapped function forwards to the next definition (dlsym RTLD_NEXT).  The
 * shim never takes a lock and never allocates, so it is safe in the daemon's pool
 * threads, in libev's signal handler and in a child between fork and exec; its
 * own I/O (readlink, reading the settings file) bypasses injection through a
 * thread-local guard. */
#undef _FORTIFY_SOURCE		/* we define read() & co ourselves */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/uio.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/types.h>

#ifndef SYS_openat2
# define SYS_openat2 437	/* same number on every architecture using the generic table */
#endif

enum call {
	C_OPEN, C_OPENAT, C_OPENAT2, C_READ, C_PREAD, C_WRITE, C_PWRITE, C_SENDFILE,
	C_FDATASYNC, C_FSYNC, C_RENAMEAT, C_UNLINKAT, C_FSTATVFS, C_MKDIRAT, C_NCALLS
};
static const char *const call_names[C_NCALLS] = {
	"open", "openat", "openat2", "read", "pread", "write", "pwrite", "sendfile",
	"fdatasync", "fsync", "renameat", "unlinkat", "fstatvfs", "mkdirat"
};

struct settings {
	char path[1024];
	char id[64];
	unsigned calls;			/* bit (1 << enum call) */
	int err;			/* 0: no error */
	unsigned delay_ms;
	unsigned long after;
	bool corrupt;			/* MOG_FAULT_CORRUPT given */
	unsigned long long corrupt_off;
	bool verbose;
	bool trace;
	atomic_ulong seen;		/* matching calls so far under these settings */
};

/* Settings are never freed (a caller may still be sleeping with a pointer):
 * loads take the next slot of a ring, which is reused only after NSLOTS loads. */
#define NSLOTS 64
static struct settings slots[NSLOTS];
static unsigned next_slot;		/* under `reloading` */
static struct settings env_settings;
static _Atomic(struct settings *) cur;
static bool env_verbose;
static char file_path[PATH_MAX];

static atomic_flag reloading = ATOMIC_FLAG_INIT;
static atomic_llong next_check_ns;
static struct {
	bool exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
} file_seen;				/* under `reloading` */

static __thread int in_shim __attribute__((tls_model("initial-exec")));
/* Set around a call that the kernel promises never to block (openat2 with
 * RESOLVE_CACHED, preadv2 with RWF_NOWAIT): a fault that would hit it makes it
 * fail with EAGAIN, exactly as the kernel does when the data is not in memory,
 * so the daemon takes its slow path (where the fault then applies). */
static __thread int nowait_call __attribute__((tls_model("initial-exec")));

/* ---- the next definitions ---- */

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real___open_2)(const char *, int);
static int (*real___open64_2)(const char *, int);
static int (*real___openat_2)(int, const char *, int);
static int (*real___openat64_2)(int, const char *, int);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real___read_chk)(int, void *, size_t, size_t);
static ssize_t (*real_pread)(int, void *, size_t, off_t);
static ssize_t (*real_pread64)(int, void *, size_t, off64_t);
static ssize_t (*real___pread_chk)(int, void *, size_t, off_t, size_t);
static ssize_t (*real___pread64_chk)(int, void *, size_t, off64_t, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off64_t);
static ssize_t (*real_sendfile)(int, int, off_t *, size_t);
static ssize_t (*real_sendfile64)(int, int, off64_t *, size_t);
static int (*real_fdatasync)(int);
static int (*real_fsync)(int);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *, unsigned);
static int (*real_unlinkat)(int, const char *, int);
static int (*real_fstatvfs)(int, struct statvfs *);
static int (*real_fstatvfs64)(int, struct statvfs64 *);
static int (*real_mkdirat)(int, const char *, mode_t);
static long (*real_syscall)(long, ...);
static ssize_t (*real_preadv2)(int, const struct iovec *, int, off_t, int);
static ssize_t (*real_preadv64v2)(int, const struct iovec *, int, off64_t, int);

/* Resolving twice from two threads stores the same value: the race is benign. */
#define REAL(name) (__extension__({					\
	if (real_##name == NULL)						\
		real_##name = (__typeof__(real_##name))dlsym(RTLD_NEXT, #name);	\
	real_##name;								\
}))

/* ---- logging (fd 2, straight to the next write) ---- */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[1536];
	va_list ap;
	int n, m;

	n = snprintf(line, sizeof(line), "faultshim[%d]: ", (int)getpid());
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (REAL(write))
		(void)real_write(2, line, (size_t)n);
}

/* ---- settings ---- */

static const struct { const char *name; int err; } errnos[] = {
	{ "ENOSPC", ENOSPC }, { "EDQUOT", EDQUOT }, { "EIO", EIO }, { "EMFILE", EMFILE },
	{ "ENFILE", ENFILE }, { "EACCES", EACCES }, { "EPERM", EPERM }, { "ENOENT", ENOENT },
	{ "EROFS", EROFS }, { "EFBIG", EFBIG }, { "EINTR", EINTR }, { "EAGAIN", EAGAIN },
	{ "ENOMEM", ENOMEM }, { "ENXIO", ENXIO }, { "ENODEV", ENODEV }, { "ESTALE", ESTALE },
	{ "ETIMEDOUT", ETIMEDOUT }, { "EBADF", EBADF }, { "ELOOP", ELOOP },
	{ "ENOTDIR", ENOTDIR }, { "EISDIR", EISDIR }, { "EEXIST", EEXIST }, { "EXDEV", EXDEV },
	{ "ENAMETOOLONG", ENAMETOOLONG }, { "EINVAL", EINVAL }, { "ENOSYS", ENOSYS },
	{ "EBUSY", EBUSY }, { "ENOBUFS", ENOBUFS }, { "ENOTEMPTY", ENOTEMPTY },
};

static int parse_errno(const char *v)
{
	size_t i;

	if (*v >= '0' && *v <= '9')
		return atoi(v);
	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (strcmp(v, errnos[i].name) == 0)
			return errnos[i].err;
	say("unknown errno name \"%s\", using EIO", v);
	return EIO;
}

static const char *errno_name(int err)
{
	size_t i;

	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].err == err)
			return errnos[i].name;
	return "E?";
}

static unsigned parse_calls(const char *v)
{
	unsigned mask = 0;

	while (*v) {
		size_t n = strcspn(v, ", \t"), i;

		for (i = 0; i < C_NCALLS; i++)
			if (n == strlen(call_names[i]) && strncmp(v, call_names[i], n) == 0)
				mask |= 1u << i;
		if (n > 0 && mask == 0)
			say("unknown call \"%.*s\" in MOG_FAULT_CALLS", (int)n, v);
		v += n;
		v += strspn(v, ", \t");
	}
	return mask;
}

/* Keys other than these (including MOG_FAULT_FILE) are ignored. */
static void set_key(struct settings *s, const char *key, const char *val)
{
	if (strcmp(key, "MOG_FAULT_PATH") == 0)
		snprintf(s->path, sizeof(s->path), "%s", val);
	else if (strcmp(key, "MOG_FAULT_CALLS") == 0)
		s->calls = parse_calls(val);
	else if (strcmp(key, "MOG_FAULT_ERRNO") == 0)
		s->err = *val ? parse_errno(val) : 0;
	else if (strcmp(key, "MOG_FAULT_DELAY_MS") == 0)
		s->delay_ms = (unsigned)strtoul(val, NULL, 10);
	else if (strcmp(key, "MOG_FAULT_AFTER") == 0)
		s->after = strtoul(val, NULL, 10);
	else if (strcmp(key, "MOG_FAULT_CORRUPT") == 0) {
		s->corrupt = *val != '\0';
		s->corrupt_off = strtoull(val, NULL, 10);
	} else if (strcmp(key, "MOG_FAULT_ID") == 0)
		snprintf(s->id, sizeof(s->id), "%s", val);
	else if (strcmp(key, "MOG_FAULT_VERBOSE") == 0)
		s->verbose = *val && strcmp(val, "0") != 0;
	else if (strcmp(key, "MOG_FAULT_TRACE") == 0)
		s->trace = *val && strcmp(val, "0") != 0;
}

static void describe(const struct settings *s, const char *from)
{
	char calls[160] = "";
	size_t i, n = 0;

	for (i = 0; i < C_NCALLS; i++)
		if (s->calls & (1u << i))
			n += (size_t)snprintf(calls + n, sizeof(calls) - n, "%s%s",
					      n ? "," : "", call_names[i]);
	say("loaded %s: path=%s calls=%s errno=%s delay_ms=%u after=%lu id=%s", from,
	    s->path, calls, s->err ? errno_name(s->err) : "-", s->delay_ms, s->after,
	    s->id[0] ? s->id : "-");
}

/* Parse the KEY=VALUE lines of buf (NUL-terminated, modified) into s. */
static void parse_file(struct settings *s, char *buf)
{
	char *line, *save = NULL;

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq, *end;

		line += strspn(line, " \t");
		if (*line == '#' || (eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		for (end = eq; end > line && (end[-1] == ' ' || end[-1] == '\t'); )
			*--end = '\0';
		eq++;
		eq += strspn(eq, " \t");
		for (end = eq + strlen(eq);
		     end > eq && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'); )
			*--end = '\0';
		set_key(s, line, eq);
	}
}

/* Caller holds `reloading` and has set in_shim. */
static void reload_locked(void)
{
	struct settings *s;
	struct stat st;
	char buf[8192];
	size_t len = 0;
	int fd;

	if (stat(file_path, &st) < 0) {
		if (file_seen.exists) {
			file_seen.exists = false;
			atomic_store(&cur, &env_settings);
			if (env_verbose)
				describe(&env_settings, "environment (no MOG_FAULT_FILE)");
		}
		return;
	}
	if (file_seen.exists && file_seen.dev == st.st_dev && file_seen.ino == st.st_ino &&
	    file_seen.size == st.st_size &&
	    file_seen.mtim.tv_sec == st.st_mtim.tv_sec &&
	    file_seen.mtim.tv_nsec == st.st_mtim.tv_nsec &&
	    file_seen.ctim.tv_sec == st.st_ctim.tv_sec &&
	    file_seen.ctim.tv_nsec == st.st_ctim.tv_nsec)
		return;
	if ((fd = REAL(open)(file_path, O_RDONLY | O_CLOEXEC)) < 0)
		return;				/* try again at the next check */
	while (len < sizeof(buf) - 1) {
		ssize_t n = REAL(read)(fd, buf + len, sizeof(buf) - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	file_seen.exists = true;
	file_seen.dev = st.st_dev;
	file_seen.ino = st.st_ino;
	file_seen.size = st.st_size;
	file_seen.mtim = st.st_mtim;
	file_seen.ctim = st.st_ctim;

	s = &slots[next_slot++ % NSLOTS];
	memset(s->path, 0, sizeof(s->path));
	memset(s->id, 0, sizeof(s->id));
	s->calls = 0;
	s->err = 0;
	s->delay_ms = 0;
	s->after = 0;
	s->corrupt = false;
	s->corrupt_off = 0;
	s->verbose = env_verbose;
	atomic_store(&s->seen, 0);
	parse_file(s, buf);
	atomic_store(&cur, s);
	if (s->verbose)
		describe(s, file_path);
}

static long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct settings *settings_get(void)
{
	if (file_path[0]) {
		long long now = mono_ns();

		if (now >= atomic_load(&next_check_ns) && !atomic_flag_test_and_set(&reloading)) {
			atomic_store(&next_check_ns, now + 100 * 1000000LL);
			in_shim++;
			reload_locked();
			in_shim--;
			atomic_flag_clear(&reloading);
		}
	}
	return atomic_load(&cur);
}

__attribute__((constructor)) static void shim_init(void)
{
	static const char *const keys[] = {
		"MOG_FAULT_PATH", "MOG_FAULT_CALLS", "MOG_FAULT_ERRNO", "MOG_FAULT_DELAY_MS",
		"MOG_FAULT_AFTER", "MOG_FAULT_ID", "MOG_FAULT_VERBOSE", "MOG_FAULT_TRACE",
		"MOG_FAULT_CORRUPT"
	};
	const char *v;
	size_t i;

	in_shim++;
	(void)REAL(write);
	(void)REAL(read);
	(void)REAL(open);
	(void)REAL(syscall);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((v = getenv(keys[i])) != NULL)
			set_key(&env_settings, keys[i], v);
	env_verbose = env_settings.verbose;
	if ((v = getenv("MOG_FAULT_FILE")) != NULL && *v)
		snprintf(file_path, sizeof(file_path), "%s", v);
	atomic_store(&cur, &env_settings);
	if (env_verbose)
		describe(&env_settings, "environment");
	in_shim--;
	(void)settings_get();		/* a MOG_FAULT_FILE present at startup applies at once */
}

/* ---- matching ---- */

/* What one call works on: fd >= 0, or (dirfd, path). */
struct target {
	int fd;
	int dirfd;
	const char *path;
};
#define FD(f)		((struct target){ (f), -1, NULL })
#define AT(d, p)	((struct target){ -1, (d), (p) })
#define NONE		((struct target){ -1, -1, NULL })

static ssize_t fd_target(int fd, char *buf, size_t cap)
{
	char link[40];
	ssize_t n;

	if (fd == AT_FDCWD)
		snprintf(link, sizeof(link), "/proc/self/cwd");
	else
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, cap - 1);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* The path t works on, in buf; false if there is none. */
static bool target_text(const struct target *t, char *buf, size_t cap)
{
	ssize_t n;

	if (t->path == NULL)
		return t->fd >= 0 && fd_target(t->fd, buf, cap) >= 0;
	if (t->path[0] == '/' || (n = fd_target(t->dirfd, buf, cap - 2)) < 0) {
		snprintf(buf, cap, "%s", t->path);
		return true;
	}
	/* relative: what the kernel would resolve, "<dir>/<path>" */
	buf[n++] = '/';
	snprintf(buf + n, cap - (size_t)n, "%s", t->path);
	return true;
}

static bool target_matches(const struct settings *s, const struct target *t)
{
	char buf[PATH_MAX * 2];

	return target_text(t, buf, sizeof(buf)) && strstr(buf, s->path) != NULL;
}

/* MOG_FAULT_TRACE: one line for a matching call (what: "" or " done"). */
static void trace(const struct settings *s, enum call c, struct target a, struct target b,
		  const char *what)
{
	char buf[PATH_MAX * 2];

	if (target_matches(s, &b) && target_text(&b, buf, sizeof(buf)))
		say("trace %s %s%s", call_names[c], buf, what);
	else if (target_text(&a, buf, sizeof(buf)))
		say("trace %s %s%s", call_names[c], buf, what);
}

/* After a traced call returned rc: "done" for a successful fsync. */
static void trace_done(enum call c, struct target a, int rc)
{
	struct settings *s;
	int saved = errno;

	if (in_shim || rc != 0)
		return;
	s = settings_get();
	if (s == NULL || !s->trace || !(s->calls & (1u << c)) || s->path[0] == '\0')
		return;
	in_shim++;
	if (target_matches(s, &a))
		trace(s, c, a, NONE, " done");
	in_shim--;
	errno = saved;
}

static void pause_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* 0: perform the call, else the errno to fail it with.  Sleeps first when a
 * delay applies.  errno is preserved when the call goes ahead. */
static int decide(enum call c, struct target a, struct target b)
{
	struct settings *s;
	unsigned long n;
	int saved = errno;
	bool hit;

	if (in_shim)
		return 0;
	s = settings_get();
	if (s == NULL || !(s->calls & (1u << c)) || s->path[0] == '\0')
		goto pass;
	in_shim++;
	hit = target_matches(s, &a) || target_matches(s, &b);
	if (hit && s->trace && !nowait_call)
		trace(s, c, a, b, "");
	in_shim--;
	if (!hit)
		goto pass;
	if (nowait_call) {
		if (atomic_load(&s->seen) + 1 <= s->after ||
		    (s->corrupt && s->err == 0 && s->delay_ms == 0))
			goto pass;
		return EAGAIN;	/* not counted: the slow path will make the real call */
	}
	n = atomic_fetch_add(&s->seen, 1) + 1;
	if (n <= s->after)
		goto pass;
	if (s->delay_ms) {
		if (s->verbose)
			say("%s #%lu: delay %u ms", call_names[c], n, s->delay_ms);
		pause_ms(s->delay_ms);
	}
	if (s->err) {
		if (s->verbose)
			say("%s #%lu: fail with %s", call_names[c], n, errno_name(s->err));
		return s->err;
	}
pass:
	errno = saved;
	return 0;
}

#define FAULT(c, a, b, failret) do {		\
	int fault_err_ = decide((c), (a), (b));	\
	if (fault_err_) {			\
		errno = fault_err_;		\
		return (failret);		\
	}					\
} while (0)

/*
 * MOG_FAULT_CORRUPT: after a read of got bytes from file offset start of fd into
 * iov, flip the configured byte if the call matches and the byte is among them.
 */
static void corrupt_iov(enum call c, int fd, long long start, const struct iovec *iov, int cnt,
			ssize_t got)
{
	struct settings *s;
	unsigned long long rel;
	int saved = errno, i;
	bool hit;

	if (in_shim || got <= 0 || start < 0)
		return;
	s = settings_get();
	if (s == NULL || !s->corrupt || !(s->calls & (1u << c)) || s->path[0] == '\0' ||
	    s->corrupt_off < (unsigned long long)start ||
	    s->corrupt_off >= (unsigned long long)start + (unsigned long long)got)
		goto out;
	in_shim++;
	hit = target_matches(s, &FD(fd));
	in_shim--;
	if (!hit)
		goto out;
	rel = s->corrupt_off - (unsigned long long)start;
	for (i = 0; i < cnt; i++) {
		if (rel < iov[i].iov_len) {
			((unsigned char *)iov[i].iov_base)[rel] ^= 1;
			if (s->verbose)
				say("%s: flipped the byte at offset %llu", call_names[c],
				    s->corrupt_off);
			break;
		}
		rel -= iov[i].iov_len;
	}
out:
	errno = saved;
}

static ssize_t corrupt_buf(enum call c, int fd, long long start, void *buf, ssize_t got)
{
	struct iovec iov = { buf, got > 0 ? (size_t)got : 0 };

	corrupt_iov(c, fd, start, &iov, 1, got);
	return got;
}

/* read(2) has no offset: where the file position was before it. */
static long long read_start(int fd, ssize_t got)
{
	int saved = errno;
	off_t end = got > 0 ? lseek(fd, 0, SEEK_CUR) : -1;

	errno = saved;
	return end < 0 ? -1 : (long long)end - got;
}

/* ---- wrappers ---- */

int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off, size_t buflen);

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	FAULT(C_OPEN, AT(AT_FDCWD, path), NONE, -1);
	return REAL(open)(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	FAULT(C_OPEN, AT(AT_FDCWD, path), NONE, -1);
	return REAL(open64)(path, flags, mode);
}

int __open_2(const char *path, int flags)
{
	FAULT(C_OPEN, AT(AT_FDCWD, path), NONE, -1);
	return REAL(__open_2)(path, flags);
}

int __open64_2(const char *path, int flags)
{
	FAULT(C_OPEN, AT(AT_FDCWD, path), NONE, -1);
	return REAL(__open64_2)(path, flags);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	FAULT(C_OPENAT, AT(dirfd, path), NONE, -1);
	return REAL(openat)(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	FAULT(C_OPENAT, AT(dirfd, path), NONE, -1);
	return REAL(openat64)(dirfd, path, flags, mode);
}

int __openat_2(int dirfd, const char *path, int flags)
{
	FAULT(C_OPENAT, AT(dirfd, path), NONE, -1);
	return REAL(__openat_2)(dirfd, path, flags);
}

int __openat64_2(int dirfd, const char *path, int flags)
{
	FAULT(C_OPENAT, AT(dirfd, path), NONE, -1);
	return REAL(__openat64_2)(dirfd, path, flags);
}

/* The daemon reaches openat2 as syscall(SYS_openat2, ...); every other number
 * is forwarded untouched with six long arguments (the x86-64/aarch64 ABI makes
 * reading unused variadic registers harmless). */
long syscall(long number, ...)
{
	va_list ap;
	long a[6];
	int i;

	va_start(ap, number);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (number == SYS_openat2) {
		const struct { unsigned long long flags, mode, resolve; } *how = (const void *)a[2];
		int err;

		nowait_call = how != NULL && (how->resolve & 0x20);	/* RESOLVE_CACHED */
		err = decide(C_OPENAT2, AT((int)a[0], (const char *)a[1]), NONE);
		nowait_call = 0;
		if (err) {
			errno = err;
			return -1;
		}
	}
	return REAL(syscall)(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

ssize_t read(int fd, void *buf, size_t n)
{
	ssize_t got;

	FAULT(C_READ, FD(fd), NONE, -1);
	got = REAL(read)(fd, buf, n);
	return corrupt_buf(C_READ, fd, read_start(fd, got), buf, got);
}

ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	ssize_t got;

	FAULT(C_READ, FD(fd), NONE, -1);
	got = REAL(__read_chk)(fd, buf, n, buflen);
	return corrupt_buf(C_READ, fd, read_start(fd, got), buf, got);
}

ssize_t preadv2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
	ssize_t got;
	int err;

	nowait_call = (flags & RWF_NOWAIT) != 0;
	err = decide(C_PREAD, FD(fd), NONE);
	nowait_call = 0;
	if (err) {
		errno = err;
		return -1;
	}
	got = REAL(preadv2)(fd, iov, cnt, off, flags);
	corrupt_iov(C_PREAD, fd, (long long)off, iov, cnt, got);
	return got;
}

ssize_t preadv64v2(int fd, const struct iovec *iov, int cnt, off64_t off, int flags)
{
	ssize_t got;
	int err;

	nowait_call = (flags & RWF_NOWAIT) != 0;
	err = decide(C_PREAD, FD(fd), NONE);
	nowait_call = 0;
	if (err) {
		errno = err;
		return -1;
	}
	got = REAL(preadv64v2)(fd, iov, cnt, off, flags);
	corrupt_iov(C_PREAD, fd, (long long)off, iov, cnt, got);
	return got;
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	FAULT(C_PREAD, FD(fd), NONE, -1);
	return corrupt_buf(C_PREAD, fd, (long long)off, buf, REAL(pread)(fd, buf, n, off));
}

ssize_t pread64(int fd, void *buf, size_t n, off64_t off)
{
	FAULT(C_PREAD, FD(fd), NONE, -1);
	return corrupt_buf(C_PREAD, fd, (long long)off, buf, REAL(pread64)(fd, buf, n, off));
}

ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
	FAULT(C_PREAD, FD(fd), NONE, -1);
	return corrupt_buf(C_PREAD, fd, (long long)off, buf, REAL(__pread_chk)(fd, buf, n, off, buflen));
}

ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off, size_t buflen)
{
	FAULT(C_PREAD, FD(fd), NONE, -1);
	return corrupt_buf(C_PREAD, fd, (long long)off, buf, REAL(__pread64_chk)(fd, buf, n, off, buflen));
}

ssize_t write(int fd, const void *buf, size_t n)
{
	FAULT(C_WRITE, FD(fd), NONE, -1);
	return REAL(write)(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	FAULT(C_PWRITE, FD(fd), NONE, -1);
	return REAL(pwrite)(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	FAULT(C_PWRITE, FD(fd), NONE, -1);
	return REAL(pwrite64)(fd, buf, n, off);
}

ssize_t sendfile(int out_fd, int in_fd, off_t *off, size_t n)
{
	FAULT(C_SENDFILE, FD(in_fd), FD(out_fd), -1);
	return REAL(sendfile)(out_fd, in_fd, off, n);
}

ssize_t sendfile64(int out_fd, int in_fd, off64_t *off, size_t n)
{
	FAULT(C_SENDFILE, FD(in_fd), FD(out_fd), -1);
	return REAL(sendfile64)(out_fd, in_fd, off, n);
}

int fdatasync(int fd)
{
	FAULT(C_FDATASYNC, FD(fd), NONE, -1);
	return REAL(fdatasync)(fd);
}

int fsync(int fd)
{
	int rc;

	FAULT(C_FSYNC, FD(fd), NONE, -1);
	rc = REAL(fsync)(fd);
	trace_done(C_FSYNC, FD(fd), rc);
	return rc;
}

int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	FAULT(C_RENAMEAT, AT(olddirfd, oldpath), AT(newdirfd, newpath), -1);
	return REAL(renameat)(olddirfd, oldpath, newdirfd, newpath);
}

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
	      unsigned flags)
{
	FAULT(C_RENAMEAT, AT(olddirfd, oldpath), AT(newdirfd, newpath), -1);
	return REAL(renameat2)(olddirfd, oldpath, newdirfd, newpath, flags);
}

int unlinkat(int dirfd, const char *path, int flags)
{
	FAULT(C_UNLINKAT, AT(dirfd, path), NONE, -1);
	return REAL(unlinkat)(dirfd, path, flags);
}

int fstatvfs(int fd, struct statvfs *buf)
{
	FAULT(C_FSTATVFS, FD(fd), NONE, -1);
	return REAL(fstatvfs)(fd, buf);
}

int fstatvfs64(int fd, struct statvfs64 *buf)
{
	FAULT(C_FSTATVFS, FD(fd), NONE, -1);
	return REAL(fstatvfs64)(fd, buf);
}

int mkdirat(int dirfd, const char *path, mode_t mode)
{
	FAULT(C_MKDIRAT, AT(dirfd, path), NONE, -1);
	return REAL(mkdirat)(dirfd, path, mode);
}
