# 21-http-syntax.t: request line and headers (doc/protocol.md, Request line, Headers).
use strict;
use warnings;
use Test::More;
use POSIX qw(strftime);
use Time::Local qw(timegm);
use Time::HiRes qw(time sleep);
use TestDaemon;

my $d = TestDaemon->start(devices => [1, 666]);
my $H = $d->{http_port};
my $norm = \&TestDaemon::normalize;
my $EPOCH = $TestDaemon::EPOCH;
my %MON = (Jan => 0, Feb => 1, Mar => 2, Apr => 3, May => 4, Jun => 5, Jul => 6, Aug => 7,
	   Sep => 8, Oct => 9, Nov => 10, Dec => 11);

sub parse_date {
	my ($s) = @_;
	my ($d, $m, $y, $H, $M, $S) = ($s // '') =~ /^\w{3}, (\d{2}) (\w{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/
		or return undef;
	return timegm($S, $M, $H, $d, $MON{$m}, $y);
}

sub status_of {
	my ($raw, %o) = @_;
	my $r = $d->roundtrip($raw, %o);
	return $r && $r->{status};
}

$d->write_file('somefile', "HI\n");
$d->write_file('dev1/file', 'abc');

# C36
for my $m ('GET', 'HEAD') {
	my $r = $d->roundtrip("$m / HTTP/1.1\r\n\r\n", head => $m eq 'HEAD');
	is($r->{status}, 200, "C36 $m / → 200");
	is($r->{headers}{'content-length'}, '0', "C36 $m /: Content-Length: 0");
	is($r->{headers}{'last-modified'}, $EPOCH, "C36 $m /: Last-Modified is the epoch");
	my $t = parse_date($r->{headers}{date});
	ok(defined $t && abs($t - time) <= 3, "C36 $m /: Date within 3 s of now");
	is($norm->($r->{raw}), TestDaemon::exact_200(0), "C36 $m /: exact 200(0)");
}
# C37
for my $m ('GET', 'HEAD') {
	my $a = $d->roundtrip("$m / HTTP/1.1\r\n\r\n", head => $m eq 'HEAD');
	my $b = $d->roundtrip("$m // HTTP/1.1\r\n\r\n", head => $m eq 'HEAD');
	is($norm->($b->{raw}), $norm->($a->{raw}), "C37 $m // behaves exactly like $m /");
}
# C38
{
	my $mt = strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime((stat $d->path('somefile'))[9]));
	for my $m ('GET', 'HEAD') {
		my $r = $d->roundtrip("$m //somefile HTTP/1.1\r\n\r\n", head => $m eq 'HEAD');
		is($r->{status}, 200, "C38 $m //somefile → 200");
		is($r->{headers}{'content-length'}, '3', "C38 $m //somefile: Content-Length: 3");
		is($r->{headers}{'last-modified'}, $mt, "C38 $m //somefile: Last-Modified = mtime");
		is($r->{body}, $m eq 'GET' ? "HI\n" : '', "C38 $m //somefile body");
	}
}
# C39
{
	my $r = $d->roundtrip('GET ' . ('/' x 50) . "dev1/file HTTP/1.1\r\n\r\n");
	is($r->{status}, 200, 'C39 50 leading slashes before dev1/file → 200');
	is($r->{body}, 'abc', 'C39 body of dev1/file');
}
# C40, C41
$d->bad("GET /dev1/file?x=1 HTTP/1.1\r\n\r\n", 400, 'C40 query string');
$d->bad("GET /dev1/a_b HTTP/1.1\r\n\r\n", 400, 'C41 underscore in path');
$d->bad("GET /dev1/a%20b HTTP/1.1\r\n\r\n", 400, 'C41 percent in path');
$d->bad("GET /dev1/file#frag HTTP/1.1\r\n\r\n", 400, 'C41 fragment in path');
$d->bad("GET /dev1/a~b HTTP/1.1\r\n\r\n", 400, 'C41 tilde in path');
$d->bad("GET /dev1/a+b HTTP/1.1\r\n\r\n", 400, 'C41 plus in path');

