# 20-get.t: response format and GET/HEAD of files (doc/protocol.md, Responses,
# GET and HEAD).
use strict;
use warnings;
use Test::More;
use POSIX qw(strftime mkfifo);
use Time::HiRes qw(time);
use TestDaemon;

my $d = TestDaemon->start(devices => [1, 666]);
my $norm = \&TestDaemon::normalize;
my @seen;	# every response, for D68/D70/D71

sub rt {
	my ($raw, %o) = @_;
	my ($r, $s) = $d->roundtrip($raw, %o);
	push @seen, $r if $r;
	return wantarray ? ($r, $s) : $r;
}

# D65
{
	my ($r, $s) = rt("PUT /dev666/zz HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nabcde");
	is($norm->($r->{raw}), TestDaemon::exact_201(), 'D65 PUT of 5 bytes in one write: exact 201');
	is($d->read_file('dev666/zz'), 'abcde', 'D65 file holds abcde');
}

# D66
{
	my $s = $d->connect('http');
	TestDaemon::write_all($s, "PUT /dev666/zz HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
		. "5\r\nabcde\r\n0\r\n\r\nGET /dev666/zz HTTP/1.0\r\n\r\n");
	my $all = TestDaemon::read_until_eof($s, 5);
	is($norm->($all), TestDaemon::exact_201() . TestDaemon::exact_200(5, 'close') . 'abcde',
	   'D66 chunked PUT then pipelined HTTP/1.0 GET: exact 201, exact 200(5, close), body, EOF');
}

$d->write_file('dev1/file', 'hello world');
$d->write_file('dev666/dir/keep', '');

# D67
for my $t (['GET / HTTP/1.0', 200], ['GET /dev1/missing HTTP/1.0', 404],
	   ['GET /dev1/file HTTP/1.0', 200], ['HEAD /dev1/file HTTP/1.0', 200]) {
	my $r = rt("$t->[0]\r\n\r\n", head => scalar($t->[0] =~ /^HEAD/));
	like($r->{raw_head}, qr{^HTTP/1\.1 $t->[1] }, "D67 status line is HTTP/1.1 for '$t->[0]'");
}

# D68: collect one response of every kind this file can provoke
{
	rt("GET /dev1/file HTTP/1.1\r\nRange: bytes=0-1\r\n\r\n");			# 206
	rt("GET /dev1/file HTTP/1.1\r\nRange: bytes=99-\r\n\r\n");			# 416
	rt("GET /dev666 HTTP/1.1\r\n\r\n");						# 403
	rt("GET /x?y HTTP/1.1\r\n\r\n");						# 400
	rt("MKCOL /dev1/c HTTP/1.1\r\n\r\n");						# 400
	$d->write_file('dev1/del', 'x');
	rt("DELETE /dev1/del HTTP/1.1\r\n\r\n");					# 204
	rt("PUT /dev777/x HTTP/1.1\r\nContent-Length: 0\r\n\r\n");			# 404
	rt("PUT /dev1/x HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n");	# 507
	rt("HEAD / HTTP/1.1\r\n\r\n", head => 1);					# 200
	my %codes;
	for my $r (@seen) {
		my $st = $r->{status} // 'none';
		$codes{$st}++;
		my @status = grep { lc($_->[0]) eq 'status' } @{ $r->{header_list} };
		is(scalar(@status), 1, "D68 one Status header in the $st response")
		    && is($status[0][1], "$r->{status} $r->{reason}",
			  "D68 Status header equals the status line ($st)");
	}
	is(join(',', sort keys %codes), '200,201,204,206,400,403,404,416,507',
	   'D68 responses of every kind were examined');
}

# D69
{
	my $r = rt("GET /dev1/nonexistent HTTP/1.1\r\n\r\n");
	is($r->{status}, 404, 'D69 missing file is 404');
	is($r->{headers}{'content-length'}, '0', 'D69 404 has Content-Length: 0');
	is($r->{headers}{'content-type'}, 'text/plain', 'D69 404 has Content-Type: text/plain');
	ok(!exists $r->{headers}{'last-modified'}, 'D69 404 has no Last-Modified');
	is($norm->($r->{raw_head}), TestDaemon::exact_status(404), 'D69 404 is exactly the bodiless format');
	my $s = $d->connect('http');
	TestDaemon::write_all($s, "GET /dev1/nonexistent HTTP/1.0\r\n\r\n");
	is($norm->(TestDaemon::read_until_eof($s, 5)), TestDaemon::exact_status(404, 'close'),
	   'D69 404 carries no body bytes');
}

