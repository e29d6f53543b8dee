/* chunk_parser_test.c: chunked bodies fed whole, cut at every byte and a byte at a time. */
#include <config.h>
#include <stdlib.h>
#include <string.h>
#include "http/chunk_parser.h"
#include "tap.h"

static const unsigned char md5_abcde[16] = {
	0xab, 0x56, 0xb4, 0xd9, 0x2b, 0x40, 0x71, 0x3a,
	0xcc, 0x5a, 0xf8, 0x99, 0x85, 0xd4, 0xb7, 0x86
};

/* what a caller saw after feeding a whole input */
struct outcome {
	enum mog_chunk_next rc;	/* DONE, ERROR, or AGAIN when the input ran out */
	int status;
	size_t end;		/* input bytes consumed (framing and data) */
	char *data;		/* the data bytes taken on DATA */
	size_t data_len;
	off_t total;
	bool has_md5;
	unsigned char md5[16];
	bool bad_data;		/* DATA came back with left <= 0 */
	bool kept;		/* AGAIN left bytes unconsumed */
};

static char *copy(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);	/* exact size: ASan sees any overread */

	if (p == NULL)
		abort();
	memcpy(p, s, len);
	return p;
}

/*
 * Plays the caller: input arrives in segments of seg bytes (the last one
 * shorter), or in two segments cut at cut when seg is 0.  Consumed bytes are
 * dropped; the parser sees each unconsumed rest in a fresh buffer.
 */
static void drive(const char *in, size_t len, size_t cut, size_t seg, struct outcome *o)
{
	struct mog_chunk c;
	size_t have = 0, pos = 0;	/* input [pos, have) is buffered */

	memset(o, 0, sizeof(*o));
	o->data = malloc(len + 1);
	mog_chunk_init(&c);
	for (;;) {
		size_t used, n;
		char *b;

		if (pos == have) {
			if (have == len)
				break;
			if (seg == 0)
				have = have < cut ? cut : len;
			else
				have = have + seg < len ? have + seg : len;
		}
		if (c.left > 0) {
			n = have - pos < (size_t)c.left ? have - pos : (size_t)c.left;
			memcpy(o->data + o->data_len, in + pos, n);
			o->data_len += n;
			pos += n;
			mog_chunk_data(&c, n);
			continue;
		}
		b = copy(in + pos, have - pos);
		o->rc = mog_chunk_parse(&c, b, have - pos, &used);
		free(b);
		pos += used;
		if (o->rc == MOG_CHUNK_DATA && c.left <= 0)
			o->bad_data = true;
		if (o->rc == MOG_CHUNK_AGAIN && pos != have)
			o->kept = true;
		if (o->rc == MOG_CHUNK_DONE || o->rc == MOG_CHUNK_ERROR)
			break;
	}
	if (o->rc == MOG_CHUNK_DATA)
		o->rc = MOG_CHUNK_AGAIN;	/* the input ended inside data */
	o->status = c.status;
	o->end = pos;
	o->total = c.total;
	o->has_md5 = c.has_md5;
	memcpy(o->md5, c.md5, 16);
}

static bool same(const struct outcome *a, const struct outcome *b)
{
	return a->rc == b->rc && a->status == b->status && !a->bad_data && !a->kept &&
		(a->rc == MOG_CHUNK_ERROR || (a->end == b->end && a->total == b->total &&
		a->data_len == b->data_len && memcmp(a->data, b->data, a->data_len) == 0 &&
		a->has_md5 == b->has_md5 && memcmp(a->md5, b->md5, 16) == 0));
}

/*
 * Feeds in whole, then cut at every byte and one byte at a time; every way
 * must agree with the whole.  Emits three test points; *o gets the whole.
 */
static void run(const char *desc, const char *in, size_t len, struct outcome *o)
{
	struct outcome x;
	size_t cut, nbad = 0, bad = 0;

	drive(in, len, 0, len ? len : 1, o);
	ok(!o->bad_data && !o->kept, "%s: DATA only with left > 0, AGAIN consumes all", desc);
	for (cut = 1; cut < len; cut++) {
		drive(in, len, cut, 0, &x);
		if (!same(&x, o) && nbad++ == 0)
			bad = cut;
		free(x.data);
	}
	if (!ok(nbad == 0, "%s: cut at every byte agrees", desc))
		printf("#   %zu cuts disagree, first at %zu\n", nbad, bad);
	drive(in, len, 0, 1, &x);
	ok(same(&x, o), "%s: byte at a time agrees", desc);
	free(x.data);
}

