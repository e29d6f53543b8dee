/* iostat_parser_test.c: iostat(1) output into device lines and reports (doc/protocol.md, watch). */
#include <config.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "dev/iostat_parser.h"

/* What the callbacks saw: "name=util;" per device line, "|" per report end. */
struct record {
	char log[8192];
	size_t len;
};

static void append(struct record *rec, const char *s)
{
	size_t n = strlen(s);

	if (rec->len + n < sizeof(rec->log)) {
		memcpy(rec->log + rec->len, s, n + 1);
		rec->len += n;
	}
}

static void on_line(void *arg, const char *name, const char *util)
{
	append(arg, name);
	append(arg, "=");
	append(arg, util);
	append(arg, ";");
}

static void on_report_end(void *arg)
{
	append(arg, "|");
}

static unsigned long rand_state;

static size_t next_rand(size_t max)
{
	rand_state = rand_state * 6364136223846793005UL + 1442695040888963407UL;
	return (rand_state >> 33) % max;
}

enum split { SPLIT_CUT, SPLIT_BYTES, SPLIT_RANDOM, SPLIT_BURST };

/*
 * Feed in[0..len) in pieces: cut at 'arg' (SPLIT_CUT), byte at a time, random
 * 1-25 byte pieces from seed 'arg' (N232), or pieces of 'arg' bytes (bursts).
 * Each piece is a heap copy of its own size, so ASan sees reads past it.
 */
static void feed(struct record *rec, const char *in, size_t len, enum split how, size_t arg)
{
	struct mog_iostat_cb cb = { on_line, on_report_end, rec };
	struct mog_iostat_parser p;
	size_t off = 0, n;
	char *piece;

	rec->len = 0;
	rec->log[0] = '\0';
	mog_iostat_init(&p);
	rand_state = arg;
	while (off < len) {
		switch (how) {
		case SPLIT_CUT: n = off < arg ? arg - off : len - off; break;
		case SPLIT_BYTES: n = 1; break;
		case SPLIT_RANDOM: n = 1 + next_rand(25); break;
		default: n = arg; break;
		}
		if (n > len - off)
			n = len - off;
		piece = malloc(n ? n : 1);
		memcpy(piece, in + off, n);
		mog_iostat_feed(&p, piece, n, &cb);
		free(piece);
		off += n;
	}
}

/* One input, fed every way; want is the log the callbacks must produce. */
static void check(const char *desc, const char *in, const char *want)
{
	size_t len = strlen(in), wlen = strlen(want), cut, bad = 0;
	struct record rec;
	bool all_ok;

	feed(&rec, in, len, SPLIT_CUT, len);
	is_mem(rec.log, rec.len, want, wlen, "%s: at once", desc);

	all_ok = true;
	for (cut = 0; cut < len && all_ok; cut++) {
		feed(&rec, in, len, SPLIT_CUT, cut);
		if (rec.len != wlen || memcmp(rec.log, want, wlen) != 0)
			all_ok = false, bad = cut;
	}
	ok(all_ok, "%s: cut at every byte", desc);
	if (!all_ok)
		printf("#   first failure at cut %zu: \"%s\"\n", bad, rec.log);

	feed(&rec, in, len, SPLIT_BYTES, 0);
	is_mem(rec.log, rec.len, want, wlen, "%s: byte at a time", desc);

	all_ok = true;
	for (cut = 1; cut <= 20 && all_ok; cut++) {
		feed(&rec, in, len, SPLIT_RANDOM, cut);
		if (rec.len != wlen || memcmp(rec.log, want, wlen) != 0)
			all_ok = false, bad = cut;
	}
	ok(all_ok, "%s: N232 random 1-25 byte pieces", desc);
	if (!all_ok)
		printf("#   first failure with seed %zu: \"%s\"\n", bad, rec.log);
}

#define SYSSTAT12_HEAD \
	"Device            r/s     rkB/s   rrqm/s  %rrqm r_await rareq-sz     w/s     wkB/s   " \
	"wrqm/s  %wrqm w_await wareq-sz     d/s     dkB/s   drqm/s  %drqm d_await dareq-sz     " \
	"f/s f_await  aqu-sz  %util\n"

