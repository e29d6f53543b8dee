# 22-range.t: Range requests on GET and HEAD (doc/protocol.md, Range).
use strict;
use warnings;
use Test::More;
use TestDaemon;

my $d = TestDaemon->start(devices => [1]);
my $norm = \&TestDaemon::normalize;
my $EPOCH = $TestDaemon::EPOCH;
my $data = join('', map { chr(int(rand(256))) } 1 .. 666);
$d->write_file('dev1/r', $data);
$d->write_file('dev1/empty', '');

my $keep = $d->connect('http');	# one keep-alive connection for the satisfiable cases

sub exact_206 {
	my ($first, $last, $size, $conn) = @_;
	my $n = $last - $first + 1;
	return "HTTP/1.1 206 Partial Content\r\nStatus: 206 Partial Content\r\nDate: $EPOCH\r\n"
	     . "Last-Modified: $EPOCH\r\nContent-Length: $n\r\n"
	     . "Content-Type: application/octet-stream\r\nContent-Range: bytes $first-$last/$size\r\n"
	     . "Connection: " . ($conn // 'keep-alive') . "\r\n\r\n";
}

sub exact_416 {
	my ($size, $conn) = @_;
	return "HTTP/1.1 416 Requested Range Not Satisfiable\r\n"
	     . "Status: 416 Requested Range Not Satisfiable\r\nDate: $EPOCH\r\nContent-Length: 0\r\n"
	     . "Content-Type: text/plain\r\nContent-Range: bytes */$size\r\n"
	     . "Connection: " . ($conn // 'keep-alive') . "\r\n\r\n";
}

# GET and HEAD of $range on the keep-alive connection (C113: HEAD gives the same head).
sub both {
	my ($id, $range, $path) = @_;
	$path //= '/dev1/r';
	my $hdr = defined $range ? "Range: $range\r\n" : '';
	TestDaemon::write_all($keep, "GET $path HTTP/1.1\r\n$hdr\r\nHEAD $path HTTP/1.1\r\n$hdr\r\n");
	my $g = TestDaemon::read_response($keep);
	my $h = TestDaemon::read_response($keep, head => 1);
	my $show = $range // 'no Range';
	is($norm->($h->{raw_head} // ''), $norm->($g->{raw_head} // ''),
	   "G113 HEAD with $show: same status and headers as GET ($id)");
	is($h->{body}, '', "G113 HEAD with $show: no body ($id)");
	return $g;
}

# G97
{
	my $g = both('G97', undef);
	is($g->{status}, 200, 'G97 no Range: 200');
	is($g->{headers}{'content-length'}, '666', 'G97 Content-Length: 666');
	ok(!exists $g->{headers}{'content-range'}, 'G97 no Content-Range');
	ok($g->{body} eq $data, 'G97 whole body');
}

# 206 cases: [id, range, first, last]
for my $t (['G98', 'bytes=66-70', 66, 70], ['G99', 'bytes=66-', 66, 665],
	   ['G100', 'bytes=-66', 600, 665], ['G101', 'bytes=0-0', 0, 0],
	   ['G101', 'bytes=665-665', 665, 665], ['G101', 'bytes=123-123', 123, 123],
	   ['G104', 'bytes=-666', 0, 665], ['G109', 'bytes=5-6666', 5, 665],
	   ['G109', 'bytes=0-665', 0, 665], ['G109', 'bytes=000-0001', 0, 1]) {
	my ($id, $range, $first, $last) = @$t;
	my $g = both($id, $range);
	my $n = $last - $first + 1;
	is($g->{status}, 206, "$id $range → 206");
	is($norm->($g->{raw_head}), exact_206($first, $last, 666),
	   "$id $range: Content-Length: $n, Content-Range: bytes $first-$last/666, exact head");
	ok($g->{body} eq substr($data, $first, $n), "$id $range: body = bytes $first..$last");
}

# 416 cases
for my $t (['G102', 'bytes=666-666'], ['G105', 'bytes=666-'], ['G105', 'bytes=6666-'],
	   ['G106', 'bytes=666-666'], ['G106', 'bytes=6666-6666'], ['G107', 'bytes=662-226'],
	   ['G110', 'bytes=-0'], ['G111', 'bytes=-']) {
	my ($id, $range) = @$t;
	my $g = both($id, $range);
	is($g->{status}, 416, "$id $range → 416");
	is($norm->($g->{raw_head}), exact_416(666),
	   "$id $range: Content-Length: 0, Content-Range: bytes */666, exact head");
}
# G110: the daemon survived bytes=-0
{
	TestDaemon::write_all($keep, "GET /dev1/r HTTP/1.1\r\n\r\n");
	my $r = TestDaemon::read_response($keep);
	is($r && $r->{status}, 200, 'G110 daemon keeps running after bytes=-0');
	ok(kill(0, $d->{pid}), 'G110 process alive');
}

# G103
for my $range ('bytes=-667', 'bytes=-6666') {
	my $g = both('G103', $range);
	is($g->{status}, 200, "G103 $range → 200");
	is($norm->($g->{raw_head}), TestDaemon::exact_200(666),
	   "G103 $range: Content-Length: 666, no Content-Range, Accept-Ranges");
	ok($g->{body} eq $data, "G103 $range: whole body");
}

# G108, G112: parse errors close the connection
for my $t (['G108', 'bytes=-5-5'], ['G108', 'bytes=4qasdlkj'], ['G108', 'bytes=323'],
	   ['G112', 'bytes=0-1,3-4'], ['G108', 'bytes = 0-1'], ['G108', 'items=0-1'],
	   ['G108', 'bytes=0-1;x']) {
	my ($id, $range) = @$t;
	for my $m ('GET', 'HEAD') {
		my ($r, $s) = $d->roundtrip("$m /dev1/r HTTP/1.1\r\nRange: $range\r\n\r\n", head => 1);
		is($r && $r->{status}, 400, "$id $m with Range: $range → 400");
		is($r && $r->{headers}{connection}, 'close', "$id $m with Range: $range: close");
		ok(TestDaemon::is_eof($s, 5), "$id $m with Range: $range: EOF");
	}
}
# 507 for numbers overflowing 63 bits (doc/protocol.md, Request line)
{
	my ($r, $s) = $d->roundtrip("GET /dev1/r HTTP/1.1\r\nRange: bytes=0-99999999999999999999999\r\n\r\n");
	is($r && $r->{status}, 507, 'G108 Range number overflowing 63 bits → 507');
	is($r && $r->{headers}{connection}, 'close', 'G108 overflow: close');
}

# G114
{
	my $g = both('G114', 'bytes=0-', '/dev1/empty');
	is($g->{status}, 416, 'G114 empty file, bytes=0- → 416');
	is($g->{headers}{'content-range'}, 'bytes */0', 'G114 Content-Range: bytes */0');
	$g = both('G114', 'bytes=-5', '/dev1/empty');
	is($g->{status}, 200, 'G114 empty file, bytes=-5 → 200');
	is($g->{headers}{'content-length'}, '0', 'G114 Content-Length: 0');
	is($g->{body}, '', 'G114 empty body');
	my $r = $d->roundtrip("GET / HTTP/1.1\r\nRange: bytes=0-\r\n\r\n");
	is($r->{status}, 416, 'G114 Range on / behaves as on an empty file');
}

# G115
for my $t (['HTTP/1.1', '', 'keep-alive'], ['HTTP/1.0', '', 'close'],
	   ['HTTP/1.0', "Connection: keep-alive\r\n", 'keep-alive'],
	   ['HTTP/1.1', "Connection: close\r\n", 'close']) {
	my ($ver, $hdr, $want) = @$t;
	for my $range ('bytes=1-2', 'bytes=700-') {
		my ($r, $s) = $d->roundtrip("GET /dev1/r $ver\r\n${hdr}Range: $range\r\n\r\n");
		my $what = "$ver " . ($hdr eq '' ? 'no Connection' : $hdr =~ s/\r\n//r) . ", $range";
		is($r->{headers}{connection}, $want, "G115 $what → $r->{status} with Connection: $want");
		if ($want eq 'close') {
			ok(TestDaemon::is_eof($s, 5), "G115 $what: EOF");
		} else {
			TestDaemon::write_all($s, "GET /dev1/r HTTP/1.1\r\nRange: bytes=0-0\r\n\r\n");
			my $r2 = TestDaemon::read_response($s);
			is($r2 && $r2->{status}, 206, "G115 $what: connection reusable");
		}
	}
}

close $keep;
is($d->stop('QUIT'), 0, 'exits 0 on SIGQUIT');
done_testing;
