/* http_date.c: Date and Last-Modified values, with the current second cached per thread. */
#include <config.h>
#include <stdio.h>
#include <string.h>
#include <string.h>
#include "http_date.h"

char *mog_http_date_fmt(time_t t, char *out)
{
	/* not strftime: it would follow the locale's day and month names */
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char tmp[64];
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
		gmtime_r(&(time_t){ 0 }, &tm);
	snprintf(tmp, sizeof(tmp), "%s, %02d %s %04d %02d:%02d:%02d GMT",
		 days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
		 tm.tm_hour, tm.tm_min, tm.tm_sec);
	memcpy(out, tmp, MOG_HTTP_DATE_LEN);
	out[MOG_HTTP_DATE_LEN] = '\0';
	return out;
}

const char *mog_http_date_now(void)
{
	static __thread time_t cached = -1;
	static __thread char buf[MOG_HTTP_DATE_LEN + 1];
	time_t now = time(NULL);

	if (now != cached) {
		mog_http_date_fmt(now, buf);
		cached = now;
	}
	return buf;
}
