/* addr.h: listen addresses "A.B.C.D:PORT", ":PORT", "PORT", "[IPv6]:PORT" (Ragel). */
#ifndef MOG_ADDR_H
#define MOG_ADDR_H

#include <sys/socket.h>
#include "../mog.h"

/* A configured listen address. */
struct mog_addr {
	char *text;			/* as configured, e.g. "127.0.0.1:7500" */
	struct sockaddr_storage ss;	/* resolved, numeric: IPv4 or [IPv6] */
	socklen_t len;
};

enum mog_addr_result {
	MOG_ADDR_OK = 0,
	MOG_ADDR_SYNTAX,	/* not of an accepted shape: "failed to parse <key>=<value>" */
	MOG_ADDR_RESOLVE	/* right shape, but no such address (666.0.0.1): fatal */
};

/* Parse s into ss/len, numerically (never resolves names).  Any thread. */
enum mog_addr_result mog_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/* Format ss as "ip:port" ("[ip6]:port") into buf of size n.  Any thread. */
void mog_addr_format(const struct sockaddr *sa, char *buf, size_t n);

#endif /* MOG_ADDR_H */
