# 83-hostile-http.t: request smuggling and desynchronisation vectors (doc/protocol.md,
# Request line, Headers, Connections, Body framing, Chunked bodies, Status summary).
#
# Every vector is sent on a fresh connection, followed by a sentinel request for an existing
# 8-byte file; then the client half-closes and reads everything until EOF.  Besides the
# vector's documented status, each vector checks that the connection was never left
# desynchronised: after the vector's response(s) either the connection is closed (nothing
# more arrives), or exactly one further response arrives and it is the sentinel's 200 with
# its 8-byte body.  A response to bytes hidden inside a body (a 404 for /dev1/smuggled, a
# 400 for body bytes parsed as a head) is a failure.
use strict;
use warnings;
use Test::More;
use Errno qw(EAGAIN EINTR);
use Socket qw(SOL_SOCKET SO_LINGER);
use Time::HiRes qw(time sleep);
use TestDaemon;

my $d = TestDaemon->start(devices => [1]);
my $SBODY = 'S3NT1NEL';
my $SENT = "GET /dev1/sentinel HTTP/1.1\r\nHost: t\r\n\r\n";
my $SMUG = "GET /dev1/smuggled HTTP/1.1\r\nHost: t\r\n\r\n";	# 404 if ever answered
$d->write_file('dev1/sentinel', $SBODY);

# warm up (pool threads, lazily opened descriptors), then the baseline
$d->roundtrip($SENT) for 1 .. 3;
my $fd_base;
TestDaemon::poll_until(sub {
	my $a = $d->fd_count;
	sleep 0.1;
	my $b = $d->fd_count;
	$fd_base = $b if defined $a && defined $b && $a == $b;
	defined $fd_base;
}, 3);

# ---- helpers ------------------------------------------------------------------------

sub show {
	my ($s) = @_;
	$s = substr($s, 0, 120) . '…(' . length($s) . ' bytes)' if length $s > 140;
	$s =~ s/\r/\\r/g;
	$s =~ s/\n/\\n/g;
	$s =~ s/\t/\\t/g;
	$s =~ s/([\x00-\x1f\x7f-\xff])/sprintf('\\x%02x', ord $1)/ge;
	return $s;
}

