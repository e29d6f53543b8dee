# 93-status-body.t: the status listener takes no request bodies (issue 12, item 6).
# A GET with a body whose bytes look like a request must not have them parsed as the next
# request: the request is refused (400) and the connection closed.
use strict;
use warnings;
use Test::More;
use TestDaemon;

my $d = TestDaemon->start(devices => [1], status => 1);

my $hidden = "GET /nothere HTTP/1.1\r\n\r\n";
my @cases = (
	[ 'Content-Length body', "GET /health HTTP/1.1\r\nHost: t\r\nContent-Length: "
	  . length($hidden) . "\r\n\r\n$hidden" ],
	[ 'chunked body', "GET /health HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
	  . sprintf('%x', length $hidden) . "\r\n$hidden\r\n0\r\n\r\n" ],
	[ 'HEAD with a Content-Length body', "HEAD /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: "
	  . length($hidden) . "\r\n\r\n$hidden" ],
);
for my $c (@cases) {
	my ($name, $raw) = @$c;
	my $s = $d->connect('status');
	TestDaemon::write_all($s, $raw);
	shutdown($s, 1);
	my $out = TestDaemon::read_until_eof($s, 5);
	my @status = $out =~ m{^HTTP/1\.1 (\d{3}) }mg;
	is("@status", '400', "status listener, $name: one 400, nothing parsed from the body")
		or diag($out);
	like($out, qr/\r\nConnection: close\r\n/, "status listener, $name: the connection closes");
}

# control: an empty body (Content-Length: 0) is no body
my $s = $d->connect('status');
TestDaemon::write_all($s, "GET /health HTTP/1.1\r\nContent-Length: 0\r\n\r\nGET /health HTTP/1.1\r\n\r\n");
shutdown($s, 1);
my @status = TestDaemon::read_until_eof($s, 5) =~ m{^HTTP/1\.1 (\d{3}) }mg;
is("@status", '200 200', 'status listener, Content-Length: 0: both requests answered');

is($d->stop('QUIT'), 0, 'exits 0');
done_testing();
