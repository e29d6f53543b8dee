# 31-chunked.t: chunked PUT bodies, trailers and Content-MD5 trailers (doc/protocol.md,
# Chunked bodies, Content-MD5).
use strict;
use warnings;
use Test::More;
use Digest::MD5;
use Time::HiRes qw(time sleep);
use TestDaemon;

my $d = TestDaemon->start(devices => [1, 666]);
my $H = $d->{http_port};
my $norm = \&TestDaemon::normalize;
my $E201 = TestDaemon::exact_201();
my $E200_CLOSE = TestDaemon::exact_200(5, 'close') . 'abcde';
my $E200_KEEP = TestDaemon::exact_200(5, 'keep-alive') . 'abcde';
my $MD5_ABCDE = 'q1a02StAcTrMWviZhdS3hg==';
my $HEAD = "PUT /dev666/zz HTTP/1.1\r\nHost: 127.0.0.1:$H\r\nTransfer-Encoding: chunked\r\n\r\n";
my $BASE = $HEAD . "5\r\nabcde\r\n0\r\n";	# cmogstored's edge-finder base: no final CRLF yet
my $PAUSE = 0.005;				# between the two writes of a split request

# Exact bytes of one response (or '' on EOF/timeout), dates normalized.
sub one {
	my ($s, %o) = @_;
	my $r = TestDaemon::read_response($s, %o);
	return $r ? $norm->($r->{raw}) : '';
}

# Writes @parts with a short pause between them.
sub send_parts {
	my ($s, @parts) = @_;
	for my $i (0 .. $#parts) {
		sleep $PAUSE if $i;
		TestDaemon::write_all($s, $parts[$i]);
	}
}

# I137: what Net::HTTP / LWP send for a chunked keep-alive upload
{
	my $s = $d->connect('http');
	for my $i (0 .. 3) {
		TestDaemon::write_all($s, "PUT /dev666/foo$i HTTP/1.1\r\nTE: deflate,gzip;q=0.3\r\nConnection: TE, keep-alive\r\n"
				      . "Host: 127.0.0.1:$H\r\nContent-Type: application/octet-stream\r\n"
				      . "Transfer-Encoding: chunked\r\n\r\n5\r\nBODY!\r\n0\r\n\r\n");
		my $r = TestDaemon::read_response($s);
		is($r && $r->{status}, 201, "I137 chunked PUT $i on a keep-alive connection → 201");
		is($d->read_file("dev666/foo$i"), 'BODY!', "I137 file $i holds BODY!");
	}
}
# I138
{
	my $s = $d->connect('http');
	TestDaemon::write_all($s, "$BASE\r\n");
	is(one($s), $E201, 'I138 head and body in one write → exact 201');
	is($d->read_file('dev666/zz'), 'abcde', 'I138 file abcde');
}

