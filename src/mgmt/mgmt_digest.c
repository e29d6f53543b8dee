/* mgmt_digest.c: sideband size and MD5/SHA-1 on the device pools; one fsck per filesystem. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "xalloc.h"
#include "../dev/integrity.h"
#include "../util/fs.h"
#include "mgmt_int.h"

#define DIGEST_SLICE (8 * 1024 * 1024)	/* read per pool turn: no file monopolises a thread */
#define DIGEST_BUF (256 * 1024)

/* one FIFO per filesystem: one fsck digest reads at a time (doc/protocol.md, MD5 and SHA-1) */
struct fsck_queue {
	dev_t st_dev;
	bool busy;
	struct mog_mgmt *head, *tail;
};
static struct fsck_queue *fsck_queues;
static size_t nfsck_queues;
static struct fsck_queue *fsck_queues;
static size_t nfsck_queues;

void mog_mgmt_size_run(struct mog_job *job)
{
	struct mog_mgmt *m = mog_container_of(job, struct mog_mgmt, job);
	const char *rel;
	int dir_fd = mog_target_open_dir(&m->target, m->path, &rel), fd = -1;
	struct stat st;

	if (dir_fd >= 0) {
		fd = mog_fs_open_beneath(dir_fd, rel, O_PATH, 0);
		mog_target_close_dir(&m->target, dir_fd);
	}
	if (fd >= 0 && fstat(fd, &st) == 0)
		mog_mgmt_out_set(m, "%s %lld\r\n", m->path, (long long)st.st_size);
	else
		mog_mgmt_out_set(m, "%s -1\r\n", m->path);
	if (fd >= 0)
		close(fd);
	m->phase = PHASE_REPLY;
}

static const char *alg_name(const struct mog_mgmt *m)
{
	return m->cmd == MOG_MGMT_MD5 ? "MD5" : "SHA-1";
}

