/* chunk_parser.rl: chunked request bodies and their trailer section.
 * doc/protocol.md, Chunked bodies. */
#include <config.h>
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include "../mog.h"
#include "chunk_parser.h"

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int b64_digit(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* exactly 22 base64 digits and "==" (doc/protocol.md, Content-MD5) */
static bool md5_decode(const char *s, size_t len, unsigned char md5[16])
{
	unsigned acc = 0, bits = 0;
	size_t i, n = 0;

	if (len != 24 || s[22] != '=' || s[23] != '=')
		return false;
	for (i = 0; i < 22; i++) {
		int d = b64_digit((unsigned char)s[i]);

		if (d < 0)
			return false;
		acc = (acc << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			md5[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	assert(n == 16 && "22 base64 digits hold 16 bytes");
	return true;
}

/* a trailer field ended: only Content-MD5 is looked at */
static int field_done(struct mog_chunk *c)
{
	unsigned char md5[16];
	int rc = 0;

	if (c->in_md5) {
		while (c->val_len > 0 && c->val_len <= sizeof(c->val) &&
		       (c->val[c->val_len - 1] == ' ' || c->val[c->val_len - 1] == '\t'))
			c->val_len--;
		if (c->val_len <= sizeof(c->val) && md5_decode(c->val, c->val_len, md5)) {
			memcpy(c->md5, md5, sizeof(md5));
			c->has_md5 = true;
		} else {
			rc = 400;
		}
	}
	c->name_len = 0;
	c->val_len = 0;
	c->in_md5 = false;
	return rc;
}

%%{
	machine chunk_parser;
	access c->;

	action hex_digit {
		int d = fc <= '9' ? fc - '0' : lower(fc) - 'a' + 10;

		if (c->size > (INT64_MAX - d) / 16) {
			c->status = 507;
			fbreak;
		}
		c->size = c->size * 16 + d;
	}
	# the caller takes the data; we resume expecting the CRLF after it
	action size_done {
		if (c->total > INT64_MAX - c->size) {
			c->status = 507;
			fbreak;
		}
		c->total += c->size;
		c->left = c->size;
		c->size = 0;
		fbreak;
	}
	action trailer_byte {
		if (++c->trailer_len > MOG_HEAD_MAX) {
			c->status = 400;
			fbreak;
		}
	}
	# names longer than the buffer are kept truncated: they only must not match
	action name_byte {
		if (c->name_len < sizeof(c->name))
			c->name[c->name_len] = fc;
		if (c->name_len <= sizeof(c->name))
			c->name_len++;
	}
	action name_end {
		size_t i;

		c->in_md5 = c->name_len == 11;
		for (i = 0; c->in_md5 && i < 11; i++)
			c->in_md5 = lower(c->name[i]) == "content-md5"[i];
	}
	action value_byte {
		if (c->in_md5 && (c->val_len > 0 || (fc != ' ' && fc != '\t'))) {
			if (c->val_len < sizeof(c->val))
				c->val[c->val_len] = fc;
			if (c->val_len <= sizeof(c->val))
				c->val_len++;
		}
	}
	action field_end {
		int rc = field_done(c);

		if (rc != 0) {
			c->status = rc;
			fbreak;
		}
	}

	CRLF = "\r\n";
	hex = [0-9a-fA-F] @hex_digit;

	# optional blanks, then ";" and anything but CR and LF, of any length,
	# never stored (RFC 9112 7.1.1).  Any other byte after the size (as in
	# "0x5") is an error: a front end reading it differently must never see
	# a body end where we see none.
	ext = [ \t]* (';' (any - [\r\n])*)?;

	chunk = '0'* ([1-9a-fA-F] @hex_digit) hex* ext CRLF @size_done CRLF;
	last_chunk = '0'+ ext CRLF;

	# RFC 7230 token; values: any byte but CTLs (HT allowed), obs-fold accepted
	tchar = alnum | [!#$%&'*+.^_`|~\-];
	vchar = ((any - cntrl) | '\t') @value_byte;
	fold = [ \t] @value_byte;
	field = (tchar @name_byte)+ ':' @name_end vchar* CRLF (fold vchar* CRLF)*;
	trailer = ((field %field_end)* '\r') $trailer_byte '\n' @trailer_byte @{ fbreak; };

	main := chunk* last_chunk trailer;
}%%

%% write data noentry;

void mog_chunk_init(struct mog_chunk *c)
{
	memset(c, 0, sizeof(*c));
	%% write init;
}

enum mog_chunk_next mog_chunk_parse(struct mog_chunk *c, const char *buf, size_t len,
				    size_t *used)
{
	const char *p = buf, *pe = buf + len;

	*used = 0;
	if (c->status != 0)
		return MOG_CHUNK_ERROR;
	if (c->cs >= chunk_parser_first_final)
		return MOG_CHUNK_DONE;
	if (c->left > 0)
		return MOG_CHUNK_DATA;	/* the caller still owes us data bytes */

	%% write exec;

	*used = p - buf;
	assert(*used <= len && "parser ran past buffer");
	if (c->status != 0)
		return MOG_CHUNK_ERROR;
	if (c->cs == chunk_parser_error) {
		c->status = 400;
		return MOG_CHUNK_ERROR;
	}
	if (c->cs >= chunk_parser_first_final)
		return MOG_CHUNK_DONE;
	if (c->left > 0)
		return MOG_CHUNK_DATA;
	assert(*used == len && "AGAIN consumes everything");
	return MOG_CHUNK_AGAIN;
}

void mog_chunk_data(struct mog_chunk *c, size_t n)
{
	assert((off_t)n <= c->left && "more data taken than the chunk holds");
	c->left -= n;
}