#define RUN(desc, s, o) run(desc, s, sizeof(s) - 1, o)

static void expect_body(const char *desc, const char *in, size_t len, size_t end,
			const char *data, size_t data_len)
{
	struct outcome o;

	run(desc, in, len, &o);
	is(o.rc, MOG_CHUNK_DONE, "%s: done", desc);
	is(o.end, end, "%s: ends at byte %zu", desc, end);
	is_mem(o.data, o.data_len, data, data_len, "%s: data", desc);
	is(o.total, data_len, "%s: total", desc);
	free(o.data);
}

static void expect_error(const char *desc, const char *in, size_t len, int status)
{
	struct outcome o;

	run(desc, in, len, &o);
	is(o.rc, MOG_CHUNK_ERROR, "%s: error", desc);
	is(o.status, status, "%s: status %d", desc, status);
	free(o.data);
}

#define BODY(desc, s, end, data) expect_body(desc, s, sizeof(s) - 1, end, data, sizeof(data) - 1)
#define BAD(desc, s, status) expect_error(desc, s, sizeof(s) - 1, status)

static void bodies(void)
{
	static const char md5_get[] = "5\r\nabcde\r\n0\r\nContent-MD5: q1a02StAcTrMWviZhdS3hg==\r\n"
		"\r\nGET /dev666/zz HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char two[] = "5\r\nabcd0\r\n0\r\n\r\n5\r\nabcd1\r\n0\r\n\r\n";
	struct outcome o;
	const char *get = strstr(md5_get, "GET");

	RUN("I149 MD5 trailer then pipelined GET", md5_get, &o);
	is(o.rc, MOG_CHUNK_DONE, "I149 done");
	is(o.end, (size_t)(get - md5_get), "I149 used ends right before GET");
	is_mem(o.data, o.data_len, "abcde", 5, "I149 data is abcde");
	is(o.total, 5, "I149 total 5");
	ok(o.has_md5, "I149 has_md5");
	is_mem(o.md5, 16, md5_abcde, 16, "I149 MD5 of abcde decoded");
	free(o.data);

	BODY("I138 one chunk", "5\r\nabcde\r\n0\r\n\r\n", 15, "abcde");
	BODY("I150 then GET", "5\r\nabcde\r\n0\r\n\r\nGET", 15, "abcde");
	BODY("I141 Foo trailer", "5\r\nabcde\r\n0\r\nFoo: Bar\r\n\r\n", 25, "abcde");
	BODY("I142 Foo trailer then GET", "5\r\nabcde\r\n0\r\nFoo: Bar\r\n\r\nGET /x", 25, "abcde");
	BODY("I152 empty body", "0\r\n\r\n", 5, "");
	BODY("I152 empty body then GET", "0\r\n\r\nGET / HTTP/1.0\r\n\r\n", 5, "");
	BODY("I159 upper-case hex and leading zeros",
	     "A\r\n0123456789\r\n0003\r\nabc\r\n0\r\n\r\n", 31, "0123456789abc");
	BODY("lower-case hex", "a\r\n0123456789\r\n0\r\n\r\n", 20, "0123456789");
	BODY("mixed-case hex", "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n", 37,
	     "abcdefghijklmnopqrstuvwxyz");
	BODY("several chunks", "3\r\nabc\r\n1\r\nd\r\n01\r\ne\r\n0\r\n\r\n", 26, "abcde");
	BODY("several zeros end", "5\r\nabcde\r\n0000\r\n\r\n", 18, "abcde");
	BODY("I157 extension", "5; foo=bar\r\nabcde\r\n0\r\n\r\n", 24, "abcde");
	BODY("extension on the last chunk", "5\r\nabcde\r\n0;x=\"y\"\r\n\r\n", 21, "abcde");
	BODY("blanks before an extension or the CRLF", "5 ;x\r\nabcde\r\n0\t\r\n\r\n", 19, "abcde");
	BODY("extension of odd bytes", "5;\001\xff\t\r\nabcde\r\n0\r\n\r\n", 19, "abcde");
	BODY("data holding CRLF and digits", "7\r\n\r\n0\r\n\r\n\r\n0\r\n\r\n", 17,
	     "\r\n0\r\n\r\n");
	BODY("trailer fields, fold, odd names",
	     "1\r\nx\r\n0\r\nA: b\r\nX_Y:\r\nZ: 1\r\n 2\r\nContent-MD5x: zz\r\n\r\n", 51, "x");
	BODY("long trailer name ignored",
	     "1\r\nx\r\n0\r\nContent-MD5-And-Then-Some: zzz\r\n\r\n", 43, "x");

	RUN("I153 two pipelined bodies", two, &o);
	is(o.rc, MOG_CHUNK_DONE, "I153 first body done");
	is(o.end, 15, "I153 first body ends at 15");
	is_mem(o.data, o.data_len, "abcd0", 5, "I153 first data");
	free(o.data);
	run("I153 second body", two + 15, sizeof(two) - 1 - 15, &o);
	is(o.rc, MOG_CHUNK_DONE, "I153 second body done");
	is_mem(o.data, o.data_len, "abcd1", 5, "I153 second data");
	free(o.data);

	RUN("incomplete body", "5\r\nabcde\r\n0\r\nFoo: b", &o);
	is(o.rc, MOG_CHUNK_AGAIN, "incomplete body: AGAIN");
	is(o.end, 19, "incomplete body: everything consumed");
	free(o.data);
	RUN("I166 input ends inside data", "666\r\nf", &o);
	is(o.rc, MOG_CHUNK_AGAIN, "I166 inside data: AGAIN");
	is(o.total, 0x666, "I166 total counts the announced chunk");
	is(o.data_len, 1, "I166 one data byte taken");
	free(o.data);
}