# C42 (deviation: MOG_PATH_MAX is 64 bytes, not 37)
{
	my $p37 = '/dev16777215/0/000/000/0123456789.fid';
	is(length $p37, 37, 'C42 tracker path is 37 bytes');
	is(status_of("GET $p37 HTTP/1.1\r\n\r\n"), 404, 'C42 37-byte path accepted (404, missing)');
	my $p64 = '/dev1/' . ('a' x 58);
	is(length $p64, 64, 'C42 test path is 64 bytes');
	is(status_of("GET $p64 HTTP/1.1\r\n\r\n"), 404, 'C42 64-byte path accepted (404 if missing)');
	is(status_of("HEAD $p64 HTTP/1.1\r\n\r\n", head => 1), 404, 'C42 64-byte path HEAD (404 if missing)');
	$d->write_file($p64, 'long');
	my $r = $d->roundtrip("GET $p64 HTTP/1.1\r\n\r\n");
	is($r->{status}, 200, 'C42 64-byte path accepted (200 if present)');
	is($r->{body}, 'long', 'C42 64-byte path body');
	is(status_of("GET ////$p64 HTTP/1.1\r\n\r\n"), 200,
	   'C42 leading slashes do not count: 64-byte effective path → 200');
	$r = $d->roundtrip("GET http://h:1$p64 HTTP/1.1\r\n\r\n");
	is($r->{status}, 200, 'C42 64-byte path in an absolute URI → 200');
	$d->bad("GET ${p64}b HTTP/1.1\r\n\r\n", 400, 'C42 65-byte path');
	$d->bad("HEAD ${p64}b HTTP/1.1\r\n\r\n", 400, 'C42 65-byte path (HEAD)');
	$d->write_file("${p64}b", 'x');
	$d->bad("GET ${p64}b HTTP/1.1\r\n\r\n", 400, 'C42 65-byte path of an existing file');
	$d->bad("PUT /dev1/" . ('b' x 59) . " HTTP/1.1\r\nContent-Length: 1\r\n\r\nx", 400, 'C42 65-byte PUT path');
	ok(!-e $d->path('dev1/' . ('b' x 59)), 'C42 65-byte PUT created nothing');
	$r = $d->roundtrip("PUT /dev1/" . ('c' x 58) . " HTTP/1.1\r\nContent-Length: 1\r\n\r\nx");
	is($r->{status}, 201, 'C42 64-byte PUT path → 201');
}
# C43 - C46
$d->bad("get /x HTTP/1.0\r\n\r\n", 400, 'C43 lower-case method');
$d->bad("Get /x HTTP/1.0\r\n\r\n", 400, 'C43 mixed-case method');
for my $m (qw(OPTIONS POST MOVE PROPFIND COPY TRACE)) {
	$d->bad("$m /dev1/file HTTP/1.1\r\n\r\n", 400, "C44 $m");
}
$d->bad("GET / HTTP/2.0\r\n\r\n", 400, 'C45 HTTP/2.0');
$d->bad("GET / HTTP/1.2\r\n\r\n", 400, 'C45 HTTP/1.2');
$d->bad("GET /\r\n\r\n", 400, 'C45 no version');
$d->bad("GET / http/1.1\r\n\r\n", 400, 'C45 lower-case version');
$d->bad("GET  / HTTP/1.1\r\n\r\n", 400, 'C45 two spaces after the method');
$d->bad("GET /dev1/file HTTP/1.1\n\n", 400, 'C46 bare LF terminators');
$d->bad("GET /dev1/file HTTP/1.1\r\nHost: x\n\r\n", 400, 'C46 bare LF after a header');
# C47
{
	my $all = $d->request("size /foo\r\n", timeout => 5);
	like($all, qr{^HTTP/1\.1 400 Bad Request\r\n}, 'C47 sideband command on the HTTP port → 400');
	like($all, qr{\r\n\r\n\z}, 'C47 then EOF (nothing after the head)');
}
# C48
{
	my $r = $d->roundtrip("PUT http://127.0.0.1:$H/dev666/foo HTTP/1.1\r\nHost: 127.0.0.1:$H\r\n"
			      . "Content-Length: 5\r\n\r\nabcde");
	is($r->{status}, 201, 'C48 PUT to an absolute URI → 201');
	is($d->read_file('dev666/foo'), 'abcde', 'C48 file holds abcde');
	$r = $d->roundtrip("GET http://127.0.0.1:$H/dev666/foo HTTP/1.1\r\nHost: 127.0.0.1:$H\r\n\r\n");
	is($r->{status}, 200, 'C48 GET of an absolute URI → 200');
	is($r->{body}, 'abcde', 'C48 GET body');
	is(status_of("GET http://x//dev666/foo HTTP/1.1\r\n\r\n"), 200,
	   'C48 absolute URI with a doubled slash');
}
# C49
$d->bad("GET http://host HTTP/1.0\r\n\r\n", 400, 'C49 absolute URI without a path');
$d->bad("GET https://host/dev666/foo HTTP/1.0\r\n\r\n", 400, 'C49 https URI');
$d->bad("GET http:///dev666/foo HTTP/1.0\r\n\r\n", 400, 'C49 empty authority');

