/* http_date.h: IMF-fixdate strings ("Sun, 06 Nov 1994 08:49:37 GMT").  Any thread. */
#ifndef MOG_HTTP_DATE_H
#define MOG_HTTP_DATE_H

#include <time.h>

#define MOG_HTTP_DATE_LEN 29	/* without the terminating NUL */

/* Format t into out (MOG_HTTP_DATE_LEN + 1 bytes).  Returns out. */
char *mog_http_date_fmt(time_t t, char *out);

/* The current time, formatted once per second per thread.  Returns a thread-local string. */
const char *mog_http_date_now(void);

#endif /* MOG_HTTP_DATE_H */