static void md5_trailers(void)
{
	struct outcome o;

	RUN("I148 Content-MD5 trailer",
	    "5\r\nabcde\r\n0\r\nContent-MD5: q1a02StAcTrMWviZhdS3hg==\r\n\r\n", &o);
	ok(o.rc == MOG_CHUNK_DONE && o.has_md5 && memcmp(o.md5, md5_abcde, 16) == 0,
	   "I148 trailer MD5");
	free(o.data);
	RUN("lower-case name, tabs", "0\r\ncontent-md5:\tq1a02StAcTrMWviZhdS3hg==\t \r\n\r\n", &o);
	ok(o.rc == MOG_CHUNK_DONE && o.has_md5 && memcmp(o.md5, md5_abcde, 16) == 0,
	   "lower-case Content-MD5 trailer with tabs");
	free(o.data);
	RUN("no space", "0\r\nCONTENT-MD5:q1a02StAcTrMWviZhdS3hg==\r\n\r\n", &o);
	ok(o.rc == MOG_CHUNK_DONE && o.has_md5, "Content-MD5 trailer without space");
	free(o.data);
	RUN("last Content-MD5 wins",
	    "0\r\nContent-MD5: AAAAAAAAAAAAAAAAAAAAAA==\r\n"
	    "Content-MD5: q1a02StAcTrMWviZhdS3hg==\r\n\r\n", &o);
	ok(o.rc == MOG_CHUNK_DONE && memcmp(o.md5, md5_abcde, 16) == 0, "last Content-MD5 wins");
	free(o.data);
	RUN("no MD5 trailer", "5\r\nabcde\r\n0\r\nFoo: q1a02StAcTrMWviZhdS3hg==\r\n\r\n", &o);
	ok(o.rc == MOG_CHUNK_DONE && !o.has_md5, "other trailer fields do not set has_md5");
	free(o.data);

	/* RFC 9112 7.1.1: after the size only blanks and ";": "0x5" must not read as 0 */
	BAD("size then junk (0x5)", "0x5\r\na:b\r\n\r\n", 400);
	BAD("extension without semicolon", "5 x\r\nabcde\r\n0\r\n\r\n", 400);
	BAD("I162 zzz", "5\r\nabcde\r\n0\r\nContent-MD5: zzz\r\n\r\n", 400);
	BAD("hex digest", "0\r\nContent-MD5: ab56b4d92b40713acc5af89985d4b786\r\n\r\n", 400);
	BAD("unpadded", "0\r\nContent-MD5: q1a02StAcTrMWviZhdS3hg\r\n\r\n", 400);
	BAD("one pad", "0\r\nContent-MD5: q1a02StAcTrMWviZhdS3hg=\r\n\r\n", 400);
	BAD("three pads", "0\r\nContent-MD5: q1a02StAcTrMWviZhdS3hg===\r\n\r\n", 400);
	BAD("bad digit", "0\r\nContent-MD5: q1a02StAcTrMWviZhdS3h_==\r\n\r\n", 400);
	BAD("inner space", "0\r\nContent-MD5: q1a02StAcTrMW viZhdS3hg==\r\n\r\n", 400);
	BAD("empty", "0\r\nContent-MD5:\r\n\r\n", 400);
	BAD("very long value",
	    "0\r\nContent-MD5: q1a02StAcTrMWviZhdS3hg==q1a02StAcTrMWviZhdS3hg==\r\n\r\n", 400);
	BAD("folded into the value", "0\r\nContent-MD5: q1a02StAcTrM\r\n WviZhdS3hg==\r\n\r\n",
	    400);
	BAD("space before colon", "0\r\nContent-MD5 : q1a02StAcTrMWviZhdS3hg==\r\n\r\n", 400);
}

