/* mog.h: the few types shared by every layer of evmogstored. */
#ifndef MOG_H
#define MOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>

#define mog_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/*
 * Longest effective request path, after leading-slash collapse.  cmogstored
 * uses 37 bytes, enough for a 10-digit fid on an 8-digit device id
 * ("/dev16777215/0/000/000/0123456789.fid"), which breaks fids >= 10^10.
 * The longest path a tracker builds for an 8-digit device id and a 20-digit
 * fid (the range of the tracker's BIGINT UNSIGNED) is 47 bytes; we allow 64.
 */
#define MOG_PATH_MAX 64

/* Device ids: "devN" with N at most the tracker's MEDIUMINT UNSIGNED maximum. */
#define MOG_DEVID_MAX 16777215u
#define MOG_DEVID_NONE ((unsigned)-1)	/* no (canonical) device id */

/* Longest request head accepted (doc/protocol.md, Limits). */
#define MOG_HEAD_MAX 65535

/* Result of feeding bytes to a resumable parser. */
enum mog_parse {
	MOG_PARSE_AGAIN,	/* need more input; everything given was consumed */
	MOG_PARSE_DONE,		/* one complete unit parsed; see the parser's off */
	MOG_PARSE_ERROR		/* invalid input; see the parser's status */
};

/*
 * What a connection does next: the one convention of every protocol's step()
 * (http, mgmt, status).  conn.c turns all but MOG_NEXT_AGAIN into libev calls.
 */
enum mog_next {
	MOG_NEXT_READ,		/* wait for the socket to become readable */
	MOG_NEXT_WRITE,		/* wait for the socket to become writable */
	MOG_NEXT_JOB,		/* a job was submitted to a device pool */
	MOG_NEXT_IDLE,		/* stop watching: something else (a queue) wakes us */
	MOG_NEXT_CLOSE,		/* free the connection */
	/* the request is finished and the next one may already be buffered: the
	 * protocol's own step() loop goes on at once; never reaches mog_conn_next() */
	MOG_NEXT_AGAIN
};

#endif /* MOG_H */
