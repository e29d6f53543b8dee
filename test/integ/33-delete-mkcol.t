# 33-delete-mkcol.t: DELETE and MKCOL, and the get-only listener (doc/protocol.md, DELETE,
# MKCOL, Listeners).
use strict;
use warnings;
use Test::More;
use TestDaemon;

my $d = TestDaemon->start(devices => [1, 666], httpget => 1);
my $norm = \&TestDaemon::normalize;
my $EPOCH = $TestDaemon::EPOCH;

# One request on a fresh HTTP/1.1 connection; checks the status, the exact bodiless format
# and that the connection is kept.
sub keep {
	my ($raw, $code, $name, %o) = @_;
	my ($r, $s) = $d->roundtrip($raw, which => $o{which} // 'http', head => 1);
	is($r && $r->{status}, $code, "$name → $code");
	is($r && $norm->($r->{raw_head}), TestDaemon::exact_status($code), "$name: exact bodiless $code, keep-alive");
	TestDaemon::write_all($s, "HEAD / HTTP/1.1\r\n\r\n");
	my $r2 = TestDaemon::read_response($s, head => 1);
	is($r2 && $r2->{status}, 200, "$name: connection reusable");
	return $r;
}

# L182
keep("MKCOL /foo HTTP/1.1\r\n\r\n", 400, 'L182 MKCOL /foo');
ok(!-e $d->path('foo'), 'L182 D/foo not created');
keep("MKCOL /dev1/newdir HTTP/1.1\r\n\r\n", 400, 'L182 MKCOL /dev1/newdir');
ok(!-e $d->path('dev1/newdir'), 'L182 D/dev1/newdir not created');
# L183
{
	$d->write_file('foo/a', 'x');
	keep("DELETE /foo/a HTTP/1.1\r\n\r\n", 204, 'L183 DELETE /foo/a (existing)');
	ok(!-e $d->path('foo/a'), 'L183 file gone');
	ok(-d $d->path('foo'), 'L183 parent directory kept');
	keep("DELETE /foo/a HTTP/1.1\r\n\r\n", 404, 'L183 repeated DELETE /foo/a');
	$d->write_file('dev1/0/000/000/0000000001.fid', 'x');
	keep("DELETE //dev1/0/000/000/0000000001.fid HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 204,
	     'L183 DELETE of a FID path over HTTP/1.0 keep-alive');
	ok(!-e $d->path('dev1/0/000/000/0000000001.fid'), 'L183 FID file gone');
	ok(-d $d->path('dev1/0/000/000'), 'L183 empty parents not pruned');
}
# L184
keep("DELETE /foo HTTP/1.1\r\n\r\n", 403, 'L184 DELETE /foo (directory)');
keep("DELETE /foo/ HTTP/1.1\r\n\r\n", 403, 'L184 DELETE /foo/ (directory)');
ok(-d $d->path('foo'), 'L184 directory still there');
# L185
$d->bad("DELETE ../foo HTTP/1.1\r\n\r\n", 400, 'L185 DELETE ../foo');
$d->bad("MKCOL ../foo HTTP/1.1\r\n\r\n", 400, 'L185 MKCOL ../foo');
ok(-d $d->path('foo'), 'L185 nothing removed');
# L186
keep("DELETE / HTTP/1.1\r\n\r\n", 403, 'L186 DELETE /');
keep("DELETE // HTTP/1.1\r\n\r\n", 403, 'L186 DELETE //');
# L187
keep("MKCOL /dev1/0/ HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 400, 'L187 MKCOL /dev1/0/ with Content-Length: 0');
# L188
{
	$d->write_file('x', 'keep me');
	keep("DELETE /dev1/../x HTTP/1.1\r\n\r\n", 403, 'L188 DELETE /dev1/../x');
	is($d->read_file('x'), 'keep me', 'L188 D/x not removed');
	keep("MKCOL /dev1/../ HTTP/1.1\r\n\r\n", 403, 'L188 MKCOL /dev1/../');
	keep("DELETE /dev1/a..b HTTP/1.1\r\n\r\n", 403, 'L188 DELETE /dev1/a..b');
}

# M189
for my $m ('GET', 'HEAD') {
	my $r = $d->roundtrip("$m / HTTP/1.1\r\n\r\n", which => 'httpget', head => $m eq 'HEAD');
	is($r && $r->{status}, 200, "M189 $m / on the get-only listener → 200");
	is($r && $r->{headers}{'last-modified'}, $EPOCH, "M189 $m /: Last-Modified is the epoch");
	is($r && $norm->($r->{raw}), TestDaemon::exact_200(0), "M189 $m /: exact 200(0)");
}
# M190
{
	$d->write_file('dev1/g', 'getonly');
	my $s = $d->connect('httpget');
	my ($ok, $why) = (0, '');
	for my $round (1 .. 10) {
		TestDaemon::write_all($s, "HEAD /dev1/g HTTP/1.1\r\n\r\n");
		my $h = TestDaemon::read_response($s, head => 1);
		TestDaemon::write_all($s, "GET /dev1/g HTTP/1.1\r\n\r\n");
		my $g = TestDaemon::read_response($s);
		TestDaemon::write_all($s, "DELETE /dev1/g HTTP/1.1\r\n\r\n");
		my $del = TestDaemon::read_response($s);
		TestDaemon::write_all($s, "MKCOL /dev1/m HTTP/1.1\r\n\r\n");
		my $mk = TestDaemon::read_response($s);
		my @st = map { $_ ? $_->{status} : 'none' } $h, $g, $del, $mk;
		my @conn = map { $_ ? $_->{headers}{connection} // '' : '' } $h, $g, $del, $mk;
		if ("@st" eq '200 200 405 405' && "@conn" eq 'keep-alive keep-alive keep-alive keep-alive'
		    && $h->{body} eq '' && $g->{body} eq 'getonly') {
			$ok++;
		} else {
			$why ||= "round $round: statuses @st, connections @conn";
		}
	}
	is($ok, 10, 'M190 ten rounds of HEAD 200, GET 200, DELETE 405, MKCOL 405, all keep-alive') or diag($why);
	is($d->read_file('dev1/g'), 'getonly', 'M190 DELETE on G removed nothing');
	ok(!-e $d->path('dev1/m'), 'M190 MKCOL on G created nothing');
	my $r = $d->roundtrip("DELETE /dev1/g HTTP/1.1\r\n\r\n", which => 'httpget');
	is($r && $norm->($r->{raw}), TestDaemon::exact_status(405), 'M190 DELETE on G: exact 405 keep-alive');
}
# M191
{
	$d->bad("PUT /dev1/m191 HTTP/1.1\r\nContent-Length: 5\r\n\r\nBODY!", 405, 'M191 PUT to the get-only listener',
	    which => 'httpget');
	ok(!-e $d->path('dev1/m191'), 'M191 no file');
	my $r = $d->roundtrip("HEAD /dev1/m191 HTTP/1.1\r\n\r\n", head => 1);
	is($r && $r->{status}, 404, 'M191 a following HEAD on a new connection → 404');
	$r = $d->roundtrip("HEAD /dev1/m191 HTTP/1.1\r\n\r\n", which => 'httpget', head => 1);
	is($r && $r->{status}, 404, 'M191 a following HEAD on the get-only listener → 404');
	$d->bad("PUT /dev1/m191 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nBODY!\r\n0\r\n\r\n", 405,
	    'M191 chunked PUT to the get-only listener', which => 'httpget');
	ok(!-e $d->path('dev1/m191'), 'M191 chunked: no file');
}

is($d->stop('QUIT'), 0, 'exits 0 on SIGQUIT');
done_testing;
