# 60-signals.t: graceful shutdown and the other signals
# (doc/evmogstored.8, SIGNALS).
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use TestDaemon;

my $BIG = 104857600;
my $M100 = '56bb745c25f52e8378a9ca49b7cfd27f';

sub big_file {
	my ($d, $rel) = @_;
	my $p = $d->path($rel);
	open(my $fh, '>:raw', $p) or die "$p: $!";
	truncate($fh, $BIG - 1) or die;
	sysseek($fh, $BIG - 1, 0);
	syswrite($fh, '.') == 1 or die;
	close $fh or die;
}

# Lets the daemon read what was just written before a signal arrives.  There is nothing to
# poll for: the daemon answers nothing to a partial request.
sub settle { sleep(TestDaemon::valgrind() ? 0.5 : 0.1) }

sub title {
	my ($pid) = @_;
	my $ps = `ps -o args= -p $pid 2>/dev/null` // '';
	my $cmd = TestDaemon::slurp("/proc/$pid/cmdline") // '';
	$cmd =~ tr/\0/ /;
	return "$ps $cmd";
}

# S247
{
	my $d = TestDaemon->start(devices => [666]);
	$d->write_file('dev666/f', 'hello');
	my $h = $d->connect('http');
	TestDaemon::write_all($h, "GET /dev666/f HTTP/1.1\r\n\r\n");
	is(TestDaemon::read_response($h)->{status}, 200, 'S247 keep-alive GET answered');
	my $m = $d->connect('mgmt');
	TestDaemon::write_all($m, "size /dev666/f\r\n");
	is(TestDaemon::read_line($m), "/dev666/f 5\r\n", 'S247 sideband size answered');
	my $fresh = $d->connect('http');
	my $fresh_m = $d->connect('mgmt');
	settle();
	kill 'QUIT', $d->{pid};
	ok(TestDaemon::is_eof($h, 5), 'S247 idle keep-alive HTTP connection gets EOF');
	ok(TestDaemon::is_eof($m, 5), 'S247 idle sideband connection gets EOF');
	ok(TestDaemon::is_eof($fresh, 5), 'S247 never-used HTTP connection gets EOF');
	ok(TestDaemon::is_eof($fresh_m, 5), 'S247 never-used sideband connection gets EOF');
	is($d->stop('QUIT'), 0, 'S247 exit 0');
}

# S248
{
	my $d = TestDaemon->start(devices => [666]);
	big_file($d, 'dev666/big.fid');
	my $s = $d->connect('http');
	TestDaemon::write_all($s, "GET /dev666/big.fid HTTP/1.1\r\nHost: t\r\n\r\n");
	TestDaemon::fill($s, time + TestDaemon::slow(5));	# the first bytes only (at most 64 KiB)
	my $first = ${ TestDaemon::rbuf($s) };
	${ TestDaemon::rbuf($s) } = '';
	like($first, qr{^HTTP/1\.1 200 OK\r\n}, 'S248 transfer started');
	kill 'QUIT', $d->{pid};
	SKIP: {	# valgrind owns the process's argv area and name
		skip 'process title not visible under valgrind', 1 if TestDaemon::valgrind();
		ok(TestDaemon::poll_until(sub { title($d->{pid}) =~ /shutting down/ }, 3),
		   'S248 process title says "shutting down"') or diag(title($d->{pid}));
	}
	ok(TestDaemon::poll_until(sub { TestDaemon::refused($d->{http_port}) }, TestDaemon::slow(2)), 'S248 new HTTP connections refused');
	ok(TestDaemon::poll_until(sub { TestDaemon::refused($d->{mgmt_port}) }, TestDaemon::slow(2)), 'S248 new sideband connections refused');
	ok($d->alive, 'S248 still running while the transfer is in flight');
	my $rest = TestDaemon::read_until_eof($s, TestDaemon::slow(60));
	my $all = $first . $rest;
	my $hend = index($all, "\r\n\r\n");
	my $head = substr($all, 0, $hend + 4);
	like($head, qr/\r\nContent-Length: $BIG\r\n/, 'S248 Content-Length 104857600');
	is(length($all) - $hend - 4, $BIG, 'S248 the whole body arrived, then EOF');
	is(substr($all, -1), '.', 'S248 last byte is "."');
	is($d->stop('QUIT'), 0, 'S248 exit 0');
}

