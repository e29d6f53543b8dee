/*
 * addr_fuzz.c: libFuzzer driver for mog_addr_parse() and mog_addr_format()
 * (src/util/addr_parser.rl).
 *
 * The input is one listen address (up to its first NUL).  Whether it is a
 * syntax error must match a plain-C reading of doc/protocol.md, Listeners (shape_ok()
 * below); an OK result must round-trip: format(parse(x)) parses OK again to
 * the same address, and formats to the same text.
 */
#include <config.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "util/addr.h"
#include "fuzz.h"

static bool digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/* digit+ '.' digit+ '.' digit+ '.' digit+ */
static bool ipv4_shape(const char *s, size_t n)
{
	size_t i = 0, start;
	int part;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= n || s[i] != '.')
				return false;
			i++;
		}
		for (start = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == start)
			return false;
	}
	return i == n;
}

/* '[' [0-9a-fA-F:.]+ ']' */
static bool ipv6_shape(const char *s, size_t n)
{
	size_t i;

	if (n < 3 || s[0] != '[' || s[n - 1] != ']')
		return false;
	for (i = 1; i < n - 1; i++)
		if (!strchr("0123456789abcdefABCDEF:.", s[i]))
			return false;
	return true;
}

/* ((ipv4 | ipv6)? ':')? digit+, and the port fits in 16 bits */
static bool shape_ok(const char *s, unsigned long *port)
{
	const char *colon = strrchr(s, ':'), *p;
	size_t hl;

	p = colon ? colon + 1 : s;
	if (!digits(p, strlen(p)))
		return false;
	if (colon) {
		hl = (size_t)(colon - s);
		if (hl > 0 && !ipv4_shape(s, hl) && !ipv6_shape(s, hl))
			return false;
	}
	for (*port = 0; *p; p++) {
		*port = *port * 10 + (unsigned long)(*p - '0');
		if (*port > 65535)
			return false;
	}
	return true;
}

static void same_addr(const struct sockaddr_storage *a, socklen_t al,
		      const struct sockaddr_storage *b, socklen_t bl)
{
	CHECK(al == bl && a->ss_family == b->ss_family);
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		CHECK(x->sin_port == y->sin_port);
		CHECK(x->sin_addr.s_addr == y->sin_addr.s_addr);
	} else {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		CHECK(a->ss_family == AF_INET6);
		CHECK(x->sin6_port == y->sin6_port);
		CHECK(memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), text[64], text2[64], small[8];
	struct sockaddr_storage ss, ss2;
	socklen_t len = 0, len2 = 0;
	enum mog_addr_result rc;
	unsigned long port = 0;
	bool shape;

	CHECK(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';

	rc = mog_addr_parse(s, &ss, &len);
	shape = shape_ok(s, &port);
	CHECK(rc == MOG_ADDR_OK || rc == MOG_ADDR_SYNTAX || rc == MOG_ADDR_RESOLVE);
	CHECK((rc == MOG_ADDR_SYNTAX) == !shape);
	if (rc == MOG_ADDR_OK) {
		CHECK(ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
		CHECK(len == (ss.ss_family == AF_INET ? sizeof(struct sockaddr_in)
						      : sizeof(struct sockaddr_in6)));
		CHECK(ss.ss_family == (s[0] == '[' ? AF_INET6 : AF_INET));
		CHECK(ntohs(((struct sockaddr_in *)&ss)->sin_port) == port);

		mog_addr_format((struct sockaddr *)&ss, text, sizeof(text));
		CHECK(strlen(text) < sizeof(text) - 1);	/* never truncated */
		CHECK(mog_addr_parse(text, &ss2, &len2) == MOG_ADDR_OK);
		same_addr(&ss, len, &ss2, len2);
		mog_addr_format((struct sockaddr *)&ss2, text2, sizeof(text2));
		CHECK(strcmp(text, text2) == 0);

		/* a short buffer is truncated, NUL-terminated, never overrun */
		mog_addr_format((struct sockaddr *)&ss, small, sizeof(small));
		CHECK(strlen(small) < sizeof(small));
		CHECK(strncmp(small, text, strlen(small)) == 0);
	}
	free(s);
	return 0;
}