# I139 - I143: every split point of the request
sub edge_finder {
	my ($id, $suffix, $then) = @_;
	my $req = $BASE . $suffix;
	my $fail = 0;
	for my $i (1 .. length($req) - 1) {
		unlink $d->path('dev666/zz'), $d->path('dev666/yy');
		my $s = $d->connect('http');
		send_parts($s, substr($req, 0, $i), substr($req, $i));
		my $got = one($s);
		my $ok = $got eq $E201 && ($d->read_file('dev666/zz') // '') eq 'abcde';
		if ($ok && $then eq 'get10') {
			sleep $PAUSE;
			TestDaemon::write_all($s, " /dev666/zz HTTP/1.0\r\n\r\n");
			$ok = $norm->(TestDaemon::read_until_eof($s, 5)) eq $E200_CLOSE;
		} elsif ($ok && $then eq 'another') {
			$ok = one($s) eq $E201 && ($d->read_file('dev666/yy') // '') eq 'abcde';
		}
		if (!$ok) {
			$fail++;
			diag("$id split at $i of " . length($req) . ": got " . ($got =~ s/\r\n/\\r\\n/gr)) if $fail <= 3;
		}
	}
	is($fail, 0, "$id request split in two writes at each of " . (length($req) - 1) . ' boundaries');
}
edge_finder('I139', "\r\n", '');
edge_finder('I140', "\r\nGET", 'get10');
edge_finder('I141', "Foo: Bar\r\n\r\n", '');
edge_finder('I142', "Foo: Bar\r\n\r\nGET", 'get10');
edge_finder('I143', "\r\n" . ($BASE =~ s{/zz}{/yy}r) . "\r\n", 'another');

# I144 - I147
for my $t (['I144', "5", "\r\nabcde\r\n0\r\n\r\n"], ['I145', "5\r\na", "bcde\r\n0\r\n\r\n"],
	   ['I146', "5\r\nabcde\r\n0\r", "\n\r\n"], ['I147', "5\r\nabcde\r\n0\r\n", "\r\n"]) {
	my ($id, $a, $b) = @$t;
	unlink $d->path('dev666/zz');
	my $s = $d->connect('http');
	send_parts($s, $HEAD . $a, $b);
	(my $show = "$a | $b") =~ s/\r\n/\\r\\n/g;
	$show =~ s/\r/\\r/g;
	$show =~ s/\n/\\n/g;
	is(one($s), $E201, "$id head then '$show' → exact 201");
	is($d->read_file('dev666/zz'), 'abcde', "$id file abcde");
}
# I148, I149
{
	my $head = "PUT /dev666/zz HTTP/1.1\r\nHost: 127.0.0.1:$H\r\nTrailer: Content-MD5\r\nTransfer-Encoding: chunked\r\n\r\n";
	unlink $d->path('dev666/zz');
	my $s = $d->connect('http');
	send_parts($s, $head . "5\r\nabcde\r\n0\r\nContent-MD5:", " $MD5_ABCDE\r\n\r\n");
	is(one($s), $E201, 'I148 Content-MD5 trailer split after the colon → exact 201');
	is($d->read_file('dev666/zz'), 'abcde', 'I148 file abcde');
	unlink $d->path('dev666/zz');
	$s = $d->connect('http');
	send_parts($s, $head . "5\r\nabcde\r\n0\r\nContent-MD5:", " $MD5_ABCDE\r\n\r\nGET");
	is(one($s), $E201, 'I149 split trailer with GET appended → exact 201');
	sleep $PAUSE;
	TestDaemon::write_all($s, " /dev666/zz HTTP/1.1\r\nHost: 127.0.0.1:$H\r\n\r\n");
	is(one($s), $E200_KEEP, 'I149 then exact 200(5, keep-alive) + abcde');
}
# I150, I151
for my $t (['I150', "5\r\nabcde\r\n0\r\n\r\nGET"], ['I151', "5\r\nabcde\r\n0", "\r\n\r\nGET"]) {
	my ($id, @parts) = @$t;
	unlink $d->path('dev666/zz');
	my $s = $d->connect('http');
	send_parts($s, $HEAD . shift(@parts), @parts);
	is(one($s), $E201, "$id → exact 201");
	sleep $PAUSE;
	TestDaemon::write_all($s, " /dev666/zz HTTP/1.1\r\nHost: 127.0.0.1:$H\r\n\r\n");
	is(one($s), $E200_KEEP, "$id then exact 200(5, keep-alive) + abcde");
}
# I152
{
	my $s = $d->connect('http');
	TestDaemon::write_all($s, "PUT /dev666/zero HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
	is(one($s), $E201, 'I152 chunked body 0\r\n\r\n → exact 201');
	is($d->read_file('dev666/zero'), '', 'I152 empty file');
	is(TestDaemon::read_avail($s, 0.1), '', 'I152 nothing more within 0.1 s');
}
# I153
{
	my $two = join '', map { "PUT /dev666/$_ HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcd$_\r\n0\r\n\r\n" } 0, 1;
	for my $mode ('one write', 'one byte at a time') {
		unlink $d->path('dev666/0'), $d->path('dev666/1');
		my $s = $d->connect('http');
		if ($mode eq 'one write') {
			TestDaemon::write_all($s, $two);
		} else {
			for my $c (split //, $two) {
				TestDaemon::write_all($s, $c);
				sleep 0.001;
			}
		}
		is(one($s) . one($s), $E201 x 2, "I153 two pipelined chunked PUTs, $mode → two exact 201s");
		is($d->read_file('dev666/0'), 'abcd0', "I153 $mode: file abcd0");
		is($d->read_file('dev666/1'), 'abcd1', "I153 $mode: file abcd1");
		is(TestDaemon::read_avail($s, 0.1), '', "I153 $mode: nothing more");
	}
}
# I154
$d->bad("PUT /dev666/i154 HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\nffffffff0000000000000000\r\n", 507,
    'I154 chunk size overflow');
$d->bad("PUT /dev666/i154 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n8000000000000000\r\n", 507,
    'I154 chunk size 2^63 after a first chunk');
ok(!-e $d->path('dev666/i154'), 'I154 no file');
# I155
{
	my $head = "PUT /dev666/i155 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTrailer: Content-MD5\r\n\r\n";
	my $r = $d->roundtrip($head . "5\r\nabcde\r\n0\r\nContent-MD5: $MD5_ABCDE\r\n\r\n");
	is($r->{status}, 201, 'I155 announced Content-MD5 trailer that matches → 201');
	is($d->read_file('dev666/i155'), 'abcde', 'I155 file abcde');
	unlink $d->path('dev666/i155');
	my $s;
	($r, $s) = $d->roundtrip($head . "5\r\nabcd!\r\n0\r\nContent-MD5: $MD5_ABCDE\r\n\r\n");
	is($r->{status}, 400, 'I155 announced Content-MD5 trailer that does not match → 400');
	is($r->{headers}{connection}, 'keep-alive', 'I155 mismatch keeps the connection');
	ok(!-e $d->path('dev666/i155'), 'I155 no file');
	$r = $d->roundtrip("PUT /dev666/i155 HTTP/1.1\r\ntrailer: content-md5\r\nTransfer-Encoding: Chunked\r\n\r\n"
			   . "5\r\nabcde\r\n0\r\ncontent-md5: $MD5_ABCDE\r\n\r\n");
	is($r->{status}, 201, 'I155 header names and Chunked compared case-insensitively → 201');
}
# I156
{
	my $s = $d->connect('http');
	my $ctx = Digest::MD5->new;
	TestDaemon::write_all($s, "PUT /dev666/i156 HTTP/1.1\r\nHost: 127.0.0.1:$H\r\nTrailer: Content-MD5\r\n"
			      . "Transfer-Encoding: chunked\r\n\r\n");
	my $chunk = '*' x 16384;
	for (1 .. 500) {
		TestDaemon::write_all($s, "4000\r\n$chunk\r\n");
		$ctx->add($chunk);
	}
	my $final = '!' x 460;
	$ctx->add($final);
	TestDaemon::write_all($s, sprintf("%x\r\n%s\r\n0\r\nContent-MD5: %s==\r\n\r\n", 460, $final, $ctx->clone->b64digest));
	my $r = TestDaemon::read_response($s, timeout => TestDaemon::slow(20));
	like($r->{raw_head} // '', qr{^HTTP/1\.1 201 Created\r\n}, 'I156 500 x 16384 + 460 bytes with an MD5 trailer → 201');
	is(-s $d->path('dev666/i156'), 500 * 16384 + 460, 'I156 size');
}
# I157, I158
{
	my $r = $d->roundtrip("PUT /dev666/i157 HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTrailer: Content-MD5\r\n\r\n"
			      . "5; foo=bar\r\nabcde\r\n0\r\nContent-MD5: $MD5_ABCDE\r\n\r\n");
	is($r->{status}, 201, 'I157 chunk extension "5; foo=bar" → 201');
	is($d->read_file('dev666/i157'), 'abcde', 'I157 file abcde');
	my $s = $d->connect('http');
	TestDaemon::write_all($s, "PUT /dev666/i158 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
	TestDaemon::write_all($s, '5; foo=bar' . ('IMABIRD' x 666666));
	TestDaemon::write_all($s, "\r\nabcde\r\n0\r\n\r\n");
	$r = TestDaemon::read_response($s, timeout => TestDaemon::slow(20));
	is($r && $r->{status}, 201, 'I158 4.6 MB chunk extension → 201');
	is($d->read_file('dev666/i158'), 'abcde', 'I158 file abcde');
	$r = $d->roundtrip("PUT /dev666/i158b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			   . "5;a=b\r\nabcde\r\n0;last=yes\r\n\r\n");
	is($r->{status}, 201, 'I157 extension on the last chunk → 201');
}
# I159
{
	my $r = $d->roundtrip("PUT /dev666/i159 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			      . "A\r\n0123456789\r\n0003\r\nabc\r\na\r\nABCDEFGHIJ\r\n000\r\n\r\n");
	is($r->{status}, 201, 'I159 upper/lower-case hex sizes with leading zeros → 201');
	is($d->read_file('dev666/i159'), '0123456789abcABCDEFGHIJ', 'I159 content');
}
# I160 - I162
$d->bad("PUT /dev666/i160 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabcde\r\n0\r\n\r\n", 400, 'I160 non-hex chunk size');
ok(!-e $d->path('dev666/i160'), 'I160 no file');
$d->bad("PUT /dev666/i161 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\nabcde\n0\n\n", 400, 'I161 bare LF framing');
$d->bad("PUT /dev666/i161 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n\n", 400, 'I161 bare LF ending the trailer');
ok(!-e $d->path('dev666/i161'), 'I161 no file');
$d->bad("PUT /dev666/i162 HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTrailer: Content-MD5\r\n\r\n5\r\nabcde\r\n0\r\nContent-MD5: zzz\r\n\r\n",
    400, 'I162 malformed Content-MD5 trailer');
ok(!-e $d->path('dev666/i162'), 'I162 no file');
# I163
{
	my ($r, $s) = $d->roundtrip("PUT /dev666/i163 HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTrailer: Content-MD5\r\n\r\n"
				    . "5\r\nabcde\r\n0\r\n\r\n");
	is($r->{status}, 400, 'I163 announced Content-MD5 trailer missing → 400');
	is($r->{headers}{connection}, 'keep-alive', 'I163 keep-alive');
	ok(!-e $d->path('dev666/i163'), 'I163 no file');
	TestDaemon::write_all($s, "GET / HTTP/1.1\r\n\r\n");
	my $r2 = TestDaemon::read_response($s);
	is($r2 && $r2->{status}, 200, 'I163 connection reusable');
}
# I164
{
	my ($r, $s) = $d->roundtrip("PUT /dev666/i164 HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\n");
	is($norm->($r->{raw}), TestDaemon::exact_201('close'), 'I164 chunked PUT over HTTP/1.0 → 201 close');
	ok(TestDaemon::is_eof($s, 5), 'I164 then EOF');
	is($d->read_file('dev666/i164'), 'abcde', 'I164 file abcde');
}
# I165
for my $order ('Content-Length first', 'Transfer-Encoding first') {
	my @h = ("Content-Length: 3\r\n", "Transfer-Encoding: chunked\r\n");
	@h = reverse @h if $order =~ /^Transfer/;
	unlink $d->path('dev666/i165');
	my ($r, $s) = $d->roundtrip("PUT /dev666/i165 HTTP/1.1\r\n" . join('', @h) . "\r\n5\r\nabcde\r\n0\r\n\r\n");
	is($r->{status}, 201, "I165 Content-Length and chunked ($order) → 201");
	is($d->read_file('dev666/i165'), 'abcde', "I165 $order: the chunked body is stored");
	is($r->{headers}{connection}, 'close', "I165 $order: Connection: close");
	ok(TestDaemon::is_eof($s, 5), "I165 $order: then EOF");
}
# I166
{
	my $s = $d->connect('http');
	TestDaemon::write_all($s, "PUT /dev666/i166 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n666\r\nf");
	my $addr = '127.0.0.1:' . $s->sockport;
	shutdown($s, 1);
	is(TestDaemon::read_until_eof($s, 5), '', 'I166 premature EOF inside a chunk: no response');
	ok(!-e $d->path('dev666/i166'), 'I166 no file');
	my $log = TestDaemon::poll_until(sub { my $e = $d->stderr; $e =~ m{PUT /dev666/i166 failed} ? $e : undef });
	like($log // $d->stderr, qr{PUT /dev666/i166 failed from \Q$addr\E after 1 bytes:}, 'I166 log says after 1 bytes');
	opendir(my $dh, $d->path('dev666'));
	is(scalar(grep { /^i166\./ } readdir $dh), 0, 'I166 temporary file removed');
}
# I167
{
	my $r = $d->roundtrip("PUT /dev666/i167 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			      . "5\r\nabcd!\r\n0\r\nContent-MD5: $MD5_ABCDE\r\n\r\n");
	is($r->{status}, 400, 'I167 unannounced Content-MD5 trailer that does not match → 400');
	ok(!-e $d->path('dev666/i167'), 'I167 no file');
	$r = $d->roundtrip("PUT /dev666/i167 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			   . "5\r\nabcde\r\n0\r\nContent-MD5: $MD5_ABCDE\r\n\r\n");
	is($r->{status}, 201, 'I167 unannounced Content-MD5 trailer that matches → 201');
	$r = $d->roundtrip("PUT /dev666/i167b HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-MD5: $MD5_ABCDE\r\n\r\n"
			   . "5\r\nabcd!\r\n0\r\n\r\n");
	is($r->{status}, 400, 'I167 Content-MD5 header checked against a chunked body → 400');
	ok(!-e $d->path('dev666/i167b'), 'I167 header mismatch: no file');
}

is($d->stop('QUIT'), 0, 'exits 0 on SIGQUIT');
done_testing;