static void errors(void)
{
	BAD("I160 non-hex size", "zz\r\nabcde\r\n0\r\n\r\n", 400);
	BAD("I161 bare LFs", "5\nabcde\n0\n\n", 400);
	BAD("bare LF after data", "5\r\nabcde\n0\r\n\r\n", 400);
	BAD("bare LF after last chunk", "5\r\nabcde\r\n0\n\r\n", 400);
	BAD("bare LF ending the trailer", "0\r\n\n", 400);
	BAD("bare LF after a trailer field", "0\r\nFoo: bar\n\r\n", 400);
	BAD("bare CR in extension", "5;a\rb\r\nabcde\r\n0\r\n\r\n", 400);
	BAD("bare CR in trailer", "0\r\nFoo: b\rr\r\n\r\n", 400);
	BAD("empty size", "\r\nabcde\r\n0\r\n\r\n", 400);
	BAD("leading space", " 5\r\nabcde\r\n0\r\n\r\n", 400);
	BAD("sign", "-5\r\nabcde\r\n0\r\n\r\n", 400);
	BAD("0x prefix", "0x5\r\nabcde\r\n0\r\n\r\n", 400);
	BAD("missing CRLF after data (not tolerated)", "5\r\nabcde0\r\n\r\n", 400);
	BAD("trailer line without colon", "0\r\nFoo\r\n\r\n", 400);
	BAD("trailer starting with a fold", "0\r\n x: y\r\n\r\n", 400);
	BAD("NUL in trailer", "0\r\nFoo: a\0b\r\n\r\n", 400);
	BAD("I154 ffffffff then 16 zeros", "ffffffff0000000000000000\r\nabcde\r\n0\r\n\r\n", 507);
	BAD("2^63", "8000000000000000\r\n", 507);
	BAD("2^64 - 1", "ffffffffffffffff\r\n", 507);
	BAD("overflow in the last digit", "7fffffffffffffff0\r\n", 507);
}