# S248 with a binary path shorter than "evmogstored, shutting down": the title uses the
# whole argv+environ area, not only argv[0]
SKIP: {
	skip 'process title not visible under valgrind', 3 if TestDaemon::valgrind();
	require File::Temp;
	require Cwd;
	my $dir = File::Temp::tempdir('/tmp/evXXXXXX', CLEANUP => 1);
	symlink(Cwd::realpath(TestDaemon::binary()), "$dir/ev") or die "symlink: $!";
	local $ENV{EVMOGSTORED} = "$dir/ev";
	my $d = TestDaemon->start(devices => [666]);
	my $s = $d->connect('http');
	TestDaemon::write_all($s, 'GET /');
	settle();
	kill 'QUIT', $d->{pid};
	ok(TestDaemon::poll_until(sub { title($d->{pid}) =~ /shutting down/ }, 3),
	   'S248 short binary path: process title says "shutting down"') or diag(title($d->{pid}));
	TestDaemon::write_all($s, "dev666/missing.fid HTTP/1.1\r\nHost: t\r\n\r\n");
	my $r = TestDaemon::read_response($s);
	is($r && $r->{status}, 404, 'S248 short binary path: request in flight answered');
	is($d->stop('QUIT'), 0, 'S248 short binary path: exit 0');
}

# S249
{
	my $d = TestDaemon->start(devices => [666]);
	my $s = $d->connect('http');
	TestDaemon::write_all($s, 'GET /');
	settle();
	kill 'QUIT', $d->{pid};
	ok(TestDaemon::poll_until(sub { TestDaemon::refused($d->{http_port}) }), 'S249 listener closed');
	TestDaemon::write_all($s, "dev666/missing.fid HTTP/1.1\r\nHost: t\r\n\r\n");
	my $r = TestDaemon::read_response($s);
	is($r && $r->{status}, 404, 'S249 partial GET completed after SIGQUIT → 404');
	is($r && $r->{body}, '', 'S249 empty body');
	ok(TestDaemon::is_eof($s, 5), 'S249 then EOF');
	is($d->stop('QUIT'), 0, 'S249 exit 0');
}

# S250
{
	my $d = TestDaemon->start(devices => [666]);
	my $s = $d->connect('http');
	TestDaemon::write_all($s, 'GET /');
	settle();
	kill 'QUIT', $d->{pid};
	ok(TestDaemon::poll_until(sub { TestDaemon::refused($d->{http_port}) }), 'S250 listener closed');
	TestDaemon::write_all($s, "dev666/a HTTP/1.1\r\nHost: t\r\n\r\nGET /");
	my $r1 = TestDaemon::read_response($s);
	is($r1 && $r1->{status}, 404, 'S250 first request → 404');
	settle();
	TestDaemon::write_all($s, "dev666/b HTTP/1.1\r\nHost: t\r\n\r\n");
	my $r2 = TestDaemon::read_response($s);
	is($r2 && $r2->{status}, 404, 'S250 partial pipelined second request completed → 404');
	ok(TestDaemon::is_eof($s, 5), 'S250 then EOF');
	is($d->stop('QUIT'), 0, 'S250 exit 0');
}

# S251
{
	my $d = TestDaemon->start(devices => [666]);
	my $s = $d->connect('http');
	TestDaemon::write_all($s, "PUT /dev666/blarg.fid HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n");
	settle();
	kill 'QUIT', $d->{pid};
	ok(TestDaemon::poll_until(sub { TestDaemon::refused($d->{http_port}) }), 'S251 listener closed');
	for my $c (split //, "hihi") {
		TestDaemon::write_all($s, $c);
		sleep 0.01;
	}
	# the last body byte arrives together with the start of the next request
	TestDaemon::write_all($s, "\nGET");
	my $r = TestDaemon::read_response($s);
	is($r && $r->{status}, 201, 'S251 PUT whose body is trickled after SIGQUIT → 201');
	is($r && $r->{body}, '', 'S251 201 has an empty body');
	is($d->read_file('dev666/blarg.fid'), "hihi\n", 'S251 file holds hihi\n');
	ok(!TestDaemon::is_eof($s, 0.2), 'S251 connection kept: part of a request is buffered');
	TestDaemon::write_all($s, " /dev666/blarg.fid HTTP/1.0\r\n\r\n");
	my $g = TestDaemon::read_response($s);
	is($g && $g->{status}, 200, 'S251 following GET → 200');
	is($g && $g->{body}, "hihi\n", 'S251 GET body hihi\n');
	ok(TestDaemon::is_eof($s, 5), 'S251 then EOF');
	is($d->stop('QUIT'), 0, 'S251 exit 0');
}

