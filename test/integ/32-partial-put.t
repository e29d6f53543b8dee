# 32-partial-put.t: PUT with Content-Range, written in place (doc/protocol.md, Content-Range).
use strict;
use warnings;
use Test::More;
use TestDaemon;

my $d = TestDaemon->start(devices => [1, 666]);
my $BIG = '79228162514264337593543950336';		# 2^96
my $BIG1 = '79228162514264337593543950337';

# J168
{
	my $r = $d->roundtrip("PUT /dev666/foo HTTP/1.0\r\nContent-Length: 1\r\nContent-Range: bytes 5-5/*\r\n\r\na");
	like($r->{raw_head}, qr{^HTTP/1\.1 201 Created\r\n}, 'J168 Content-Range bytes 5-5/* on a new file → 201');
	is($d->read_file('dev666/foo'), "\0\0\0\0\0a", 'J168 file is \0\0\0\0\0a');
	is(scalar $d->tmpfiles('dev666'), 0, 'J168 no temporary file');
	unlink $d->path('dev666/foo');
}
# J169, J170
$d->bad("PUT /dev666/foo HTTP/1.0\r\nContent-Length: 2\r\nContent-Range: bytes 5-5/*\r\n\r\na", 400,
    'J169 Content-Length 2 with Content-Range bytes 5-5/*');
ok(!-e $d->path('dev666/foo'), 'J169 no file');
$d->bad("PUT /dev666/foo HTTP/1.0\r\nContent-Length: 2\r\nContent-Range: bytes 5-1/*\r\n\r\na", 400,
    'J170 Content-Range bytes 5-1/*');
ok(!-e $d->path('dev666/foo'), 'J170 no file');
# J171
$d->bad("PUT /dev666/foo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Range: bytes $BIG-$BIG1/*\r\n\r\n", 507,
    'J171 chunked PUT with Content-Range first overflowing');
ok(!-e $d->path('dev666/foo'), 'J171 first overflowing: no file');
$d->bad("PUT /dev666/foo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Range: bytes 0-$BIG/*\r\n\r\n", 507,
    'J171 chunked PUT with Content-Range last overflowing');
ok(!-e $d->path('dev666/foo'), 'J171 last overflowing: no file');
$d->bad("PUT /dev666/foo HTTP/1.1\r\nContent-Length: 1\r\nContent-Range: bytes 9223372036854775808-9223372036854775808/*\r\n\r\nx",
    507, 'J171 Content-Range of 2^63');
ok(!-e $d->path('dev666/foo'), 'J171 2^63: no file');
# J172
{
	my $s = $d->connect('http');
	my ($beg, $expect) = (0, '');
	for my $i (0 .. 3) {
		my $body = "BODY$i\n";
		my $last = $beg + length($body) - 1;
		TestDaemon::write_all($s, "PUT /dev666/foo HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\n"
				      . "Content-Range: bytes $beg-$last/*\r\nContent-Length: " . length($body) . "\r\n\r\n$body");
		my $r = TestDaemon::read_response($s);
		is($r && $r->{status}, 201, "J172 range PUT $i (bytes $beg-$last/*) → 201");
		$expect .= $body;
		$beg += length $body;
	}
	is($d->read_file('dev666/foo'), $expect, 'J172 file is the concatenation');
}
# J173
$d->bad("PUT /dev666/j173 HTTP/1.1\r\nContent-Range: bytes 0-4/*\r\n\r\n", 400, 'J173 Content-Range without Content-Length');
$d->bad("PUT /dev666/j173 HTTP/1.1\r\nContent-Range: bytes 0-4/*\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\n",
    400, 'J173 Content-Range with chunked encoding');
$d->bad("PUT /dev666/j173 HTTP/1.1\r\nContent-Range: bytes 0-4/*\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
    . "5\r\nabcde\r\n0\r\n\r\n", 400, 'J173 Content-Range with chunked encoding and Content-Length');
ok(!-e $d->path('dev666/j173'), 'J173 no file');
# J174
{
	$d->write_file('dev666/j174', 'ab');
	my $r = $d->roundtrip("PUT /dev666/j174 HTTP/1.1\r\nContent-Length: 1\r\nContent-Range: bytes 1-1/*\r\n\r\nZ");
	is($r->{status}, 201, 'J174 range 1-1/* over an existing file → 201');
	is($d->read_file('dev666/j174'), 'aZ', 'J174 file is aZ (no truncation)');
	$d->write_file('dev666/j174', 'abcdef');
	$r = $d->roundtrip("PUT /dev666/j174 HTTP/1.1\r\nContent-Length: 2\r\nContent-Range: bytes 1-2/*\r\n\r\nXY");
	is($d->read_file('dev666/j174'), 'aXYdef', 'J174 bytes after the range are kept');
}
# J175
{
	my $r = $d->roundtrip("PUT /dev666/j175/a/b HTTP/1.1\r\nContent-Length: 3\r\nContent-Range: bytes 2-4/*\r\n\r\nxyz");
	is($r->{status}, 201, 'J175 range PUT into a missing subdirectory → 201');
	is($d->read_file('dev666/j175/a/b'), "\0\0xyz", 'J175 directories created, content in place');
}
# J176
{
	$d->write_file('dev666/j176', 'abcdef');
	my $r = $d->roundtrip("PUT /dev666/j176 HTTP/1.1\r\nContent-Length: 2\r\nContent-Range: bytes 0-1/2\r\n\r\nXY");
	is($r->{status}, 201, 'J176 Content-Range bytes 0-1/2 → 201');
	is($d->read_file('dev666/j176'), 'XYcdef', 'J176 treated as partial: longer file not truncated');
	$r = $d->roundtrip("PUT /dev666/j176 HTTP/1.1\r\nContent-Length: 1\r\nContent-Range: bytes 2-2/10\r\n\r\nQ");
	is($r->{status}, 201, 'J176 Content-Range bytes 2-2/10 → 201');
	is($d->read_file('dev666/j176'), 'XYQdef', 'J176 complete-length form writes in place');
	for my $cr ('bytes=0-0/*', 'BYTES 0-0/*', 'bytes 0-0', 'bytes 0-1/1', 'bytes */6', 'bytes 0-0/abc') {
		$d->bad("PUT /dev666/j176 HTTP/1.1\r\nContent-Length: 1\r\nContent-Range: $cr\r\n\r\nZ", 400,
		    "J176 Content-Range: $cr");
	}
	is($d->read_file('dev666/j176'), 'XYQdef', 'J176 malformed ranges left the file untouched');
}
# with Content-Range an MD5 mismatch answers 400, bytes stay written
{
	my $r = $d->roundtrip("PUT /dev666/j176 HTTP/1.1\r\nContent-Length: 5\r\nContent-Range: bytes 0-4/*\r\n"
			      . "Content-MD5: q1a02StAcTrMWviZhdS3hg==\r\n\r\nabcde");
	is($r->{status}, 201, 'K177 range PUT with a Content-MD5 matching this range → 201');
	is($d->read_file('dev666/j176'), 'abcdef', 'K177 range written in place');
}

is($d->stop('QUIT'), 0, 'exits 0 on SIGQUIT');
done_testing;