# C50
{
	my $i = 0;
	for my $h ("content-length: 3", "Content-length:3", "Content-Length:\t3 ", "CONTENT-LENGTH: 003") {
		$i++;
		my $r = $d->roundtrip("PUT /dev666/cl$i HTTP/1.1\r\n$h\r\n\r\nxyz");
		(my $show = $h) =~ s/\t/\\t/;
		is($r->{status}, 201, "C50 '$show' → 201");
		is($d->read_file("dev666/cl$i"), 'xyz', "C50 '$show' stores the 3 body bytes");
	}
}
# C51, C52
$d->bad("PUT /dev666/c51 HTTP/1.1\r\nContent-Length: 123a\r\n\r\n", 400, 'C51 Content-Length: 123a');
ok(!-e $d->path('dev666/c51'), 'C51 no file');
$d->bad("PUT /dev666/c52 HTTP/1.1\r\nContent-Length: -3\r\n\r\nabc", 400, 'C52 Content-Length: -3');
$d->bad("PUT /dev666/c52 HTTP/1.1\r\nContent-Length: +3\r\n\r\nabc", 400, 'C52 Content-Length: +3');
$d->bad("PUT /dev666/c52 HTTP/1.1\r\nContent-Length: 1 2\r\n\r\nabc", 400, 'C52 Content-Length: 1 2');
ok(!-e $d->path('dev666/c52'), 'C52 no file');
# C53
{
	my $r = $d->roundtrip("PUT /dev666/c53 HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc");
	is($r->{status}, 201, 'C53 two identical Content-Length: 3 → 201');
	is($d->read_file('dev666/c53'), 'abc', 'C53 stores 3 bytes');
	$d->bad("PUT /dev666/c53b HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400,
	    'C53 two different Content-Length values');
	ok(!-e $d->path('dev666/c53b'), 'C53 differing values: no file');
}
# C54
$d->bad("GET /dev1/file HTTP/1.1\r\nX-Foo : 1\r\n\r\n", 400, 'C54 space before the colon');
$d->bad("GET /dev1/file HTTP/1.1\r\nContent-Length : 0\r\n\r\n", 400, 'C54 space before the colon (known header)');
# C55
is(status_of("GET /dev1/file HTTP/1.1\r\nX_Foo: 1\r\n\r\n"), 200, 'C55 underscore in a header name: served');
is(status_of("GET /dev1/file HTTP/1.1\r\nX-Empty:\r\n\r\n"), 200, 'C55 empty header value: served');
is(status_of("GET /dev1/file HTTP/1.1\r\nX-Empty: \r\n\r\n"), 200, 'C55 blank header value: served');
# C56
{
	my ($r, $s) = $d->roundtrip("GET /dev1/file HTTP/1.0\r\nConnection:\r\n keep-alive\r\n\r\n");
	is($r->{status}, 200, 'C56 folded Connection on HTTP/1.0 → 200');
	is($r->{headers}{connection}, 'keep-alive', 'C56 folded keep-alive makes it persistent');
	TestDaemon::write_all($s, "GET /dev1/file HTTP/1.0\r\n\r\n");
	my $r2 = TestDaemon::read_response($s);
	is($r2 && $r2->{status}, 200, 'C56 connection usable afterwards');
}
# C57
$d->bad("GET /dev1/file HTTP/1.0\r\nConnection:\r\nkeep-alive\r\n\r\n", 400, 'C57 continuation without a leading blank');
# C58
is(status_of("GET /dev1/file HTTP/1.1\r\nX-Folded: a\r\n\tb\r\n c\r\n\r\n"), 200,
   'C58 folded unrecognised header: served');