# S251 without a following request: the connection closes once the PUT is answered.
{
	my $d = TestDaemon->start(devices => [666]);
	my $s = $d->connect('http');
	TestDaemon::write_all($s, "PUT /dev666/x.fid HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhi");
	settle();
	kill 'QUIT', $d->{pid};
	ok(TestDaemon::poll_until(sub { TestDaemon::refused($d->{http_port}) }), 'S251 listener closed (PUT body in flight)');
	TestDaemon::write_all($s, "hi\n");
	my $r = TestDaemon::read_response($s);
	is($r && $r->{status}, 201, 'S251 PUT completed after SIGQUIT → 201');
	is($d->read_file('dev666/x.fid'), "hihi\n", 'S251 file committed');
	ok(TestDaemon::is_eof($s, 5), 'S251 nothing buffered → EOF after the 201');
	is($d->stop('QUIT'), 0, 'S251 exit 0');
}

# S252
{
	my $d = TestDaemon->start(devices => [666]);
	big_file($d, 'dev666/big.fid');
	my $m = $d->connect('mgmt');
	TestDaemon::write_all($m, "size /dev666/big.fid\r\n");
	is(TestDaemon::read_line($m), "/dev666/big.fid $BIG\r\n", 'S252 size of the 100 MiB file');
	my $req = "MD5 /dev666/big.fid\r\n";
	my $half = int(length($req) / 2);
	for my $i (0 .. length($req) - 1) {
		TestDaemon::write_all($m, substr($req, $i, 1));
		if ($i == $half) {
			settle();
			kill 'QUIT', $d->{pid};
		}
		sleep 0.005;
	}
	is(TestDaemon::read_line($m, TestDaemon::slow(30)), "/dev666/big.fid MD5=$M100\r\n", 'S252 MD5 trickled across SIGQUIT → answered');
	ok(TestDaemon::is_eof($m, 5), 'S252 then EOF');
	is($d->stop('QUIT'), 0, 'S252 exit 0');
}

