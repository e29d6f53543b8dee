/* listen.c: "ip:port" -> listening socket, and accept4() on the loop. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include "xalloc.h"
#include "../core/log.h"
#include "../util/addr.h"
#include "loop.h"
#include "listen.h"

struct listener {
	ev_io io;
	ev_timer retry;			/* accept paused after EMFILE */
	enum mog_conn_kind kind;
	void (*start)(struct mog_conn *conn);	/* the protocol of its connections */
	char *text;
	unsigned site;			/* --multi: which --config file named it */
	bool yielded;			/* a loop thread's copy: paused for a lighter loop */
	struct listener *next;
};

static struct listener *listeners;
/* --loops: each loop thread's copies of the HTTP listeners (index: loop - 1); a list is
 * built by the main thread before the loop threads start, then only its loop touches it */
static struct listener **copies;
static unsigned n_copies;
static unsigned cur_site;
static long long last_accept_log_ms;	/* atomic: every loop shares the once-a-second limit */

struct inherited {
	int fd;
	struct sockaddr_storage ss;
	socklen_t len;
	bool used;
};
static struct inherited *inherited;
static size_t ninherited;

static void inherit_fd(long fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char text[80];
	size_t i;

	if (fd > INT_MAX)
		mog_die("inherited fd=%ld is too large", fd);
	memset(&ss, 0, sizeof(ss));
	if (getsockname((int)fd, (struct sockaddr *)&ss, &len) < 0)
		mog_die_errno("getsockname(fd=%ld) failed", fd);
	mog_addr_format((struct sockaddr *)&ss, text, sizeof(text));
	for (i = 0; i < ninherited; i++)
		if (inherited[i].len == len && memcmp(&inherited[i].ss, &ss, len) == 0)
			mog_die("duplicate listener %s on fd=%ld", text, fd);
	mog_log(LOG_INFO, "inherited %s on fd=%ld", text, fd);
	inherited = xreallocarray(inherited, ninherited + 1, sizeof(*inherited));
	inherited[ninherited].fd = (int)fd;
	inherited[ninherited].ss = ss;
	inherited[ninherited].len = len;
	inherited[ninherited].used = false;
	ninherited++;
}

bool mog_listen_inherit(void)
{
	const char *env = getenv("CMOGSTORED_FD"), *p;
	const char *lpid = getenv("LISTEN_PID"), *lfds = getenv("LISTEN_FDS");

	if (env && *env) {
		for (p = env; *p; p++)
			if ((*p < '0' || *p > '9') && *p != ',')
				mog_die("CMOGSTORED_FD contained invalid byte: %u", (unsigned char)*p);
		for (p = env; *p;) {
			char *end;
			long fd;

			if (*p == ',') {
				p++;
				continue;
			}
			errno = 0;
			fd = strtol(p, &end, 10);
			if (errno == ERANGE)
				mog_die("failed to parse CMOGSTORED_FD=%s", env);
			inherit_fd(fd);
			p = end;
		}
	}
	/* systemd-style socket activation (cmogstored >= 1.5), with or without systemd */
	if (lpid && lfds) {
		char *end;
		long pid = strtol(lpid, &end, 10), n, i;

		if (*end == '\0' && pid == (long)getpid()) {
			n = strtol(lfds, &end, 10);
			if (*end != '\0' || n < 0 || n > 4096)
				mog_die("failed to parse LISTEN_FDS=%s", lfds);
			for (i = 0; i < n; i++) {
				size_t j;
				bool dup = false;

				for (j = 0; j < ninherited; j++)
					dup |= inherited[j].fd == 3 + i;
				if (!dup)
					inherit_fd(3 + i);
			}
		}
	}
	/* children (iostat, upgrades) must not see them */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return ninherited > 0;
}

/* An inherited socket bound to exactly addr, or -1. */
static int claim_inherited(const struct mog_addr *addr)
{
	size_t i;

	for (i = 0; i < ninherited; i++) {
		struct inherited *in = &inherited[i];

		if (in->used || in->len != addr->len || in->ss.ss_family != addr->ss.ss_family)
			continue;
		if (memcmp(&in->ss, &addr->ss, addr->len) != 0)
			continue;
		in->used = true;
		return in->fd;
	}
	return -1;
}

void mog_listen_close_unused(void)
{
	size_t i;

	for (i = 0; i < ninherited; i++) {
		if (inherited[i].used)
			continue;
		mog_log(LOG_INFO, "closing unused inherited fd=%d", inherited[i].fd);
		close(inherited[i].fd);
	}
	free(inherited);
	inherited = NULL;
	ninherited = 0;
}

void mog_listen_add(const struct mog_addr *addr, enum mog_conn_kind kind,
		    void (*start)(struct mog_conn *conn))
{
	struct listener *l;
	int fd, one = 1;

	if ((fd = claim_inherited(addr)) >= 0) {
		int fl = fcntl(fd, F_GETFL);

		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		goto have_fd;
	}
	fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		mog_die_errno("addr=%s failed to bind+listen", addr->text);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	/* replies must never wait for Nagle (a HEAD is answered in well under 200 ms) */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&addr->ss, addr->len) < 0 || listen(fd, 1024) < 0)
		mog_die_errno("addr=%s failed to bind+listen", addr->text);
have_fd:
	l = xzalloc(sizeof(*l));
	l->kind = kind;
	l->start = start;
	l->text = xstrdup(addr->text);
	l->site = cur_site;
	ev_io_init(&l->io, NULL, fd, EV_READ);
	l->next = listeners;
	listeners = l;
}

