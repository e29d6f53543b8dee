/* addr_parser.rl: listen addresses (doc/protocol.md, Listeners), numeric only. */
#include <config.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "addr.h"

/*
 * The grammar only checks the shape; inet_pton() then decides whether the
 * numbers name an address.  That split gives cmogstored's two outcomes:
 * "666.0.0-1:7500" is a syntax error (the line is ignored in a config
 * file) while "666.0.0.1:7500" has the right shape and fails to resolve
 * (always fatal).
 */
%%{
	machine addr_parser;

	ipv4 = digit+ '.' digit+ '.' digit+ '.' digit+;
	ipv6 = '[' [0-9a-fA-F:.]+ ']';
	main := ((ipv4 | ipv6)? ':')? digit+;
}%%

%% write data noerror noentry;

/* Longest numeric address text, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255". */
#define HOST_MAX 45

enum mog_addr_result mog_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	const char *p = s, *pe = s + strlen(s);
	const char *host = s, *host_end = s, *port_s = s, *colon;
	int family = AF_INET, cs;
	unsigned long port = 0;
	char buf[HOST_MAX + 1];
	size_t host_len;

	%% write init;
	%% write exec;

	if (cs < addr_parser_first_final || p != pe)
		return MOG_ADDR_SYNTAX;
	/* the shape is right: split it in C, the grammar has no actions */
	if ((colon = strrchr(s, ':')) != NULL) {
		port_s = colon + 1;
		host_end = colon;
		if (*s == '[') {
			family = AF_INET6;
			host = s + 1;
			host_end = colon - 1;	/* the ']' */
		}
	}
	/* bound in C, not in the grammar: "00007500" is still port 7500 */
	for (; *port_s != '\0'; port_s++) {
		port = port * 10 + (unsigned long)(*port_s - '0');
		if (port > 65535)
			return MOG_ADDR_SYNTAX;
	}
	host_len = (size_t)(host_end - host);
	if (host_len > HOST_MAX)
		return MOG_ADDR_RESOLVE;
	memcpy(buf, host, host_len);
	buf[host_len] = '\0';

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1)
			return MOG_ADDR_RESOLVE;
		*len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		if (host_len == 0)	/* ":PORT" and "PORT" bind every IPv4 address */
			sin->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, buf, &sin->sin_addr) != 1)
			return MOG_ADDR_RESOLVE;	/* 666.0.0.1, or 01.2.3.4 */
		*len = sizeof(*sin);
	}
	return MOG_ADDR_OK;
}

void mog_addr_format(const struct sockaddr *sa, char *buf, size_t n)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, n, "[%s]:%u", host, (unsigned)ntohs(sin6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, n, "%s:%u", host, (unsigned)ntohs(sin->sin_port));
	} else {
		snprintf(buf, n, "(family %d)", (int)sa->sa_family);
	}
}