static void limits(void)
{
	struct mog_chunk c;
	struct outcome o;
	size_t used;
	char *t;
	size_t n, i;

	mog_chunk_init(&c);
	is(mog_chunk_parse(&c, "00000000000000000000000007fffffffffffffff\r\n", 43, &used),
	   MOG_CHUNK_DATA, "2^63-1 after 24 leading zeros: DATA");
	is(c.left, INT64_MAX, "left is 2^63-1");
	is(used, 43, "size line consumed");
	is(mog_chunk_parse(&c, "\r\n", 2, &used), MOG_CHUNK_DATA, "parse while data is owed: DATA");
	is(used, 0, "nothing consumed while data is owed");
	mog_chunk_data(&c, (size_t)INT64_MAX);
	is(c.left, 0, "all data taken");
	is(mog_chunk_parse(&c, "\r\n1\r\n", 5, &used), MOG_CHUNK_ERROR,
	   "total beyond 2^63-1: error");
	is(c.status, 507, "total overflow: 507");

	mog_chunk_init(&c);
	is(mog_chunk_parse(&c, "5\r\nab", 5, &used), MOG_CHUNK_DATA, "DATA with data following");
	is(used, 3, "used stops in front of data");
	is(c.left, 5, "left 5");
	is(c.total, 5, "total counts the chunk when its size line is complete");
	mog_chunk_data(&c, 2);
	is(c.left, 3, "left 3 after taking 2");
	mog_chunk_data(&c, 3);
	is(mog_chunk_parse(&c, "\r\n0\r\n\r\nGET", 10, &used), MOG_CHUNK_DONE, "done after data");
	is(used, 7, "GET left alone");
	is(mog_chunk_parse(&c, "GET", 3, &used), MOG_CHUNK_DONE, "DONE is sticky");
	is(used, 0, "nothing consumed after DONE");

	/* trailer section of exactly MOG_HEAD_MAX bytes, then one more */
	for (n = MOG_HEAD_MAX; n <= MOG_HEAD_MAX + 1; n++) {
		size_t off = 3, room;

		t = malloc(3 + n + 3);
		memcpy(t, "0\r\n", 3);
		while ((room = 3 + n - 2 - off) > 0) {
			size_t k = room > 1000 ? 1000 : room;

			if (room > 1000 && room - 1000 < 5)
				k = 990;
			memcpy(t + off, "X: ", 3);
			memset(t + off + 3, 'v', k - 5);
			memcpy(t + off + k - 2, "\r\n", 2);
			off += k;
		}
		memcpy(t + off, "\r\nGET", 5);
		drive(t, 3 + n + 3, 0, 3 + n + 3, &o);
		if (n == MOG_HEAD_MAX) {
			ok(o.rc == MOG_CHUNK_DONE && o.end == 3 + n,
			   "trailer of 65535 bytes accepted, at once");
		} else {
			ok(o.rc == MOG_CHUNK_ERROR && o.status == 400,
			   "trailer of 65536 bytes: 400, at once");
		}
		free(o.data);
		drive(t, 3 + n + 3, 0, 1, &o);
		if (n == MOG_HEAD_MAX)
			ok(o.rc == MOG_CHUNK_DONE && o.end == 3 + n,
			   "trailer of 65535 bytes accepted, byte at a time");
		else
			ok(o.rc == MOG_CHUNK_ERROR && o.status == 400,
			   "trailer of 65536 bytes: 400, byte at a time");
		free(o.data);
		free(t);
	}

	/* I158: a 4.6 MB extension streams through; the parser keeps none of it */
	{
		static const char head[] = "5; foo=bar", tail[] = "\r\nabcde\r\n0\r\n\r\nGET";
		size_t ext = 7 * 666666, len = sizeof(head) - 1 + ext + sizeof(tail) - 1;
		bool all_used = true;
		char *in = malloc(len);

		memcpy(in, head, sizeof(head) - 1);
		for (i = 0; i < 666666; i++)
			memcpy(in + sizeof(head) - 1 + i * 7, "IMABIRD", 7);
		memcpy(in + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1);

		mog_chunk_init(&c);
		for (i = 0; i + 4096 <= sizeof(head) - 1 + ext; i += 4096) {
			if (mog_chunk_parse(&c, in + i, 4096, &used) != MOG_CHUNK_AGAIN ||
			    used != 4096)
				all_used = false;
		}
		ok(all_used, "I158 every 4096-byte piece of the extension consumed at once");
		is(c.name_len + c.val_len + c.trailer_len, 0, "I158 no trailer state touched");
		ok(sizeof(struct mog_chunk) <= 256, "I158 parser state is %zu fixed bytes",
		   sizeof(struct mog_chunk));

		drive(in, len, 0, 7, &o);
		ok(o.rc == MOG_CHUNK_DONE && o.end == len - 3,
		   "I158 4.6 MB extension, 7-byte pieces");
		is_mem(o.data, o.data_len, "abcde", 5, "I158 data after the extension");
		free(o.data);
		drive(in, len, 0, 1, &o);
		ok(o.rc == MOG_CHUNK_DONE && o.end == len - 3,
		   "I158 4.6 MB extension, byte at a time");
		free(o.data);
		drive(in, len, 0, len, &o);
		ok(o.rc == MOG_CHUNK_DONE && o.end == len - 3, "I158 4.6 MB extension, at once");
		free(o.data);
		free(in);
	}

	/* I156: 500 chunks of 16 384 bytes and one of 460 */
	{
		static const char last[] = "1cc\r\n";
		size_t per = 6 + 16384 + 2, len = 500 * per + 5 + 460 + 2 + 5, off = 0;
		char *in = malloc(len);
		bool good;

		for (i = 0; i < 500; i++) {
			memcpy(in + off, "4000\r\n", 6);
			memset(in + off + 6, '*', 16384);
			memcpy(in + off + 6 + 16384, "\r\n", 2);
			off += per;
		}
		memcpy(in + off, last, 5);
		memset(in + off + 5, '!', 460);
		memcpy(in + off + 465, "\r\n0\r\n\r\n", 7);
		len = off + 472;
		drive(in, len, 0, 1000, &o);
		good = o.rc == MOG_CHUNK_DONE && o.end == len && o.data_len == 500 * 16384 + 460;
		ok(good, "I156 8 MB in 501 chunks, 1000-byte pieces");
		is(o.total, 500 * 16384 + 460, "I156 total");
		ok(o.data[0] == '*' && o.data[o.data_len - 1] == '!' &&
		   o.data[500 * 16384 - 1] == '*' && o.data[500 * 16384] == '!', "I156 data order");
		free(o.data);
		free(in);
	}
}

int main(void)
{
	bodies();
	md5_trailers();
	errors();
	limits();
	return done_testing();
}