# Responses parsed out of $buf (bodies framed by Content-Length, none for HEAD answers:
# $heads->[i] true when response i answers a HEAD).  Returns (\@responses, $rest).
sub parse_responses {
	my ($buf, $max, $heads) = @_;
	my @r;
	while (@r < $max) {
		my $end = index($buf, "\r\n\r\n");
		last if $end < 0;
		my $head = substr($buf, 0, $end + 4);
		my %h;
		my @lines = split /\r\n/, substr($head, 0, -4);
		my $sl = shift @lines;
		my ($st) = $sl =~ m{^HTTP/1\.[01] (\d{3}) } or last;
		for (@lines) {
			my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/ or next;
			$h{lc $k} = $v;
		}
		my $len = $heads->[@r] ? 0 : ($h{'content-length'} // 0);
		$len = 0 unless $len =~ /^\d+$/;
		last if length($buf) < $end + 4 + $len;
		push @r, { status => $st, headers => \%h, head => $head,
			   body => substr($buf, $end + 4, $len) };
		substr($buf, 0, $end + 4 + $len, '');
	}
	return (\@r, $buf);
}

# Everything the daemon sends until EOF (or $timeout): ($bytes, $eof).
sub drain {
	my ($s, $timeout) = @_;
	my $deadline = time + ($timeout // TestDaemon::slow(5));
	my $eof = 0;
	while (1) {
		my $r = TestDaemon::fill($s, $deadline);
		last if !defined $r;
		if ($r == 0) {
			$eof = 1;
			last;
		}
	}
	my $ref = TestDaemon::rbuf($s);
	my $all = $$ref;
	$$ref = '';
	return ($all, $eof);
}

# Checks one exchange.  %e: status (one code, or [alternatives]) of a single vector
# response, or seq => [status, ...] for several (pipelined) ones; close => 1 / 0 (the
# last vector response must say Connection: close / keep-alive); head => 1 (the vector
# is a HEAD); body => the first response's body; gone => 'rel/path' (must not exist
# afterwards); file => ['rel/path', content].  Returns true if everything held.
sub judge {
	my ($name, $all, $eof, %e) = @_;
	my @seq = $e{seq} ? @{ $e{seq} } : ($e{status});
	my ($rs, $rest) = parse_responses($all, scalar @seq, [$e{head} ? 1 : 0]);
	my $good = 1;
	my @got = map { $_->{status} } @$rs;
	my $want_txt = join(' ', map { ref $_ ? join('|', @$_) : $_ } @seq);
	my $st_ok = @got == @seq;
	for my $i (0 .. $#seq) {
		last unless $st_ok;
		my @alt = ref $seq[$i] ? @{ $seq[$i] } : ($seq[$i]);
		$st_ok = grep { $_ == $got[$i] } @alt;
	}
	ok($st_ok, "$name: status $want_txt") or do { diag("got statuses: @got; stream: " . show($all)); $good = 0 };
	my $last = $rs->[-1];
	my $conn = $last ? $last->{headers}{connection} // '' : '';
	if (defined $e{close}) {
		my $w = $e{close} ? 'close' : 'keep-alive';
		is($conn, $w, "$name: Connection: $w") or $good = 0;
	}
	if (defined $e{body}) {
		is($rs->[0] && $rs->[0]{body}, $e{body}, "$name: response body") or $good = 0;
	}
	# the desynchronisation check
	my ($why, $sync) = ('', 0);
	if (!$last || @$rs < @seq) {
		$why = 'vector response missing';
	} elsif ($conn eq 'close') {
		$sync = $rest eq '' && $eof;
		$why = $rest ne '' ? 'bytes after a Connection: close response: ' . show($rest)
				   : 'no EOF after Connection: close';
	} else {
		my ($s2, $rest2) = parse_responses($rest, 2, []);
		$sync = @$s2 == 1 && $s2->[0]{status} == 200 && $s2->[0]{body} eq $SBODY
			&& $rest2 eq '' && $eof;
		$why = 'after a keep-alive response expected exactly the sentinel 200 and EOF, got: '
			. show($rest) . ($eof ? ' (EOF)' : ' (no EOF)');
	}
	ok($sync, "$name: connection not desynchronised") or do { diag($why); $good = 0 };
	if (defined $e{gone}) {
		ok(!-e $d->path($e{gone}), "$name: nothing created at $e{gone}") or $good = 0;
	}
	if ($e{file}) {
		is($d->read_file($e{file}[0]), $e{file}[1], "$name: $e{file}[0] content") or $good = 0;
	}
	return $good;
}

sub open_conn {
	my $s = $d->connect('http');
	# an RST on close: no TIME_WAIT pile-up from hundreds of short connections
	setsockopt($s, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
	return $s;
}

# Sends @$parts (a short pause between them), then the sentinel, half-closes and reads.
sub exchange {
	my ($parts) = @_;
	my $s = open_conn();
	for my $i (0 .. $#$parts) {
		TestDaemon::write_all($s, $parts->[$i]);
		sleep 0.03 if $i < $#$parts;
	}
	TestDaemon::write_all($s, $SENT);
	shutdown($s, 1);
	my ($all, $eof) = drain($s);
	close $s;
	return ($all, $eof);
}

my $vn = 0;
# One vector: $raw (a string, or [parts] written separately).
sub vector {
	my ($name, $raw, %e) = @_;
	my ($all, $eof) = exchange(ref $raw ? $raw : [$raw]);
	return judge($name, $all, $eof, %e);
}

# The same vector split at every byte boundary into two writes (all splits run
# concurrently: first halves, a pause, second halves plus the sentinel).  One assertion
# for all splits; failing offsets are listed.
sub vector_split {
	my ($name, $raw, %e) = @_;
	my @conns;
	for my $i (1 .. length($raw) - 1) {
		my $s = open_conn();
		TestDaemon::write_all($s, substr($raw, 0, $i));
		push @conns, [$i, $s];
	}
	sleep 0.1;
	for (@conns) {
		my ($i, $s) = @$_;
		TestDaemon::write_all($s, substr($raw, $i) . $SENT);
		shutdown($s, 1);
	}
	my @bad;
	{
		for (@conns) {
			my ($i, $s) = @$_;
			my ($all, $eof) = drain($s);
			close $s;
			my $ok = quiet_judge("$name split at $i", $all, $eof, %e);
			push @bad, "$i: " . show($all) unless $ok;
		}
	}
	ok(!@bad, "$name: split into two writes at each of " . (length($raw) - 1)
	   . ' offsets: documented answer, never desynchronised')
		or diag(join("\n", @bad[0 .. ($#bad > 9 ? 9 : $#bad)]));
}

# judge() without emitting test results: the checks are redone on plain values.
sub quiet_judge {
	my ($name, $all, $eof, %e) = @_;
	my @seq = $e{seq} ? @{ $e{seq} } : ($e{status});
	my ($rs, $rest) = parse_responses($all, scalar @seq, [$e{head} ? 1 : 0]);
	return 0 if @$rs < @seq;
	for my $i (0 .. $#seq) {
		my @alt = ref $seq[$i] ? @{ $seq[$i] } : ($seq[$i]);
		return 0 unless grep { $_ == $rs->[$i]{status} } @alt;
	}
	my $conn = $rs->[-1]{headers}{connection} // '';
	return 0 if defined $e{close} && $conn ne ($e{close} ? 'close' : 'keep-alive');
	return 0 if defined $e{body} && $rs->[0]{body} ne $e{body};
	if ($conn eq 'close') {
		return 0 unless $rest eq '' && $eof;
	} else {
		my ($s2, $rest2) = parse_responses($rest, 2, []);
		return 0 unless @$s2 == 1 && $s2->[0]{status} == 200 && $s2->[0]{body} eq $SBODY
			&& $rest2 eq '' && $eof;
	}
	return 0 if defined $e{gone} && -e $d->path($e{gone});
	return 0 if $e{file} && ($d->read_file($e{file}[0]) // "\0undef") ne $e{file}[1];
	return 1;
}

sub np { 'dev1/v' . ++$vn }	# a fresh PUT target
my $CHUNKED = "5\r\nhello\r\n0\r\n\r\n";
my $CL_CHUNKED = length $CHUNKED;

# ---- CL + TE (2.2: the body is chunked, CL ignored, Connection: close) --------------

for my $order ('CL first', 'TE first') {
	my $hdrs = sub {
		my ($cl, $te) = @_;
		$order eq 'CL first' ? "Content-Length: $cl\r\nTransfer-Encoding: $te\r\n"
				     : "Transfer-Encoding: $te\r\nContent-Length: $cl\r\n";
	};
	my $p = np();
	vector("hostile: CL+TE ($order), CL = chunked length", "PUT /$p HTTP/1.1\r\n"
	       . $hdrs->($CL_CHUNKED, 'chunked') . "\r\n$CHUNKED",
	       status => 201, close => 1, file => [$p, 'hello']);
	# TE.CL: a CL-framing front end would see "5\r\n" as the body and "hello..." next
	$p = np();
	vector("hostile: CL+TE ($order), CL shorter than the chunked body (TE.CL)",
	       "PUT /$p HTTP/1.1\r\n" . $hdrs->(3, 'chunked') . "\r\n$CHUNKED",
	       status => 201, close => 1, file => [$p, 'hello']);
	# CL.TE: a smuggled request after the last chunk, inside the CL-framed body
	$p = np();
	my $body = "0\r\n\r\n$SMUG";
	vector("hostile: CL+TE ($order), smuggled GET after the last chunk (CL.TE)",
	       "PUT /$p HTTP/1.1\r\n" . $hdrs->(length $body, 'chunked') . "\r\n$body",
	       status => 201, close => 1, file => [$p, '']);
	# TE value variants that are exactly "chunked" once OWS is trimmed, in any case
	for my $te ('chunked ', 'Chunked', ' chunked', "chunked\t", 'CHUNKED', "\tchunked") {
		$p = np();
		vector("hostile: CL+TE ($order), TE '" . show($te) . "' is chunked",
		       "PUT /$p HTTP/1.1\r\n" . $hdrs->(3, $te) . "\r\n$CHUNKED",
		       status => 201, close => 1, file => [$p, 'hello']);
	}
	# anything else is 400 + close, nothing created, the CL-framed body never parsed
	for my $te ('chunked, identity', 'identity', 'gzip, chunked', 'x-chunked', 'chunked,',
		    'chunked;q=1', 'chunk', 'chunkedx', "chunked\x0b", "chun\x00ked", "\"chunked\"",
		    'chunked, chunked', '') {
		$p = np();
		my $body = $SMUG;
		vector("hostile: CL+TE ($order), TE '" . show($te) . "' → 400",
		       "PUT /$p HTTP/1.1\r\n" . $hdrs->(length $body, $te) . "\r\n$body",
		       status => 400, close => 1, gone => $p);
	}
}

# TE variants without CL
for my $te ('chunked ', 'Chunked', ' chunked', "chunked\t") {
	my $p = np();
	vector("hostile: TE '" . show($te) . "' alone → chunked, kept alive",
	       "PUT /$p HTTP/1.1\r\nTransfer-Encoding: $te\r\n\r\n$CHUNKED",
	       status => 201, close => 0, file => [$p, 'hello']);
}
for my $te ('identity', 'gzip, chunked', 'x-chunked', 'chunked, identity') {
	my $p = np();
	vector("hostile: TE '" . show($te) . "' alone → 400",
	       "PUT /$p HTTP/1.1\r\nTransfer-Encoding: $te\r\n\r\n$CHUNKED",
	       status => 400, close => 1, gone => $p);
}
for my $pair (['chunked', 'chunked'], ['chunked', 'identity'], ['identity', 'chunked']) {
	my $p = np();
	vector("hostile: two Transfer-Encoding headers ($pair->[0], $pair->[1]) → 400",
	       "PUT /$p HTTP/1.1\r\nTransfer-Encoding: $pair->[0]\r\nTransfer-Encoding: $pair->[1]"
	       . "\r\n\r\n$CHUNKED", status => 400, close => 1, gone => $p);
}
vector('hostile: two Transfer-Encoding headers on a GET → 400',
       "GET /dev1/sentinel HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked"
       . "\r\n\r\n0\r\n\r\n", status => 400, close => 1);
vector('hostile: TE identity on a GET → 400',
       "GET /dev1/sentinel HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", status => 400, close => 1);

# ---- Content-Length values -------------------------------------------------------------

{
	my $p = np();
	vector('hostile: duplicate identical Content-Length → one value',
	       "PUT /$p HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
	       status => 201, close => 0, file => [$p, 'hello']);
	$p = np();
	vector('hostile: duplicate Content-Length 5 and 05 (same value) → one value',
	       "PUT /$p HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 05\r\n\r\nhello",
	       status => 201, close => 0, file => [$p, 'hello']);
	for my $pair ([5, 6], [6, 5], [5, 0], [0, 5], [5, 15]) {
		$p = np();
		my $body = 'hello' . ' ' x ($pair->[1] > 5 ? $pair->[1] - 5 : 0);
		vector("hostile: differing duplicate Content-Length $pair->[0], $pair->[1] → 400",
		       "PUT /$p HTTP/1.1\r\nContent-Length: $pair->[0]\r\nContent-Length: $pair->[1]"
		       . "\r\n\r\n$body", status => 400, close => 1, gone => $p);
	}
	for my $v ('5, 5', '5,5', '5 5', '+5', '-1', '-0', '0x5', '5a', '5.0', "5\x0b", '',
		   "\xef\xbc\x95", '1e1', '5;') {
		$p = np();
		vector("hostile: Content-Length '" . show($v) . "' → 400",
		       "PUT /$p HTTP/1.1\r\nContent-Length: $v\r\n\r\nhello", status => 400,
		       close => 1, gone => $p);
	}
	$p = np();
	vector("hostile: Content-Length ' 5 ' (OWS trimmed) → 5",
	       "PUT /$p HTTP/1.1\r\nContent-Length:  5 \r\n\r\nhello",
	       status => 201, close => 0, file => [$p, 'hello']);
	$p = np();
	vector("hostile: Content-Length '\\t5\\t' (OWS trimmed) → 5",
	       "PUT /$p HTTP/1.1\r\nContent-Length:\t5\t\r\n\r\nhello",
	       status => 201, close => 0, file => [$p, 'hello']);
	$p = np();
	vector('hostile: Content-Length with 40 leading zeros → 5 (no false overflow)',
	       "PUT /$p HTTP/1.1\r\nContent-Length: " . ('0' x 40) . "5\r\n\r\nhello",
	       status => 201, close => 0, file => [$p, 'hello']);
	# overflow: never wrapped to a small number
	for my $v ('9223372036854775808', '18446744073709551616', '18446744073709551621',
		   '99999999999999999999', '1' . '0' x 100) {
		$p = np();
		vector("hostile: overflowing Content-Length $v → 507",
		       "PUT /$p HTTP/1.1\r\nContent-Length: $v\r\n\r\nhello",
		       status => 507, close => 1, gone => $p);
	}
	vector('hostile: overflowing Content-Length on a GET → 507',
	       "GET /dev1/sentinel HTTP/1.1\r\nContent-Length: 18446744073709551621\r\n\r\nhello",
	       status => 507, close => 1);
	vector('hostile: Content-Length 2^63-1 on a GET → answered and closed, body never awaited',
	       "GET /dev1/sentinel HTTP/1.1\r\nContent-Length: 9223372036854775807\r\n\r\n",
	       status => 200, close => 1, body => $SBODY);
}

# ---- bodies on GET / HEAD / DELETE / MKCOL (2.4: never parsed as a request) ------------

{
	my $inner = $SMUG;
	my $cl = length $inner;
	vector("hostile: GET with Content-Length: $cl + a GET /smuggled inside → 200, close",
	       "GET /dev1/sentinel HTTP/1.1\r\nHost: t\r\nContent-Length: $cl\r\n\r\n$inner",
	       status => 200, close => 1, body => $SBODY);
	vector('hostile: HTTP/1.0 keep-alive GET with Content-Length + a GET /smuggled inside',
	       "GET /dev1/sentinel HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: $cl\r\n\r\n$inner",
	       status => 200, close => 1, body => $SBODY);
	vector('hostile: HEAD with a body holding a request → 200, close',
	       "HEAD /dev1/sentinel HTTP/1.1\r\nContent-Length: $cl\r\n\r\n$inner",
	       status => 200, close => 1, head => 1);
	vector('hostile: DELETE with a body holding a request → 404, close',
	       "DELETE /dev1/nonexistent HTTP/1.1\r\nContent-Length: $cl\r\n\r\n$inner",
	       status => 404, close => 1);
	vector('hostile: MKCOL with a body holding a request → 400, close',
	       "MKCOL /dev1/col HTTP/1.1\r\nContent-Length: $cl\r\n\r\n$inner",
	       status => 400, close => 1, gone => 'dev1/col');
	my $chunk = sprintf("%x\r\n%s\r\n0\r\n\r\n", $cl, $inner);
	vector('hostile: GET with a chunked body holding a request → 200, close',
	       "GET /dev1/sentinel HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n$chunk",
	       status => 200, close => 1, body => $SBODY);
	vector('hostile: GET with an empty chunked body → still closes',
	       "GET /dev1/sentinel HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	       status => 200, close => 1);
	vector('hostile: GET with Content-Length: 0 → kept alive',
	       "GET /dev1/sentinel HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
	       status => 200, close => 0, body => $SBODY);
	my $p = np();
	vector('hostile: PUT body that looks like a request is stored, not parsed',
	       "PUT /$p HTTP/1.1\r\nContent-Length: $cl\r\n\r\n$inner",
	       status => 201, close => 0, file => [$p, $inner]);
}

# ---- chunk-size lines (2.9.4) ----------------------------------------------------------

{
	my $put = sub { my ($p) = @_; "PUT /$p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" };
	for my $t (["5 ;x", 'BWS then an extension'], ["5\t", 'trailing HT (extension)'],
		   ["5;a=b;c=\"d\"", 'extensions'], ["0005", 'leading zeros'],
		   ['0' x 60 . '5', '60 leading zeros (no false overflow)'], ['5;' . 'e' x 70000,
		   '70,000-byte extension']) {
		my $p = np();
		vector("hostile: chunk size '" . show($t->[0]) . "' ($t->[1]) → 201",
		       $put->($p) . "$t->[0]\r\nhello\r\n0\r\n\r\n", status => 201, close => 0,
		       file => [$p, 'hello']);
	}
	my $p = np();
	vector("hostile: last chunk '000' → 201, next request parsed",
	       $put->($p) . "5\r\nhello\r\n000\r\n\r\n", status => 201, close => 0,
	       file => [$p, 'hello']);
	# after the size only blanks and ';' may follow (RFC 9112 7.1.1): '0x5' is an error
	for my $t (['0x5', "0x5\r\nhello\r\n0\r\n\r\n"], ['-1', "-1\r\nh\r\n0\r\n\r\n"],
		   [' 5', " 5\r\nhello\r\n0\r\n\r\n"], ['x', "x\r\nhello\r\n0\r\n\r\n"],
		   ['empty', "\r\nhello\r\n0\r\n\r\n"], ['5 then bare LF', "5\nhello\r\n0\r\n\r\n"],
		   ['5 then bare CR', "5\rhello\r\n0\r\n\r\n"], ['5;a, CR in ext', "5;a\rb\r\nhello\r\n0\r\n\r\n"],
		   ['5 then LF CR', "5\n\rhello\r\n0\r\n\r\n"],
		   ['data longer than the size', "5\r\nhelloX\r\n0\r\n\r\n"],
		   ['data then bare LF', "5\r\nhello\n0\r\n\r\n"],
		   ['last chunk then bare LF', "5\r\nhello\r\n0\n\r\n"],
		   ['trailer end bare LF', "5\r\nhello\r\n0\r\n\n"],
		   ['NUL as size', "\x005\r\nhello\r\n0\r\n\r\n"],
		   ['0x5 then smuggled request as trailer', "0x5\r\n$SMUG"]) {
		$p = np();
		vector("hostile: chunk framing '$t->[0]' → 400", $put->($p) . $t->[1],
		       status => 400, close => 1, gone => $p);
	}
	# '0x5' then "a:b" CRLF CRLF: a front end that reads 0x5 as 5 forwards one request
	# (one 5-byte chunk "a:b\r\n", then the last chunk); reading '0' plus an extension
	# 'x5' would make a trailer "a:b" and a second request "0\r\n\r\n" of it: two
	# responses to one forwarded request.  An extension starts with ';', so 400.
	$p = np();
	vector("hostile: chunk size '0x5' with a trailer-shaped chunk → 400",
	       $put->($p) . "0x5\r\na:b\r\n\r\n0\r\n\r\n", status => 400, close => 1, gone => $p);
	for my $sz ('fffffffffffffffffff', '8000000000000000', '10000000000000005',
		    'f' x 100) {
		$p = np();
		vector("hostile: overflowing chunk size $sz → 507",
		       $put->($p) . "$sz\r\nhello\r\n0\r\n\r\n", status => 507, close => 1, gone => $p);
	}
	# two chunks summing past 2^63-1
	$p = np();
	vector('hostile: chunk sizes summing past 2^63-1 → 507',
	       $put->($p) . "1\r\nh\r\n7fffffffffffffff\r\nhello\r\n0\r\n\r\n",
	       status => 507, close => 1, gone => $p);
}

# ---- trailers (2.9.4) ------------------------------------------------------------------

{
	my $p = np();
	vector('hostile: chunked PUT with trailers, then pipelined GET and sentinel',
	       "PUT /$p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n"
	       . "Y: 2\r\n\r\nGET /$p HTTP/1.1\r\n\r\n", seq => [201, 200], close => 0,
	       file => [$p, 'hello']);
	$p = np();
	my $next = "GET /dev1/sentinel HTTP/1.1\r\n\r\n";
	vector('hostile: trailer Content-Length is not framing (next request still parsed)',
	       "PUT /$p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
	       . 'Content-Length: ' . length($next) . "\r\n\r\n$next", seq => [201, 200],
	       close => 0, file => [$p, 'hello']);
	$p = np();
	vector('hostile: trailer Transfer-Encoding: chunked is not framing',
	       "PUT /$p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
	       . "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", seq => [201, 400],
	       close => 1, file => [$p, 'hello']);
	$p = np();
	vector('hostile: folded trailer field',
	       "PUT /$p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX: a\r\n b\r\n\r\n",
	       status => 201, close => 0, file => [$p, 'hello']);
	for my $t (['bare LF in a trailer line', "X: a\n\r\n"], ['bare CR in a trailer line', "X: a\rb\r\n\r\n"],
		   ['trailer without colon', "X\r\n\r\n"], ['space before colon in trailer', "X : a\r\n\r\n"],
		   ['NUL in trailer value', "X: a\x00b\r\n\r\n"],
		   ['malformed Content-MD5 trailer', "Content-MD5: abc\r\n\r\n"]) {
		$p = np();
		vector("hostile: $t->[0] → 400",
		       "PUT /$p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n$t->[1]",
		       status => 400, close => 1, gone => $p);
	}
	$p = np();
	vector('hostile: 70,000-byte trailer section → 400',
	       "PUT /$p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
	       . ("X: " . 'a' x 1000 . "\r\n") x 70 . "\r\n", status => 400, close => 1, gone => $p);
}

# ---- obs-fold (accepted everywhere, the fold is one space) ---------------------------

{
	my $p = np();
	vector("hostile: 'Transfer-Encoding:' CRLF SP 'chunked' → chunked",
	       "PUT /$p HTTP/1.1\r\nTransfer-Encoding:\r\n chunked\r\n\r\n$CHUNKED",
	       status => 201, close => 0, file => [$p, 'hello']);
	$p = np();
	vector("hostile: folded TE + CL → chunked, close",
	       "PUT /$p HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding:\r\n\tchunked\r\n\r\n$CHUNKED",
	       status => 201, close => 1, file => [$p, 'hello']);
	$p = np();
	vector("hostile: 'Content-Length:' CRLF SP '5' → 5",
	       "PUT /$p HTTP/1.1\r\nContent-Length:\r\n 5\r\n\r\nhello",
	       status => 201, close => 0, file => [$p, 'hello']);
	$p = np();
	vector("hostile: 'Transfer-Encoding: chunked' CRLF HT (empty fold) → chunked",
	       "PUT /$p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\t\r\n\r\n$CHUNKED",
	       status => 201, close => 0, file => [$p, 'hello']);
	for my $t (["Transfer-Encoding: chun\r\n ked", "'chun' fold 'ked' (= 'chun ked')"],
		   ["Transfer-Encoding: chunked\r\n , identity", "'chunked' fold ', identity'"],
		   ["Content-Length: 5\r\n 5", "'5' fold '5' (= '5 5')"],
		   ["Content-Length: 1\r\n 0", "'1' fold '0' (= '1 0')"],
		   ["Content-Length: 5\r\n Transfer-Encoding: chunked", 'TE folded into the CL value'],
		   ["Transfer-\r\n Encoding: chunked", 'folded header name'],
		   ["Content-\r\n\tLength: 5", 'folded header name (HT)'],
		   ["Transfer-Encoding: chunked\n chunked", 'fold with bare LF']) {
		$p = np();
		vector("hostile: obs-fold $t->[1] → 400",
		       "PUT /$p HTTP/1.1\r\n$t->[0]\r\n\r\n$CHUNKED", status => 400, close => 1, gone => $p);
	}
	# an indented TE line continues X-Foo's value: it is not a Transfer-Encoding header
	$p = np();
	vector('hostile: TE hidden in a fold of another header → CL framing',
	       "PUT /$p HTTP/1.1\r\nContent-Length: 5\r\nX-Foo: bar\r\n Transfer-Encoding: chunked\r\n\r\nhello",
	       status => 201, close => 0, file => [$p, 'hello']);
	$p = np();
	vector('hostile: fold right after the request line → 400',
	       "PUT /$p HTTP/1.1\r\n Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello",
	       status => 400, close => 1, gone => $p);
	vector('hostile: folded Connection: close is honoured',
	       "GET /dev1/sentinel HTTP/1.1\r\nConnection:\r\n close\r\n\r\n", status => 200, close => 1);
}

# ---- bare LF, bare CR, NUL in heads -----------------------------------------------------

for my $t (["GET /dev1/sentinel HTTP/1.1\n\n", 'bare LF line ends'],
	   ["GET /dev1/sentinel HTTP/1.1\nHost: t\r\n\r\n", 'bare LF after the request line'],
	   ["GET /dev1/sentinel HTTP/1.1\r\nHost: t\n\r\n", 'bare LF after a header'],
	   ["GET /dev1/sentinel HTTP/1.1\r\nHost: t\r\n\n", 'bare LF as the empty line'],
	   ["GET /dev1/sentinel HTTP/1.1\r\nX: a\nTransfer-Encoding: chunked\r\n\r\n", 'bare LF splitting a header'],
	   ["GET /dev1/sentinel HTTP/1.1\r\nHost: t\rX: y\r\n\r\n", 'bare CR inside a header line'],
	   ["GET /dev1/sentinel\r HTTP/1.1\r\n\r\n", 'bare CR in the request line'],
	   ["GET /dev1/sentinel HTTP/1.1\r\r\n\r\n", 'CR CR LF'],
	   ["GET /dev1/sentinel HTTP/1.1\r\nHost: t\r\n\r\r\n", 'CR CR LF as the empty line'],
	   ["G\x00ET /dev1/sentinel HTTP/1.1\r\n\r\n", 'NUL in the method'],
	   ["\x00GET /dev1/sentinel HTTP/1.1\r\n\r\n", 'NUL before the method'],
	   ["GET /dev1/sen\x00tinel HTTP/1.1\r\n\r\n", 'NUL in the path'],
	   ["GET /dev1/sentinel\x00 HTTP/1.1\r\n\r\n", 'NUL after the path'],
	   ["GET /dev1/sentinel HTTP/1.1\x00\r\n\r\n", 'NUL after the version'],
	   ["GET /dev1/sentinel HTTP/1.1\r\nHo\x00st: t\r\n\r\n", 'NUL in a header name'],
	   ["GET /dev1/sentinel HTTP/1.1\r\nHost: t\x00\r\n\r\n", 'NUL at the end of a header value'],
	   ["GET /dev1/sentinel HTTP/1.1\r\nContent-Length: 0\x00\r\n\r\n", 'NUL after a CL value'],
	   ["GET /dev1/sentinel HTTP/1.1\r\nHost: t\x7f\r\n\r\n", 'DEL in a header value'],
	   ["GET /dev1/sentinel HTTP/1.1\r\nHost: t\x0bx\r\n\r\n", 'VT in a header value']) {
	vector("hostile: $t->[1] → 400", $t->[0], status => 400, close => 1);
}

# ---- request line and header syntax ---------------------------------------------------

for my $t (["GET  /dev1/sentinel HTTP/1.1\r\n\r\n", 'two spaces after the method'],
	   ["GET /dev1/sentinel  HTTP/1.1\r\n\r\n", 'two spaces before the version'],
	   ["GET\t/dev1/sentinel HTTP/1.1\r\n\r\n", 'HT as separator'],
	   ["GET /dev1/sentinel HTTP/1.1 \r\n\r\n", 'space after the version'],
	   ["GET /dev1/sentinel http/1.1\r\n\r\n", 'lower-case version'],
	   ["GET /dev1/sentinel HTTP/1.2\r\n\r\n", 'HTTP/1.2'],
	   ["GET /dev1/sentinel\r\n\r\n", 'HTTP/0.9 style'],
	   ["get /dev1/sentinel HTTP/1.1\r\n\r\n", 'lower-case method'],
	   ["POST /dev1/sentinel HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 'POST with a body'],
	   ["GET https://t/dev1/sentinel HTTP/1.1\r\n\r\n", 'https absolute URI'],
	   ["GET http:///dev1/sentinel HTTP/1.1\r\n\r\n", 'absolute URI, empty authority'],
	   ["GET http://t HTTP/1.1\r\n\r\n", 'absolute URI without a path'],
	   ["GET /dev1/sentinel?x HTTP/1.1\r\n\r\n", 'query string'],
	   ["GET /dev1/sentinel HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 'space before colon (TE)'],
	   ["GET /dev1/sentinel HTTP/1.1\r\nContent-Length\t: 0\r\n\r\n", 'HT before colon (CL)'],
	   ["GET /dev1/sentinel HTTP/1.1\r\nHost : t\r\n\r\n", 'space before colon (ignored header)'],
	   ["GET /dev1/sentinel HTTP/1.1\r\nTransfer-Encoding chunked\r\n\r\n0\r\n\r\n", 'header without colon'],
	   ["GET /dev1/sentinel HTTP/1.1\r\nHost\r\n\r\n", 'bare field name'],
	   ["GET /dev1/sentinel HTTP/1.1\r\n: value\r\n\r\n", 'empty field name'],
	   ["GET /dev1/sentinel HTTP/1.1\r\nX[y]: 1\r\n\r\n", 'non-token field name'],
	   ["GET /dev1/sentinel HTTP/1.1\r\nTransfer-Encoding\xff: chunked\r\n\r\n", 'obs-text in field name'],
	   ['GET /dev1/' . 'a' x 60 . " HTTP/1.1\r\n\r\n", 'path of 66 bytes'],
	   ['GET /' . 'a' x 70000 . " HTTP/1.1\r\n\r\n", 'request line of 70,000 bytes']) {
	vector("hostile: $t->[1] → 400", $t->[0], status => 400, close => 1);
}
vector('hostile: path of exactly 64 bytes is served (404)',
       'GET /dev1/' . 'a' x 58 . " HTTP/1.1\r\n\r\n", status => 404, close => 0);
vector('hostile: path of 65 bytes → 400',
       'GET /dev1/' . 'a' x 59 . " HTTP/1.1\r\n\r\n", status => 400, close => 1);
vector('hostile: absolute URI, Host naming another path → the URI path wins',
       "GET http://t/dev1/sentinel HTTP/1.1\r\nHost: other/dev1/smuggled\r\n\r\n",
       status => 200, close => 0, body => $SBODY);
vector('hostile: absolute URI with userinfo-like authority → the URI path wins',
       "GET http://a\@b:1/dev1/sentinel HTTP/1.1\r\nHost: t\r\n\r\n",
       status => 200, close => 0, body => $SBODY);
vector('hostile: absolute URI to a missing file, Host points to the sentinel → 404',
       "GET http://t/dev1/smuggled HTTP/1.1\r\nHost: t/dev1/sentinel\r\n\r\n",
       status => 404, close => 0);
# RFC 9112 2.2 says a server SHOULD ignore an empty line before a request line; the
# daemon's grammar has none: a 400 is as safe (never a desync)
vector('hostile: CRLF before the request line → 200 or 400',
       "\r\nGET /dev1/sentinel HTTP/1.1\r\n\r\n", status => [200, 400]);
vector('hostile: CRLF after a PUT body → 201 then 200 or 400',
       "PUT /" . np() . " HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello\r\n$SENT",
       seq => [201, [200, 400]]);

# ---- HTTP/1.0 + chunked -----------------------------------------------------------------

{
	my $p = np();
	vector('hostile: HTTP/1.0 PUT with TE chunked → 201, close',
	       "PUT /$p HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n$CHUNKED",
	       status => 201, close => 1, file => [$p, 'hello']);
	$p = np();
	vector('hostile: HTTP/1.0 PUT with TE chunked + CL → 201, close',
	       "PUT /$p HTTP/1.0\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n$CHUNKED",
	       status => 201, close => 1, file => [$p, 'hello']);
	# keep-alive requested: either answer is safe, the framing must hold
	$p = np();
	vector('hostile: HTTP/1.0 keep-alive PUT with TE chunked → 201, in sync',
	       "PUT /$p HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n$CHUNKED",
	       status => 201, file => [$p, 'hello']);
	vector('hostile: HTTP/1.0 GET with a chunked body holding a request → 200, close',
	       "GET /dev1/sentinel HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
	       . sprintf("%x\r\n%s\r\n0\r\n\r\n", length $SMUG, $SMUG), status => 200, close => 1);
}

# ---- size limits ------------------------------------------------------------------------

{
	# pad a GET of the sentinel with X: headers to exactly $n bytes of head
	my $head_of = sub {
		my ($n) = @_;
		my $rl = "GET /dev1/sentinel HTTP/1.1\r\n";
		my $left = $n - length($rl) - 2;
		my $h = '';
		while ($left > 0) {
			my $take = $left > 8000 ? 8000 : $left;
			$take = $left - 5 if $left - $take > 0 && $left - $take < 5;
			$h .= 'X: ' . 'a' x ($take - 5) . "\r\n";	# a line of $take >= 5 bytes
			$left -= $take;
		}
		my $r = $rl . $h . "\r\n";
		die "head_of($n) built " . length($r) unless length($r) == $n;
		return $r;
	};
	vector('hostile: head of exactly 65,535 bytes → 200', $head_of->(65535),
	       status => 200, close => 0, body => $SBODY);
	vector('hostile: head of 65,536 bytes → 400', $head_of->(65536), status => 400, close => 1);
	vector('hostile: head of 70,000 bytes → 400', $head_of->(70000), status => 400, close => 1);
	vector('hostile: header line of 70,000 bytes → 400',
	       "GET /dev1/sentinel HTTP/1.1\r\nX: " . 'a' x 70000 . "\r\n\r\n", status => 400, close => 1);
	vector('hostile: 70,000-byte head sent in 7 writes → 400',
	       [map { substr($head_of->(70000), $_ * 10000, 10000) } 0 .. 6], status => 400, close => 1);
	# 12,000 one-byte headers: 60 KB of head, accepted, and quickly
	my $t0 = time;
	vector('hostile: 12,000 headers "a:b" (under the limit) → 200',
	       "GET /dev1/sentinel HTTP/1.1\r\n" . "a:b\r\n" x 12000 . "\r\n", status => 200,
	       close => 0, body => $SBODY);
	cmp_ok(time - $t0, '<', TestDaemon::slow(3), 'hostile: 12,000 headers parsed in bounded time');
	# 100,000 one-byte headers (500 KB): rejected once past the limit, without waiting for
	# the rest; the writer may then see EPIPE/ECONNRESET
	$t0 = time;
	my $s = open_conn();
	$s->blocking(0);
	my $buf = "GET /dev1/sentinel HTTP/1.1\r\n" . "a:b\r\n" x 100000 . "\r\n";
	my ($off, $resp, $eof) = (0, '', 0);
	my $deadline = time + TestDaemon::slow(5);
	while (time < $deadline && !$eof) {
		my ($rin, $win) = ('', '');
		vec($rin, fileno($s), 1) = 1;
		vec($win, fileno($s), 1) = 1 if $off < length $buf;
		select(my $rout = $rin, my $wout = $win, undef, 0.5) > 0 or next;
		if (vec($rout, fileno($s), 1)) {
			my $n = sysread($s, $resp, 65536, length $resp);
			$eof = 1 if defined $n && $n == 0 || !defined $n && $! != EAGAIN && $! != EINTR;
		}
		if ($off < length $buf && vec($wout // '', fileno($s), 1)) {
			my $n = syswrite($s, $buf, 65536, $off);
			if (defined $n) { $off += $n } elsif ($! != EAGAIN && $! != EINTR) { $off = length $buf }
		}
	}
	close $s;
	my ($rs, $rest) = parse_responses($resp, 2, []);
	is(join(' ', map { "$_->{status}/" . ($_->{headers}{connection} // '') } @$rs), '400/close',
	   'hostile: 100,000 one-byte headers → exactly one 400, close');
	ok($eof && $rest eq '', 'hostile: 100,000 one-byte headers: then EOF, nothing else');
	cmp_ok(time - $t0, '<', TestDaemon::slow(4), 'hostile: 100,000 one-byte headers: answered in bounded time');
}

# ---- split at every byte (two writes) ---------------------------------------------------

{
	my $body = "0\r\n\r\n$SMUG";
	vector_split('hostile: CL+TE with a smuggled GET',
		     "PUT /dev1/split1 HTTP/1.1\r\nContent-Length: " . length($body)
		     . "\r\nTransfer-Encoding: chunked\r\n\r\n$body", status => 201, close => 1,
		     file => ['dev1/split1', '']);
	vector_split('hostile: chunked PUT with trailer + pipelined GET',
		     "PUT /dev1/split2 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;x\r\nhello\r\n"
		     . "0\r\nContent-Length: 9\r\n\r\nGET /dev1/split2 HTTP/1.1\r\n\r\n",
		     seq => [201, 200], close => 0, file => ['dev1/split2', 'hello']);
	vector_split('hostile: bare LF after a header',
		     "GET /dev1/sentinel HTTP/1.1\r\nHost: t\nX: y\r\n\r\n", status => 400, close => 1);
	vector_split('hostile: folded Transfer-Encoding',
		     "PUT /dev1/split3 HTTP/1.1\r\nTransfer-Encoding:\r\n chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		     status => 201, close => 0, file => ['dev1/split3', 'abc']);
	vector_split('hostile: GET with a request in its body',
		     "GET /dev1/sentinel HTTP/1.1\r\nContent-Length: " . length($SMUG) . "\r\n\r\n$SMUG",
		     status => 200, close => 1, body => $SBODY);
	vector_split('hostile: differing duplicate Content-Length',
		     "PUT /dev1/split4 HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
		     status => 400, close => 1, gone => 'dev1/split4');
}

# ---- afterwards -------------------------------------------------------------------------

ok($d->alive, 'hostile: the daemon survived the corpus');
{
	my $r = $d->roundtrip($SENT);
	is($r && $r->{status}, 200, 'hostile: afterwards a GET is still answered');
	is($r && $r->{body}, $SBODY, 'hostile: afterwards: the right body');
}
ok(!-e $d->path('dev1/smuggled'), 'hostile: no smuggled file anywhere');
my $fd_now;
TestDaemon::poll_until(sub { ($fd_now = $d->fd_count // -1) == $fd_base }, TestDaemon::slow(5));
is($fd_now, $fd_base, 'hostile: the daemon\'s descriptor count is back to its baseline');
is($d->stop('QUIT'), 0, 'hostile: exits 0');
unlike($d->stderr, qr/assert|Assertion|AddressSanitizer|runtime error/i, 'hostile: no assertion or sanitizer report');
done_testing;
