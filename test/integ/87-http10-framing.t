# 87-http10-framing.t: an HTTP/1.0 request with Transfer-Encoding (issue 12, item 2).
# RFC 9112 6.1: a server that receives an HTTP/1.0 message with Transfer-Encoding must
# treat its framing as faulty and close the connection after answering it, even with
# Connection: keep-alive and even when a Content-Length is present too.  A request
# pipelined after it must never be served.
use strict;
use warnings;
use Test::More;
use TestDaemon;

my $d = TestDaemon->start(devices => [1]);
$d->write_file('dev1/sentinel', 'S3NT1NEL');
$d->write_file('dev1/other', 'other');
my $SENT = "GET /dev1/sentinel HTTP/1.1\r\nHost: t\r\n\r\n";

# Sends $raw then the sentinel on one connection, half-closes, reads until EOF.
sub exchange {
	my ($raw) = @_;
	my $s = $d->connect;
	TestDaemon::write_all($s, $raw . $SENT);
	shutdown($s, 1);
	return TestDaemon::read_until_eof($s, 5);
}

my @cases = (
	[ 'PUT chunked, keep-alive',
	  "PUT /dev1/a.fid HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
	  . "5\r\nhello\r\n0\r\n\r\n", 201, 'dev1/a.fid' ],
	[ 'PUT chunked + Content-Length, keep-alive',
	  "PUT /dev1/b.fid HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 5\r\n"
	  . "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", undef, undef ],
	[ 'GET chunked (empty body), keep-alive',
	  "GET /dev1/other HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
	  . "0\r\n\r\n", undef, undef ],
);
for my $c (@cases) {
	my ($name, $raw, $want, $file) = @$c;
	my $out = exchange($raw);
	my @status = $out =~ m{^HTTP/1\.[01] (\d{3}) }mg;
	is(scalar @status, 1, "HTTP/1.0 $name: one response, then the connection closes")
		or diag($out);
	is($status[0], $want, "HTTP/1.0 $name: answered $want") if defined $want;
	like($out, qr/\r\nConnection: close\r\n/, "HTTP/1.0 $name: the response says close");
	unlike($out, qr/S3NT1NEL/, "HTTP/1.0 $name: the pipelined request is not served");
	is($d->read_file($file), 'hello', "HTTP/1.0 $name: the body is stored") if defined $file;
}

# control: HTTP/1.0 keep-alive without Transfer-Encoding still keeps the connection
my $out = exchange("PUT /dev1/c.fid HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhello");
like($out, qr/^HTTP\/1\.1 201 .*\r\nConnection: keep-alive\r\n.*S3NT1NEL/s,
     'HTTP/1.0 keep-alive with Content-Length only: kept, the next request is served');

is($d->stop('QUIT'), 0, 'exits 0');
done_testing();