void mog_mgmt_digest_open(struct mog_job *job)
{
	struct mog_mgmt *m = mog_container_of(job, struct mog_mgmt, job);
	const char *rel;
	int dir_fd = mog_target_open_dir(&m->target, m->path, &rel), fd = -1;
	struct stat st;
	char hex[33];

	m->phase = PHASE_REPLY;
	if (dir_fd >= 0) {
		fd = mog_fs_open_beneath(dir_fd, rel, O_RDONLY | O_NONBLOCK | O_NOATIME, 0);
		if (fd < 0 && errno == EPERM)
			fd = mog_fs_open_beneath(dir_fd, rel, O_RDONLY | O_NONBLOCK, 0);
		mog_target_close_dir(&m->target, dir_fd);
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		m->job.err = errno;
		mog_mgmt_out_set(m, "%s %s=-1\r\n", m->path, alg_name(m));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		mog_mgmt_out_set(m, "ERR read %s at 0 failed\r\n", m->path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {	/* a FIFO or device would block or never end */
		mog_mgmt_out_set(m, "%s %s=-1\r\n", m->path, alg_name(m));
		goto out;
	}
	if (m->stored && mog_integrity_md5(fd, &st, hex)) {
		mog_mgmt_out_set(m, "%s MD5=%s\r\n", m->path, hex);
		goto out;
	}
	/* a record with CRCs only: read honestly, and keep the MD5 if the CRCs match */
	if (m->stored && m->cmd == MOG_MGMT_MD5)
		m->fill = mog_integrity_fill_start(fd, &st);
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	m->fd = fd;
	m->off = 0;
	m->st_dev = st.st_dev;
	mog_digest_init(&m->digest, m->cmd == MOG_MGMT_MD5 ? MOG_DIGEST_MD5 : MOG_DIGEST_SHA1);
	m->phase = PHASE_READ;
	return;
out:
	if (fd >= 0)
		close(fd);
}

/* fsck digests read at the lowest best-effort I/O priority (Linux ioprio). */
static void set_ioprio(bool low)
{
	/* IOPRIO_WHO_PROCESS = 1, who 0 = this thread; class BE = 2, level 7; 0 = default */
	syscall(SYS_ioprio_set, 1, 0, low ? (2 << 13) | 7 : 0);
}

void mog_mgmt_digest_read(struct mog_job *job)
{
	struct mog_mgmt *m = mog_container_of(job, struct mog_mgmt, job);
	char *buf = xmalloc(DIGEST_BUF);
	size_t slice = 0;

	if (m->fsck)
		set_ioprio(true);
	while (slice < DIGEST_SLICE) {
		ssize_t n = pread(m->fd, buf, DIGEST_BUF, m->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			m->job.err = errno;
			mog_mgmt_out_set(m, "ERR read %s at %lld failed\r\n", m->path, (long long)m->off);
			goto finished;
		}
		if (n == 0) {
			unsigned char bin[20];
			char hex[41];
			size_t len = mog_digest_final(&m->digest, bin);

			mog_digest_hex(bin, len, hex);
			mog_integrity_fill_finish(m->fill, m->fd, bin);
			m->fill = NULL;
			mog_mgmt_out_set(m, "%s %s=%s\r\n", m->path, alg_name(m), hex);
			goto finished;
		}
		mog_digest_update(&m->digest, buf, (size_t)n);
		mog_integrity_fill_update(m->fill, buf, (size_t)n);
		m->off += n;
		slice += (size_t)n;
	}
	goto out;			/* more to read: back of the queue */
finished:
	close(m->fd);
	m->fd = -1;
	m->phase = PHASE_REPLY;
out:
	if (m->fsck)
		set_ioprio(false);
	free(buf);
}

static struct fsck_queue *fsck_queue(dev_t st_dev)
{
	size_t i;

	for (i = 0; i < nfsck_queues; i++)
		if (fsck_queues[i].st_dev == st_dev)
			return &fsck_queues[i];
	fsck_queues = xreallocarray(fsck_queues, nfsck_queues + 1, sizeof(*fsck_queues));
	memset(&fsck_queues[nfsck_queues], 0, sizeof(*fsck_queues));
	fsck_queues[nfsck_queues].st_dev = st_dev;
	return &fsck_queues[nfsck_queues++];
}


void mog_mgmt_fsck_release(struct mog_mgmt *m)
{
	struct fsck_queue *q;
	struct mog_mgmt *next;

	if (!m->fsck_holding)
		return;
	m->fsck_holding = false;
	q = fsck_queue(m->st_dev);
	q->busy = false;
	if ((next = q->head) != NULL) {
		q->head = next->fsck_next;
		if (q->head == NULL)
			q->tail = NULL;
		q->busy = true;
		next->fsck_holding = true;
		mog_mgmt_submit(next, mog_mgmt_digest_read);
		mog_conn_next(next->conn, MOG_NEXT_JOB);
	}
}

void mog_mgmt_fsck_unqueue(struct mog_mgmt *m)
{
	struct fsck_queue *q = fsck_queue(m->st_dev);
	struct mog_mgmt **pp;

	for (pp = &q->head; *pp; pp = &(*pp)->fsck_next) {
		if (*pp == m) {
			*pp = m->fsck_next;
			break;
		}
	}
	q->tail = NULL;
	for (pp = &q->head; *pp; pp = &(*pp)->fsck_next)
		q->tail = *pp;
}

bool mog_mgmt_fsck_wait(struct mog_mgmt *m)
{
	struct fsck_queue *q = fsck_queue(m->st_dev);

	if (q->busy) {
		m->fsck_next = NULL;
		if (q->tail)
			q->tail->fsck_next = m;
		else
			q->head = m;
		q->tail = m;
		m->state = MGMT_FSCK_WAIT;
		return true;
	}
	q->busy = true;
	m->fsck_holding = true;
	return false;
}

void mog_mgmt_fsck_start_all(void)
{
	size_t i;

	for (i = 0; i < nfsck_queues; i++) {
		struct fsck_queue *q = &fsck_queues[i];

		while (q->head) {
			struct mog_mgmt *m = q->head;

			q->head = m->fsck_next;
			mog_mgmt_submit(m, mog_mgmt_digest_read);
			mog_conn_next(m->conn, MOG_NEXT_JOB);
		}
		q->tail = NULL;
	}
}

size_t mog_mgmt_fsck_queued(void)
{
	size_t i, n = 0;
	struct mog_mgmt *m;

	for (i = 0; i < nfsck_queues; i++)
		for (m = fsck_queues[i].head; m; m = m->fsck_next)
			n++;
	return n;
}