/* sysstat 12.x "iostat -dx 1" on Linux 6.1: a banner, then reports ended by a blank line. */
static const char sysstat12[] =
	"Linux 6.1.0-18-amd64 (storage1) \t02/29/2024 \t_x86_64_\t(8 CPU)\n"
	"\n"
	SYSSTAT12_HEAD
	"dm-0             0.50     12.34     0.00   0.00    0.81    24.68    1.20     20.00     "
	"0.00   0.00    2.10    16.67    0.00      0.00     0.00   0.00    0.00     0.00    0.00"
	"    0.00    0.00   0.12\n"
	"nvme0n1          3.21    210.45     0.02   0.62    0.25    65.56    4.87    130.22     "
	"1.11  18.56    1.30    26.74    0.00      0.00     0.00   0.00    0.00     0.00    0.41"
	"    0.55    0.01   0.45\n"
	"sda              0.10      4.00     0.00   0.00    5.00    40.00    0.00      0.00     "
	"0.00   0.00    0.00     0.00    0.00      0.00     0.00   0.00    0.00     0.00    0.00"
	"    0.00    0.00 100.00\n"
	"\n"
	"\n"
	SYSSTAT12_HEAD
	"dm-0             0.00      0.00     0.00   0.00    0.00     0.00    0.00      0.00     "
	"0.00   0.00    0.00     0.00    0.00      0.00     0.00   0.00    0.00     0.00    0.00"
	"    0.00    0.00   0.00\n"
	"nvme0n1          0.00      0.00     0.00   0.00    0.00     0.00   12.00     96.00     "
	"0.00   0.00    0.17     8.00    0.00      0.00     0.00   0.00    0.00     0.00    2.00"
	"    0.50    0.00   1.10\n"
	"sda              0.00      0.00     0.00   0.00    0.00     0.00    0.00      0.00     "
	"0.00   0.00    0.00     0.00    0.00      0.00     0.00   0.00    0.00     0.00    0.00"
	"    0.00    0.00   0.00\n"
	"\n";

/* sysstat 9/10 "iostat -dx 1": "Device:" header, fewer columns. */
static const char sysstat10[] =
	"Linux 2.6.32-5-amd64 (oldbox) \t01/12/2012 \t_x86_64_\t(4 CPU)\n"
	"\n"
	"Device:         rrqm/s   wrqm/s     r/s     w/s    rkB/s    wkB/s avgrq-sz avgqu-sz   "
	"await r_await w_await  svctm  %util\n"
	"sda               0.05     1.83    0.32    1.05    10.39    11.52    32.10     0.01    "
	"7.72    5.16    8.52   2.05   0.28\n"
	"cciss/c0d0        0.00     0.00    0.00    0.00     0.01     0.00     8.02     0.00    "
	"0.75    0.75    0.00   0.75   0.00\n"
	"\n"
	"Device:         rrqm/s   wrqm/s     r/s     w/s    rkB/s    wkB/s avgrq-sz avgqu-sz   "
	"await r_await w_await  svctm  %util\n"
	"sda               0.00    12.00    0.00    3.00     0.00    60.00    40.00     0.02    "
	"6.67    0.00    6.67   6.67   2.00\n"
	"cciss/c0d0        0.00     0.00    0.00    0.00     0.00     0.00     0.00     0.00    "
	"0.00    0.00    0.00   0.00   0.00\n"
	"\n";

/* sysstat 5.x/6.x (RHEL 4): a banner without the architecture, sectors as well as kB. */
static const char sysstat6[] =
	"Linux 2.6.9-89.ELsmp (rhel4) \t03/04/2010\n"
	"\n"
	"Device:    rrqm/s wrqm/s   r/s   w/s  rsec/s  wsec/s    rkB/s    wkB/s avgrq-sz "
	"avgqu-sz   await  svctm  %util\n"
	"hda          0.21   3.87  0.64  1.52   13.87   43.12     6.94    21.56    26.37     "
	"0.02    9.61   3.01   0.65\n"
	"\n";

/* FreeBSD "iostat -x 1": integer %b, a trailing blank, the header repeats each report. */
static const char freebsd[] =
	"                        extended device statistics  \n"
	"device     r/s   w/s    kr/s    kw/s  ms/r  ms/w  ms/o  ms/t qlen  %b  \n"
	"ada0         0     3     0.0    32.0     0     1     0     1    0   0 \n"
	"ada1        41     2  5212.3    16.0     6     1     0     6    1  12 \n"
	"                        extended device statistics  \n"
	"device     r/s   w/s    kr/s    kw/s  ms/r  ms/w  ms/o  ms/t qlen  %b  \n"
	"ada0         0     0     0.0     0.0     0     0     0     0    0   0 \n"
	"ada1        80     0 10240.0     0.0     9     0     0     9    2 100 \n";

/* Linux lists disks in /proc/diskstats order, so a dm-N line can split a report. */
static const char diskstats_order[] =
	"Device:         rrqm/s   wrqm/s     r/s     w/s    rkB/s    wkB/s avgrq-sz avgqu-sz   "
	"await r_await w_await  svctm  %util\n"
	"sda               0.00     0.00    0.00    0.00     0.00     0.00     0.00     0.00    "
	"0.00    0.00    0.00   0.00   3.00\n"
	"dm-0              0.00     0.00    0.00    0.00     0.00     0.00     0.00     0.00    "
	"0.00    0.00    0.00   0.00   3.00\n"
	"nvme0n1           0.00     0.00    0.00    0.00     0.00     0.00     0.00     0.00    "
	"0.00    0.00    0.00   0.00   4.00\n"
	"\n";