# D70
{
	my $r = rt("GET /dev1/file HTTP/1.1\r\n\r\n");
	like($r->{headers}{date}, qr/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/, 'D70 Date format');
	like($r->{headers}{'last-modified'}, qr/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
	     'D70 Last-Modified format');
	my @bad = grep { ($_->{headers}{date} // '') !~ /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/ } @seen;
	is(scalar(@bad), 0, 'D70 every response has a well-formed Date');
}

# D71
is(scalar(grep { exists $_->{headers}{server} } @seen), 0, 'D71 no response carries a Server header');

# F86
{
	my $body = join('', map { chr($_ % 256) } 0 .. 4999);
	$d->write_file('dev1/bin', $body);
	my ($g, $s) = rt("GET /dev1/bin HTTP/1.1\r\n\r\n");
	is($g->{status}, 200, 'F86 GET regular file: 200');
	ok($g->{body} eq $body, 'F86 GET returns the exact bytes');
	TestDaemon::write_all($s, "HEAD /dev1/bin HTTP/1.1\r\n\r\n");
	my $h = TestDaemon::read_response($s, head => 1);
	is($h->{status}, 200, 'F86 HEAD: 200');
	is($norm->($h->{raw_head}), $norm->($g->{raw_head}), 'F86 HEAD headers equal GET headers');
	is($norm->($h->{raw_head}), TestDaemon::exact_200(5000), 'F86 200 has the exact format');
	TestDaemon::write_all($s, "GET /dev1/file HTTP/1.0\r\n\r\n");
	my $rest = TestDaemon::read_until_eof($s, 5);
	is($norm->($rest), TestDaemon::exact_200(11, 'close') . 'hello world',
	   'F86 no body bytes after the HEAD response');
}

# F87, F88
for my $req ('GET /dev666', 'HEAD /dev666', 'GET /dev1/', 'HEAD /dev1/') {
	my ($r, $s) = rt("$req HTTP/1.1\r\n\r\n", head => scalar($req =~ /^HEAD/));
	my $id = $req =~ m{/$} ? 'F88' : 'F87';
	is($r->{status}, 403, "$id $req (directory) → 403");
	is($r->{headers}{connection}, 'keep-alive', "$id $req keeps the connection");
}

# F89
for my $m ('GET', 'HEAD') {
	my ($r, $s) = rt("$m /dev1/missing HTTP/1.1\r\n\r\n", head => $m eq 'HEAD');
	is($r->{status}, 404, "F89 $m missing → 404");
	is($r->{headers}{connection}, 'keep-alive', "F89 $m missing: Connection: keep-alive");
	TestDaemon::write_all($s, "GET /dev1/file HTTP/1.1\r\n\r\n");
	my $r2 = TestDaemon::read_response($s);
	is($r2 && $r2->{status}, 200, "F89 connection usable after $m 404");
}

# F90
for my $m ('GET', 'HEAD') {
	my $r = rt("$m /dev1/../dev1/file HTTP/1.1\r\n\r\n", head => $m eq 'HEAD');
	is($r->{status}, 403, "F90 $m /dev1/../dev1/file → 403");
}

# F91
for my $m ('GET', 'HEAD') {
	my $r = rt("$m /dev1/file/ HTTP/1.1\r\n\r\n", head => $m eq 'HEAD');
	is($r->{status}, 404, "F91 $m /dev1/file/ (file used as a directory) → 404");
}

# F92
SKIP: {
	skip 'F92 mode-000 file: needs a non-root daemon', 2 if $> == 0;
	$d->write_file('dev1/secret', 'x');
	chmod 0000, $d->path('dev1/secret');
	for my $m ('GET', 'HEAD') {
		my $r = rt("$m /dev1/secret HTTP/1.1\r\n\r\n", head => $m eq 'HEAD');
		is($r->{status}, 403, "F92 $m of a mode-000 file → 403");
	}
}

# F93
{
	my $p = $d->path('dev1/big');
	open(my $fh, '>', $p) or die;
	truncate($fh, 104857600) or die "truncate: $!";
	close $fh;
	my $s = $d->connect('http');
	TestDaemon::write_all($s, "GET /dev1/big HTTP/1.0\r\n\r\n");
	my $r = TestDaemon::read_response($s, discard_body => 1, timeout => TestDaemon::slow(60));
	is($r->{status}, 200, 'F93 100 MiB sparse file: 200');
	is($r->{headers}{'content-length'}, '104857600', 'F93 Content-Length: 104857600');
	is($r->{body_len}, 104857600, 'F93 exactly 104857600 body bytes');
	ok(TestDaemon::is_eof($s, 5), 'F93 then EOF');
	unlink $p;
}

# F93: other clients progress while a huge GET is stalled on a slow reader
{
	my $p = $d->path('dev1/big2');
	open(my $fh, '>', $p) or die;
	truncate($fh, 104857600) or die "truncate: $!";
	close $fh;
	my $slow = $d->connect('http');
	TestDaemon::write_all($slow, "GET /dev1/big2 HTTP/1.1\r\n\r\n");
	my $r0 = TestDaemon::read_response($slow, head => 1);
	is($r0 && $r0->{status}, 200, 'F93 huge GET started, client not reading');
	my $t0 = time;
	my $r = rt("GET /dev1/file HTTP/1.1\r\n\r\n");
	is($r && $r->{body}, 'hello world', 'F93 another client is served while the huge GET is stalled');
	cmp_ok(time - $t0, '<', TestDaemon::slow(1), 'F93 ... promptly');
	# doc/protocol.md, GET and HEAD: a file that shrinks while being sent ends the connection, never padded
	truncate($p, 1048576) or die;
	my $rest = TestDaemon::read_until_eof($slow, TestDaemon::slow(10));
	cmp_ok(length($rest), '<', 104857600, 'F93 file shrunk during the GET: connection closed early, no padding');
	ok(TestDaemon::is_eof($slow, 1), 'F93 file shrunk during the GET: EOF');
	unlink $p;
	$r = rt("GET /dev1/file HTTP/1.1\r\n\r\n");
	is($r && $r->{status}, 200, 'F93 daemon still serves after the shrinking file');
}

# F94
{
	my $p = $d->write_file('dev1/old', 'old');
	utime 1234567890, 1234567890, $p;
	my $r = rt("HEAD /dev1/old HTTP/1.1\r\n\r\n", head => 1);
	is($r->{headers}{'last-modified'}, 'Fri, 13 Feb 2009 23:31:30 GMT', 'F94 Last-Modified equals mtime');
	my $mt = (stat $d->path('dev1/file'))[9];
	$r = rt("GET /dev1/file HTTP/1.1\r\n\r\n");
	is($r->{headers}{'last-modified'}, strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime $mt),
	   'F94 Last-Modified of a fresh file equals its mtime');
}

# F95
{
	mkfifo($d->path('dev1/fifo'), 0666) or die "mkfifo: $!";
	for my $m ('GET', 'HEAD') {
		my $t0 = time;
		my $r = rt("$m /dev1/fifo HTTP/1.1\r\n\r\n", head => $m eq 'HEAD', timeout => 3);
		is($r && $r->{status}, 403, "F95 $m of a FIFO → 403");
		cmp_ok(time - $t0, '<', TestDaemon::slow(2), "F95 $m of a FIFO answered promptly");
	}
	my $r = rt("GET /dev1/file HTTP/1.1\r\n\r\n");
	is($r->{status}, 200, 'F95 daemon still serves after the FIFO requests');
}

# F96
{
	my $have = TestDaemon::poll_until(sub { -s $d->path('dev666/usage') }, TestDaemon::slow(15));
	ok($have, 'F96 usage file written (sideband listener present)');
	my $r = rt("GET /dev666/usage HTTP/1.1\r\n\r\n");
	is($r->{status}, 200, 'F96 GET /dev666/usage → 200');
	like($r->{body}, qr/^available: \d+\n.*^use: \d+%\n/ms, 'F96 body is the usage text');
}

is($d->stop('QUIT'), 0, 'exits 0 on SIGQUIT');
done_testing;
