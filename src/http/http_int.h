/* http_int.h: state of one HTTP request, shared by the http_*.c files only. */
#ifndef MOG_HTTP_INT_H
#define MOG_HTTP_INT_H

#include <time.h>
#include "../dev/target.h"
#include "../util/digest.h"
#include "../util/sum.h"
#include "http_parser.h"
#include "chunk_parser.h"
#include "http.h"

#define HTTP_RBUF_MAX (MOG_HEAD_MAX + 1 + 4096)	/* a full head plus a little */

enum http_state {
	HTTP_HEAD,		/* reading and parsing a request head (loop) */
	HTTP_JOB,		/* a pool thread has the request */
	HTTP_SEND,		/* response head in wbuf: the loop flushes it */
	HTTP_SEND_BODY,		/* file body left: wait for writability, then the pool sends */
	HTTP_PUT_READ		/* PUT body: wait for readability, then the pool reads */
};

/* What a pool job asks the loop to do next. */
enum http_result {
	HTTP_RES_RESPOND,	/* wbuf holds the response head (and any body is sent) */
	HTTP_RES_WANT_WRITE,	/* socket full while sending the body */
	HTTP_RES_WANT_READ,	/* PUT body: socket empty */
	HTTP_RES_DROP,		/* close without a response (PUT body cut short) */
	HTTP_RES_NOFD		/* open failed with EMFILE/ENFILE: shed idle connections, run again */
};

/*
 * One HTTP request, hung off conn->req (created per request, freed when it
 * ends, so idle connections hold none).  It belongs to whoever owns the
 * connection: the loop thread, or the pool thread running job.  It owns fd,
 * dir_fd, the temp file and obuf; mog_http_put_release() and http_release()
 * give them back.
 */
struct mog_http {
	struct mog_job job;
	struct mog_conn *conn;
	struct mog_http_req req;
	enum http_state state;
	enum http_result result;
	bool get_only;
	bool keep;			/* the response keeps the connection */
	bool head_only;			/* HEAD: no body */
	bool fd_retried;		/* idle connections were shed once for this request */
	unsigned long closed_seen;	/* mog_conn_closed when the request began */
	int status;
	uint32_t head_len;		/* bytes of the request head (metrics) */

	/* the target */
	char path[MOG_PATH_MAX + 1];	/* effective path, NUL-terminated */
	size_t path_len;
	struct mog_target target;	/* which device, and where the path below it starts */

	/* GET/HEAD */
	int fd;				/* open file, -1 if none */
	off_t off, end;			/* body bytes [off, end) still to send */
	struct mog_http_vfy *vfy;	/* heap: checking a whole-file GET (http_integrity.c) */
	bool vfy_off;			/* nothing to check for this GET */

	size_t wlen, woff;		/* wbuf bytes filled, and sent */
	char *obuf;			/* heap: the rest of a response the socket refused */
	size_t olen, ooff;

	/* PUT */
	int dir_fd;			/* the target's directory, -1 if none */
	char base[MOG_PATH_MAX + 1];	/* the target's last component */
	char tmp[MOG_PATH_MAX + 40];	/* temp name in dir_fd; "" for partial PUT */
	bool partial;			/* Content-Range: write in place */
	bool created;			/* the target did not exist: its directory changes */
	bool chunked;
	off_t body_left;		/* Content-Length bytes not yet read */
	off_t put_off;			/* partial PUT: next file offset */
	off_t written;			/* body bytes written so far */
	struct mog_chunk chunk;
	bool digest_on;
	struct mog_digest md5;
	struct mog_sum_builder *sumb;	/* heap: the record of a whole-file PUT */

	/* measurements, added to the metrics when the request finishes */
	double started;			/* ev_now() when the head was parsed */
	double fsync_s;			/* time spent in fdatasync + directory fsync */
	off_t body_first;		/* GET: offset of the first body byte */

	/* last, so a new request zeroes everything before it and not this */
	char wbuf[1024];		/* response head (and small in-memory bodies) */
};