static void on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct listener *l = mog_container_of(w, struct listener, retry);

	ev_io_start(loop, &l->io);
}

/* Whether an accept error may be logged now (at most once a second, for every loop). */
static bool accept_log_due(ev_tstamp now)
{
	long long now_ms = (long long)(now * 1000.), last;

	last = __atomic_load_n(&last_accept_log_ms, __ATOMIC_RELAXED);
	return now_ms - last >= 1000 &&
	       __atomic_compare_exchange_n(&last_accept_log_ms, &last, now_ms, false,
					   __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *l = mog_container_of(w, struct listener, io);
	int i, fd;

	/* --loops: a loop with clearly more connections than another lets that one
	 * accept (keep-alive connections stay where they land); once only, so a
	 * connection is never left waiting for a loop that does not take it */
	for (i = 0; i < 64; i++) {
		struct mog_conn *conn;

		if (n_copies > 0 && !l->yielded && mog_loop_lighter_exists(mog_conn_count)) {
			l->yielded = true;
			ev_io_stop(loop, w);
			ev_timer_set(&l->retry, 0.001, 0.);
			ev_timer_start(loop, &l->retry);
			return;
		}
		l->yielded = false;

		fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			int err = errno;

			if (err == EAGAIN || err == EINTR || err == ECONNABORTED)
				return;
			if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
				/* out of descriptors: shed idle HTTP clients, retry soon */
				if (mog_conn_expire_idle(MOG_CONN_SHED_IDLE_S) > 0)
					continue;
				ev_io_stop(loop, w);
				ev_timer_set(&l->retry, 0.25, 0.);
				ev_timer_start(loop, &l->retry);
			}
			/* at most once a second, though the retry runs 4 times a second */
			if (accept_log_due(ev_now(loop)))
				mog_log(LOG_ERR, "accept on %s: %s", l->text, strerror(err));
			return;
		}
		conn = mog_conn_new(fd, l->kind);
		l->start(conn);
	}
}

char *mog_listen_fd_list(bool for_exec)
{
	static const enum mog_conn_kind order[4] = {
		MOG_CONN_MGMT, MOG_CONN_HTTP, MOG_CONN_HTTPGET, MOG_CONN_STATUS
	};
	char *list = xzalloc(1);
	size_t len = 0, i;
	struct listener *l;

	for (i = 0; i < 4; i++) {
		for (l = listeners; l; l = l->next) {
			char num[16];
			int n;

			if (l->kind != order[i])
				continue;
			if (for_exec)
				fcntl(l->io.fd, F_SETFD, 0);
			n = snprintf(num, sizeof(num), "%s%d", len ? "," : "", l->io.fd);
			list = xrealloc(list, len + (size_t)n + 1);
			memcpy(list + len, num, (size_t)n + 1);
			len += (size_t)n;
		}
	}
	return list;
}

/* HTTP listeners go to the loop threads when there are any. */
static bool for_main(const struct listener *l)
{
	return n_copies == 0 || (l->kind != MOG_CONN_HTTP && l->kind != MOG_CONN_HTTPGET);
}

void mog_listen_start(void)
{
	struct listener *l;

	for (l = listeners; l; l = l->next) {
		ev_io_init(&l->io, on_accept, l->io.fd, EV_READ);
		ev_timer_init(&l->retry, on_retry, 0.25, 0.);
		if (for_main(l))
			ev_io_start(mog_loop, &l->io);
	}
}

void mog_listen_prepare_loops(unsigned n)
{
	struct listener *l, **tail;
	unsigned i;

	copies = xcalloc(n, sizeof(*copies));
	n_copies = n;
	for (i = 0; i < n; i++) {
		tail = &copies[i];
		for (l = listeners; l; l = l->next) {
			struct listener *c;
			int fd;

			if (l->kind != MOG_CONN_HTTP && l->kind != MOG_CONN_HTTPGET)
				continue;
			/* its own descriptor: the socket listens until the last copy is closed */
			fd = fcntl(l->io.fd, F_DUPFD_CLOEXEC, 3);
			if (fd < 0)
				mog_die_errno("listener %s: dup failed", l->text);
			c = xzalloc(sizeof(*c));
			c->kind = l->kind;
			c->start = l->start;
			c->text = xstrdup(l->text);
			c->site = l->site;
			ev_io_init(&c->io, on_accept, fd, EV_READ);
			ev_timer_init(&c->retry, on_retry, 0.25, 0.);
			*tail = c;
			tail = &c->next;
		}
	}
}

void mog_listen_start_loop(unsigned idx)
{
	struct listener *c;

	for (c = copies[idx - 1]; c; c = c->next)
		ev_io_start(mog_loop, &c->io);
}

static void close_list(struct listener **head)
{
	struct listener *l, *next;

	for (l = *head; l; l = next) {
		next = l->next;
		ev_io_stop(mog_loop, &l->io);
		ev_timer_stop(mog_loop, &l->retry);
		close(l->io.fd);
		free(l->text);
		free(l);
	}
	*head = NULL;
}

void mog_listen_stop_loop(unsigned idx)
{
	close_list(&copies[idx - 1]);
}

void mog_listen_close_all(void)
{
	close_list(&listeners);
}

void mog_listen_set_site(unsigned site)
{
	cur_site = site;
}

void mog_listen_keep_site(unsigned site)
{
	struct listener **pp = &listeners, *l;

	while ((l = *pp) != NULL) {
		if (l->site == site) {
			pp = &l->next;
			continue;
		}
		*pp = l->next;
		close(l->io.fd);
		free(l->text);
		free(l);
	}
}
