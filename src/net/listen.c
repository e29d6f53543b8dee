/* listen.c: "ip:port" -> listening socket, and accept4() on the loop. */
#include <config.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include "xalloc.h"
#include "../core/log.h"
#include "../http/http.h"
#include "../mgmt/mgmt.h"
#include "loop.h"
#include "listen.h"

struct listener {
	ev_io io;
	ev_timer retry;			/* accept paused after EMFILE */
	enum mog_conn_kind kind;
	char *text;
	struct listener *next;
};

static struct listener *listeners;

void mog_listen_add(const struct mog_addr *addr, enum mog_conn_kind kind)
{
	struct listener *l;
	int fd, one = 1;

	fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		mog_die_errno("addr=%s failed to bind+listen", addr->text);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	/* replies must never wait for Nagle (a HEAD is answered in well under 200 ms) */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&addr->ss, addr->len) < 0 || listen(fd, 1024) < 0)
		mog_die_errno("addr=%s failed to bind+listen", addr->text);
	l = xzalloc(sizeof(*l));
	l->kind = kind;
	l->text = xstrdup(addr->text);
	ev_io_init(&l->io, NULL, fd, EV_READ);
	l->next = listeners;
	listeners = l;
}

static void on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct listener *l = mog_container_of(w, struct listener, retry);

	ev_io_start(loop, &l->io);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *l = mog_container_of(w, struct listener, io);
	int i, fd;

	for (i = 0; i < 64; i++) {
		struct mog_conn *conn;

		fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			int err = errno;

			if (err == EAGAIN || err == EINTR || err == ECONNABORTED)
				return;
			if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
				/* out of descriptors: shed idle HTTP clients, retry soon */
				if (mog_conn_expire_idle(5.0) > 0)
					continue;
				ev_io_stop(loop, w);
				ev_timer_set(&l->retry, 0.25, 0.);
				ev_timer_start(loop, &l->retry);
			}
			mog_log(LOG_ERR, "accept on %s: %s", l->text, strerror(err));
			return;
		}
		conn = mog_conn_new(fd, l->kind);
		if (l->kind == MOG_CONN_MGMT)
			mog_mgmt_start(conn);
		else
			mog_http_start(conn, l->kind == MOG_CONN_HTTPGET);
	}
}

void mog_listen_start(void)
{
	struct listener *l;

	for (l = listeners; l; l = l->next) {
		ev_io_init(&l->io, on_accept, l->io.fd, EV_READ);
		ev_timer_init(&l->retry, on_retry, 0.25, 0.);
		ev_io_start(mog_loop, &l->io);
	}
}

void mog_listen_close_all(void)
{
	struct listener *l, *next;

	for (l = listeners; l; l = next) {
		next = l->next;
		ev_io_stop(mog_loop, &l->io);
		ev_timer_stop(mog_loop, &l->retry);
		close(l->io.fd);
		free(l->text);
		free(l);
	}
	listeners = NULL;
}