/* http.c */
/* Queue run on the device's pool; first: the request's first job (it may expire with 503). */
void mog_http_submit(struct mog_http *h, void (*run)(struct mog_job *), bool first);
void mog_http_respond_status(struct mog_http *h, int status);
int mog_http_send_wbuf(struct mog_http *h, bool more);	/* owner of h: 1 sent, 0 EAGAIN, -1 error */
/*
 * An open() of h's first job failed with err.  Out of descriptors (EMFILE,
 * ENFILE) the first time: result HTTP_RES_NOFD (the loop makes room and runs
 * the job again); the second time: 503.  Returns false (nothing done) for any
 * other err.  Pool thread.
 */
bool mog_http_out_of_fds(struct mog_http *h, int err);
/*
 * Out of descriptors: shed connections idle for 5 s (--maxconns).  Returns
 * true if a descriptor came free since h began (worth one more try).  Loop.
 */
bool mog_http_make_room(struct mog_http *h);

/* http_metrics.c: count one response in mog_http_metrics.  Loop thread. */
void mog_http_metrics_count(enum mog_http_method method, int status);

/* What failed, for mog_http_status_of(). */
enum mog_http_op {
	MOG_HTTP_OP_READ,	/* opening or stat'ing a GET/HEAD target, or its device */
	MOG_HTTP_OP_DELETE,	/* finding and unlinking a DELETE target */
	MOG_HTTP_OP_CREATE,	/* opening a PUT target's directory or temp file */
	MOG_HTTP_OP_WRITE	/* writing, syncing or renaming a PUT body */
};

/*
 * The status answering errno err for op, from one table for every method;
 * also records err in h->job.err (counted by mog_dev_account()).  The
 * thread that owns h.
 */
int mog_http_status_of(struct mog_http *h, enum mog_http_op op, int err);

/* http_resp.c: response heads (doc/protocol.md, Responses) into buf (cap bytes); return
 * their length.  Any thread. */
const char *mog_http_reason(int status);
size_t mog_http_resp_status(char *buf, size_t cap, int status, bool keep);
size_t mog_http_resp_file(char *buf, size_t cap, int status, time_t mtime, off_t first,
			  off_t last, off_t size, bool keep);
size_t mog_http_resp_416(char *buf, size_t cap, off_t size, bool keep);

/* http_get.c */
void mog_http_get(struct mog_http *h);		/* loop: GET/HEAD dispatch */
void mog_http_get_send(struct mog_job *job);	/* pool: continue sending the body */

/* http_put.c */
void mog_http_put(struct mog_http *h);		/* loop: PUT dispatch */
void mog_http_put_body(struct mog_job *job);	/* pool: continue reading the body */
void mog_http_put_release(struct mog_http *h);	/* any: remove temp file, close fds */
void mog_http_put_timeout(struct mog_http *h);	/* loop: the body stalled; log and release */

/* http_integrity.c */
bool mog_http_is_quarantine(const char *path, size_t len);	/* any: under .quarantine/ */
void mog_http_sum_begin(struct mog_http *h);	/* loop: a whole-file PUT computes its record */
/* pool: store it on h->fd, with md5 (16 bytes: the body's, or NULL if not computed); 0 or
 * -1 (errno) */
int mog_http_sum_commit(struct mog_http *h, const unsigned char *md5);
void mog_http_sum_release(struct mog_http *h);	/* owner of h: free checksum state */
/* loop: a small body read whole on the loop may be sent (its cached CRC matches, or
 * there is nothing to check); *checked: it was checked against a stored CRC */
bool mog_http_verify_small(struct mog_http *h, const struct stat *st, const void *body,
			   size_t len, bool *checked);
/* pool: body bytes below the returned offset are checked and may be sent; -1: corrupt
 * (quarantined and logged: abort the reply) */
off_t mog_http_verify_limit(struct mog_http *h);

/* http_delete.c */
void mog_http_delete(struct mog_http *h);	/* loop: DELETE dispatch */

/*
 * The calling pool thread's 256 KiB scratch buffer (PUT bodies, GET
 * verification), allocated on first use and freed when the thread exits.
 * Its contents do not outlive one job turn.  Pool threads only.
 */
#define MOG_HTTP_SCRATCH (256 * 1024)
char *mog_http_scratch(void);

#endif /* MOG_HTTP_INT_H */
