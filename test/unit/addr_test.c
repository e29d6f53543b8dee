/* addr_test.c: listen-address shapes (doc/protocol.md, Listeners). */
#include <config.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include "util/addr.h"
#include "tap.h"

/* Parse s, expect OK and the canonical text want. */
static void parses_as(const char *s, const char *want)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	char buf[64];

	is(mog_addr_parse(s, &ss, &len), MOG_ADDR_OK, "\"%s\" parses", s);
	mog_addr_format((struct sockaddr *)&ss, buf, sizeof(buf));
	is_mem(buf, strlen(buf), want, strlen(want), "\"%s\" is %s", s, want);
	is(len, ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
		: sizeof(struct sockaddr_in), "\"%s\" length", s);
}

static void fails_as(const char *s, enum mog_addr_result want)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;

	is(mog_addr_parse(s, &ss, &len), want, "\"%s\" is %s", s,
	   want == MOG_ADDR_SYNTAX ? "a syntax error" : "unresolvable");
}

int main(void)
{
	static const char *const syntax[] = {
		"", ":", "localhost:7500", "666.0.0-1:7500", "127.0.0.1", "127.0.0.1:",
		"127.0.0.1:75x0", "127.0.0.1:-1", "1.2.3:7500", "1.2.3.4.5:7500",
		" 127.0.0.1:7500", "127.0.0.1:7500 ", "127.0.0.1 :7500", "::1:7500",
		"[::1]", "[::1]:", "[]:7500", "[::1]7500", "[localhost]:7500", "7500x",
		"+7500", "0x10", "127.0.0.1:65536", "127.0.0.1:99999999999999999999",
		"65536", ":65536", "[::1]:70000", "1.2.3.4:7500:7501", "a.b.c.d:1",
		"[::1%lo]:7500", "1.2.3.4::7500",
	};
	static const char *const resolve[] = {
		"666.0.0.1:7500", "1.2.3.256:1", "01.2.3.4:7500", "1.2.3.4444444444444:7",
		"[1::2::3]:7500", "[:::]:1", "[12345::]:7500", "[1.2.3.4]:7500",
		"[0000000000000000000000000000000000000000000000000000::]:1",
	};
	size_t i;

	parses_as("127.0.0.1:7500", "127.0.0.1:7500");
	parses_as("0.0.0.0:7501", "0.0.0.0:7501");
	parses_as(":7500", "0.0.0.0:7500");
	parses_as("7500", "0.0.0.0:7500");
	parses_as("0", "0.0.0.0:0");
	parses_as("127.0.0.1:0", "127.0.0.1:0");
	parses_as("255.255.255.255:65535", "255.255.255.255:65535");
	parses_as("127.0.0.1:000007500", "127.0.0.1:7500");
	parses_as("[::1]:7500", "[::1]:7500");
	parses_as("[::]:7501", "[::]:7501");
	parses_as("[2001:DB8::1]:80", "[2001:db8::1]:80");
	parses_as("[::ffff:127.0.0.1]:7500", "[::ffff:127.0.0.1]:7500");

	for (i = 0; i < sizeof(syntax) / sizeof(syntax[0]); i++)
		fails_as(syntax[i], MOG_ADDR_SYNTAX);
	for (i = 0; i < sizeof(resolve) / sizeof(resolve[0]); i++)
		fails_as(resolve[i], MOG_ADDR_RESOLVE);

	/* A11: the config-file example that must be fatal, not ignored */
	fails_as("666.0.0.1:7500", MOG_ADDR_RESOLVE);
	/* A24: names are never looked up */
	fails_as("localhost:7500", MOG_ADDR_SYNTAX);
	return done_testing();
}