# C59
{
	my $line = "GET /dev1/missing HTTP/1.1\r\n";
	my $fixed = length($line) + length("X-Pad: \r\n") + 2;
	my $exact = $line . 'X-Pad: ' . ('p' x (65535 - $fixed)) . "\r\n\r\n";
	is(length $exact, 65535, 'C59 head is 65535 bytes');
	my ($r, $s) = $d->roundtrip($exact);
	is($r && $r->{status}, 404, 'C59 65535-byte head is served (404)');
	my $over = $line . 'X-Pad: ' . ('p' x (65536 - $fixed)) . "\r\n\r\n";
	is(length $over, 65536, 'C59 head is 65536 bytes');
	$d->bad($over, 400, 'C59 65536-byte head');
}
# C60
for my $n (4094, 4095) {
	my $s = $d->connect('http');
	TestDaemon::write_all($s, "GET /hello-world HTTP/1.1\r\n");	# 27 bytes
	my $written = 27;
	for (1 .. $n) {
		last if TestDaemon::write_all($s, "X-Hello: World\r\n") != 16;
		$written += 16;
	}
	TestDaemon::write_all($s, "\r\n");
	my $r = TestDaemon::read_response($s, timeout => TestDaemon::slow(10));
	if ($n == 4094) {
		is($r && $r->{status}, 404, 'C60 4094 header lines written line by line → 404');
	} else {
		is($r && $r->{status}, 400, 'C60 4095 header lines → 400');
		is($r && $r->{headers}{connection}, 'close', 'C60 4095 header lines: close');
	}
}
# C61
{
	my $req = "GET /dev666/trickle HTTP/1.1\r\nHost: t\r\n\r\n";
	for my $want ([404, ''], [200, 'abc']) {
		$d->write_file('dev666/trickle', 'abc') if $want->[0] == 200;
		my $s = $d->connect('http');
		for my $c (split //, $req) {
			TestDaemon::write_all($s, $c);
			sleep 0.01;
		}
		my $r = TestDaemon::read_response($s);
		is($r && $r->{status}, $want->[0], "C61 request written a byte every 10 ms → $want->[0]");
		is($r && $r->{headers}{'content-length'}, length $want->[1],
		   "C61 Content-Length: " . length $want->[1]);
		is($r && $r->{body}, $want->[1], "C61 body for $want->[0]");
	}
}
# C62
{
	my $s = $d->connect('http');
	TestDaemon::write_all($s, 'GET');
	sleep 0.01;
	TestDaemon::write_all($s, " /dev666/test HTTP/1.1\r\nHost: 127.0.0.1:$H\r\n\r\n");
	my $r = TestDaemon::read_response($s);
	like($r->{raw_head}, qr{^HTTP/1\.1 404 Not Found\r\n}, 'C62 split after the method → 404');
	is($r->{headers}{'content-length'}, '0', 'C62 Content-Length: 0');
	like($r->{raw_head}, qr{\r\n\r\n\z}, 'C62 response ends with CRLF CRLF');
	is(TestDaemon::read_avail($s, 0.1), '', 'C62 nothing after the response');
}
# C63
{
	my $r = $d->roundtrip("GET /dev1/file HTTP/1.1\r\n\r\n");
	is($r->{status}, 200, 'C63 HTTP/1.1 request without Host → 200');
	is($r->{headers}{connection}, 'keep-alive', 'C63 and persistent');
}
# C64
$d->bad("PUT /dev666/gz HTTP/1.1\r\nTransfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\nabcde", 400,
    'C64 Transfer-Encoding: gzip on PUT');
ok(!-e $d->path('dev666/gz'), 'C64 nothing created');
$d->bad("PUT /dev666/gz HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\n", 400,
    'C64 Transfer-Encoding: gzip, chunked on PUT');
ok(!-e $d->path('dev666/gz'), 'C64 nothing created (gzip, chunked)');

is($d->stop('QUIT'), 0, 'exits 0 on SIGQUIT');
done_testing;