static void check_line_rules(void)
{
	char line[sizeof(((struct mog_iostat_parser *)0)->line) + 2], in[2048], want[128];
	size_t n;

	check("blanks and tabs around fields",
	      "  sda \t 1 2 3\t 0.50 \t\n\n" "\tsdb\t7\t0.25\n\n",
	      "sda=0.50;|sdb=0.25;|");
	check("one blank between name and util is not enough (5.3 grammar)",
	      "sda 0.50\n\n" "sdb  0.25\n\n", "sdb=0.25;|");
	check("util is the last field",
	      "sda  0.50 %util\n\n" "sdb  1.0 x 2.0\n\n" "sdc  1.0 2.0 3.0  \n\n",
	      "sdb=2.0;|sdc=3.0;|");
	check("names: only [A-Za-z0-9/]",
	      "dm-0  1  2.00\n" "sd_a  1  2.00\n" "Device:  1  2.00\n" "md127  1  9.50\n"
	      "xvdA/0  1  8.25\n\n",
	      "md127=9.50;xvdA/0=8.25;|");
	check("util: only [0-9.]",
	      "sda  1  2,00\n" "sda  1  -\n" "sda  1  2.00x\n" "sda  1  1e3\n\n", "");
	check("CR before LF does not match", "sda  1  2.00\r\n" "sdb  1  3.00\n\n", "sdb=3.00;|");
	check("no report end without a device line", "\n\nLinux 6.1\n\nDevice  %util\n\n", "");
	check("one report end for several non-matching lines",
	      "sda  1  2.00\n\n\nDevice  %util\n\n", "sda=2.00;|");
	check("a report without its end yet", "sda  1  2.00\nsdb  1  3.00\n",
	      "sda=2.00;sdb=3.00;");
	check("partial last line waits", "sda  1  2.00\n\nsdb  1  3.0", "sda=2.00;|");

	/* 71-char names and 7-char utilisations are the longest */
	memset(line, 'a', 72);
	line[72] = '\0';
	snprintf(in, sizeof(in), "%.71s  x  1.5\n\n%s  x  1.5\n\n", line, line);
	snprintf(want, sizeof(want), "%.71s=1.5;|", line);
	check("71-char name matches, 72 does not", in, want);
	check("7-char util matches, 8 does not",
	      "sda  x  100.000\n\nsdb  x  1000.000\n\nsdc  x  .......\n\n",
	      "sda=100.000;|sdc=.......;|");

	/* a line that fills the buffer exactly still matches; one byte more does not */
	n = sizeof(((struct mog_iostat_parser *)0)->line);
	memset(line, ' ', n);
	memcpy(line, "sda", 3);
	memcpy(line + n - 5, "9.99\n", 5);
	line[n] = '\0';
	snprintf(in, sizeof(in), "%s\n", line);
	check("line of exactly the buffer size", in, "sda=9.99;|");
	memset(line, ' ', n + 1);
	memcpy(line, "sda", 3);
	memcpy(line + n - 4, "9.99\n", 5);
	line[n + 1] = '\0';
	snprintf(in, sizeof(in), "sdb  x  1.00\n%ssdc  x  2.00\n\n", line);
	check("longer line ends the report and is skipped", in, "sdb=1.00;|sdc=2.00;|");
	snprintf(in, sizeof(in), "%s%ssdc  x  2.00\n\n", line, line);
	check("two long lines, then a device line", in, "sdc=2.00;|");
}

/* Q231: a report and 1.5 reports' worth of bytes at a time (whole and odd bursts). */
static void check_bursts(void)
{
	static const char want[] = "nvme0n1=0.45;sda=100.00;|nvme0n1=1.10;sda=0.00;|";
	size_t len = sizeof(sysstat12) - 1, burst;
	struct record rec;
	bool all_ok = true;

	for (burst = len / 3; burst <= len && all_ok; burst += 7) {
		feed(&rec, sysstat12, len, SPLIT_BURST, burst);
		all_ok = rec.len == sizeof(want) - 1 && memcmp(rec.log, want, rec.len) == 0;
	}
	ok(all_ok, "Q231 bursts of a third to a whole input (1.5 reports)");
	if (!all_ok)
		printf("#   burst %zu: \"%s\"\n", burst - 7, rec.log);
}

int main(void)
{
	check("Q226 sysstat 12 -dx", sysstat12,
	      "nvme0n1=0.45;sda=100.00;|nvme0n1=1.10;sda=0.00;|");
	check("Q226 sysstat 10 -dx", sysstat10,
	      "sda=0.28;cciss/c0d0=0.00;|sda=2.00;cciss/c0d0=0.00;|");
	check("Q226 sysstat 6 -dx", sysstat6, "hda=0.65;|");
	check("FreeBSD -x", freebsd, "ada0=0;ada1=12;|ada0=0;ada1=100;");
	check("dm-N between disks ends a report (5.3)", diskstats_order,
	      "sda=3.00;|nvme0n1=4.00;|");
	check_line_rules();
	check_bursts();
	return done_testing();
}
