/* http_date_test.c: IMF-fixdate formatting (doc/protocol.md, Responses). */
#include <config.h>
#include <regex.h>
#include <string.h>
#include <time.h>
#include "tap.h"
#include "http/http_date.h"

int main(void)
{
	char buf[MOG_HTTP_DATE_LEN + 1];
	regex_t re;
	const char *now;

	mog_http_date_fmt(0, buf);
	is_mem(buf, strlen(buf), "Thu, 01 Jan 1970 00:00:00 GMT", 29, "epoch");
	mog_http_date_fmt(784111777, buf);
	is_mem(buf, strlen(buf), "Sun, 06 Nov 1994 08:49:37 GMT", 29, "RFC 9110 example date");
	mog_http_date_fmt(1363219345, buf);
	is_mem(buf, strlen(buf), "Thu, 14 Mar 2013 00:02:25 GMT", 29, "a usage-file time");
	mog_http_date_fmt(951782400, buf);
	is_mem(buf, strlen(buf), "Tue, 29 Feb 2000 00:00:00 GMT", 29, "leap day");
	regcomp(&re, "^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$",
		REG_EXTENDED | REG_NOSUB);
	now = mog_http_date_now();
	ok(regexec(&re, now, 0, NULL, 0) == 0, "D70 current date has the IMF-fixdate shape: %s", now);
	is(strlen(now), MOG_HTTP_DATE_LEN, "D70 current date is 29 bytes");
	ok(mog_http_date_now() == now, "the cached string is reused within a thread");
	regfree(&re);
	return done_testing();
}