# S253
{
	my $d = TestDaemon->start(devices => [666]);
	big_file($d, 'dev666/big.fid');
	my $m = $d->connect('mgmt');
	my $one = "MD5 /dev666/big.fid fsck\r\n";
	TestDaemon::write_all($m, substr($one, 0, -2));
	settle();
	TestDaemon::write_all($m, "\r\n" . $one x 4);
	settle();
	kill 'QUIT', $d->{pid};
	my @got = map { TestDaemon::read_line($m, TestDaemon::slow(60)) // 'timeout' } 1 .. 5;
	is_deeply(\@got, [("/dev666/big.fid MD5=$M100\r\n") x 5], 'S253 five pipelined fsck MD5s + SIGQUIT → five answers');
	ok(TestDaemon::is_eof($m, 5), 'S253 then EOF');
	is($d->stop('QUIT'), 0, 'S253 exit 0');
}

# S254
{
	my $d = TestDaemon->start(devices => [666]);
	my $m = $d->connect('mgmt');
	TestDaemon::write_all($m, 'size ');
	settle();
	kill 'QUIT', $d->{pid};
	ok(TestDaemon::poll_until(sub { TestDaemon::refused($d->{mgmt_port}) }), 'S254 sideband listener closed');
	TestDaemon::write_all($m, "/dev666/missing.fid\r\n");
	is(TestDaemon::read_line($m), "/dev666/missing.fid -1\r\n", 'S254 "size " + SIGQUIT + rest → answered');
	ok(TestDaemon::is_eof($m, 5), 'S254 then EOF');
	is($d->stop('QUIT'), 0, 'S254 exit 0');
}

# S255
for my $cmd ("shutdown\r\n", "shutdown graceful\r\n", "shutdown   graceful\n") {
	(my $show = $cmd) =~ s/\r?\n//;
	my $d = TestDaemon->start(devices => [666]);
	my $idle = $d->connect('http');
	my $m = $d->connect('mgmt');
	TestDaemon::write_all($m, $cmd);
	ok(TestDaemon::is_eof($m, TestDaemon::slow(2)), "S255 '$show' → the client reads EOF (no reply)");
	ok(TestDaemon::is_eof($idle, TestDaemon::slow(2)), "S255 '$show' → idle HTTP connection closed");
	ok(TestDaemon::poll_until(sub { !$d->alive }, TestDaemon::slow(4)), "S255 '$show' → process exits");
	is($d->stop('QUIT'), 0, "S255 '$show' → exit 0");
	is($d->stderr =~ /ERROR|assert|Sanitizer/ ? $d->stderr : '', '', "S255 '$show' → nothing alarming on stderr");
}

# S256
for my $sig (qw(TERM INT)) {
	my $d = TestDaemon->start(devices => [666]);
	$d->write_file('dev666/f', 'abc');
	my $h = $d->connect('http');
	TestDaemon::write_all($h, 'GET /dev666/f HTTP/1.1');
	settle();
	kill $sig, $d->{pid};
	ok(TestDaemon::poll_until(sub { TestDaemon::refused($d->{http_port}) }), "S256 SIG$sig closes the listeners");
	TestDaemon::write_all($h, "\r\n\r\n");
	my $r = TestDaemon::read_response($h);
	is($r && $r->{body}, 'abc', "S256 SIG$sig is graceful: the request in progress is answered");
	ok(TestDaemon::is_eof($h, 5), "S256 SIG$sig then EOF");
	is($d->stop($sig), 0, "S256 SIG$sig → exit 0");
}

# S257
{
	my $d = TestDaemon->start(devices => [666], env => { MOG_DISK_USAGE_INTERVAL => 1 });
	$d->write_file('dev666/f', 'abc');
	my $h = $d->connect('http');
	my $m = $d->connect('mgmt');
	for my $sig (qw(HUP USR1 WINCH)) {
		kill $sig, $d->{pid};
		settle();
		ok($d->alive, "S257 SIG$sig: still running");
		TestDaemon::write_all($h, "GET /dev666/f HTTP/1.1\r\n\r\n");
		my $r = TestDaemon::read_response($h);
		is($r && $r->{body}, 'abc', "S257 SIG$sig: existing HTTP connection still served");
		TestDaemon::write_all($m, "size /dev666/f\r\n");
		is(TestDaemon::read_line($m), "/dev666/f 3\r\n", "S257 SIG$sig: existing sideband connection still served");
		my $r2 = $d->roundtrip("GET /dev666/f HTTP/1.0\r\n\r\n");
		is($r2 && $r2->{body}, 'abc', "S257 SIG$sig: new connections accepted");
	}
	is($d->stop('QUIT'), 0, 'S257 then SIGQUIT → exit 0');
}

# A daemon without clients exits within 1 s of SIGQUIT.
{
	my $d = TestDaemon->start(devices => [1, 666]);
	my $t0 = time;
	kill 'QUIT', $d->{pid};
	ok(TestDaemon::poll_until(sub { !$d->alive }, TestDaemon::slow(1)),
	   sprintf('S247 no clients: gone %.3f s after SIGQUIT', time - $t0));
	is($d->stop('QUIT'), 0, 'S247 no clients: exit 0');
}

# A connection accepted just before SIGQUIT, whose request is still on the way, is
# answered: a fresh connection gets at least a whole second for its first request,
# wherever in a clock second it was accepted (the daemon counts idle time in whole
# seconds; one accepted at x.9 s used to be closed by a shutdown at x+1.05 s).
{
	my $d = TestDaemon->start(devices => [1], args => ['--loops=1']);
	my $frac = sub { my $t = time; $t - int($t) };
	sleep 0.005 until $frac->() >= 0.90 && $frac->() < 0.95;	# at most a second
	my $s = $d->connect('http');
	sleep 0.005 while $frac->() >= 0.5;	# the next second has begun
	sleep 0.05;
	kill 'QUIT', $d->{pid};
	sleep 0.1;
	TestDaemon::write_all($s, "PUT /dev1/late HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc");
	my $r = TestDaemon::read_response($s, timeout => TestDaemon::slow(5));
	is($r && $r->{status}, 201,
	   'S258 PUT sent after SIGQUIT on a connection accepted at x.9 s: answered');
	is($d->stop('QUIT'), 0, 'S258 exit 0');
	is(TestDaemon::slurp("$d->{docroot}/dev1/late"), 'abc', 'S258 the file is there');
}

done_testing;
