# 25-body-cache.t: the bodies of small files checked against their stored CRC are kept in
# memory (--body-cache); later GETs (whole or a range) are answered from them.  A kept body
# is never served once the file has changed: a new PUT, a Content-Range PUT in place, a
# write behind the daemon's back, a DELETE.  The size bound holds; 0 turns it off.
use strict;
use warnings;
use Test::More;
use TestDaemon;

my $T = TestDaemon::slow(5);

sub body_of { my ($n, $salt) = @_; return join('', map { chr(($_ * 13 + $salt) & 255) } 0 .. $n - 1) }

sub metric {
	my ($st, $name) = @_;
	TestDaemon::write_all($st, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	my $r = TestDaemon::read_response($st, timeout => $T);
	return $r->{body} =~ /^evmogstored_body_cache_$name (\d+)$/m ? $1 : undef;
}

# The value once two scrapes agree (a loop thread counts just after sending).
sub settled {
	my ($st, $name) = @_;
	my ($v, $prev);
	TestDaemon::poll_until(sub { $prev = $v; $v = metric($st, $name); defined $prev && $prev == $v }, $T);
	return $v;
}

sub req {
	my ($s, $head, $body) = @_;
	TestDaemon::write_all($s, $head . "\r\nHost: x\r\n" . (defined $body ? "Content-Length: "
		. length($body) . "\r\n" : '') . "\r\n" . ($body // ''));
	return TestDaemon::read_response($s, timeout => $T, head => ($head =~ /^HEAD/ ? 1 : 0));
}

# The memory path needs openat2 (valgrind answers ENOSYS): nothing is ever kept there.
my $memory_path = !TestDaemon::valgrind();

{
	my $d = TestDaemon->start(devices => [1], status => 1);
	my $st = $d->connect('status');
	my $s = $d->connect('http');
	is(metric($st, 'entries'), 0, 'nothing kept at start');
	my $a = body_of(50_000, 1);
	is(req($s, 'PUT /dev1/a.fid HTTP/1.1', $a)->{status}, 201, 'PUT a');
	is(req($s, 'GET /dev1/a.fid HTTP/1.1')->{body}, $a, 'GET a: the body');
	my $h0 = settled($st, 'hits_total');
	for my $i (1 .. 3) {
		my $r = req($s, 'GET /dev1/a.fid HTTP/1.1');
		ok($r->{status} == 200 && $r->{body} eq $a, "GET a again ($i): 200, the body");
	}
	my $r = req($s, "GET /dev1/a.fid HTTP/1.1\r\nRange: bytes=1000-1999");
	ok($r->{status} == 206 && $r->{body} eq substr($a, 1000, 1000), 'a range: 206, its bytes');
	$r = req($s, "GET /dev1/a.fid HTTP/1.1\r\nRange: bytes=-10");
	ok($r->{status} == 206 && $r->{body} eq substr($a, -10), 'a suffix range: its bytes');
	SKIP: {
		skip('under valgrind (no openat2): the memory path is never taken', 2) unless $memory_path;
		is(settled($st, 'hits_total') - $h0, 5, 'the repeated GETs and the ranges came from the kept body');
		cmp_ok(metric($st, 'bytes'), '>=', 50_000, 'bytes counts the kept body');
	}

	# a new PUT of the path: a new file, never the old body
	my $b = body_of(50_000, 2);
	is(req($s, 'PUT /dev1/a.fid HTTP/1.1', $b)->{status}, 201, 'PUT a again, new bytes');
	for my $i (1, 2) {
		is(req($s, 'GET /dev1/a.fid HTTP/1.1')->{body}, $b, "GET after the new PUT ($i): new bytes");
	}

	# a Content-Range PUT rewrites the same inode in place, same size
	is(req($s, "PUT /dev1/a.fid HTTP/1.1\r\nContent-Range: bytes 100-104/*", 'XXXXX')->{status},
	   201, 'Content-Range PUT of 5 bytes in place');
	(my $c = $b) =~ s/^(.{100}).{5}/$1XXXXX/s;
	for my $i (1, 2) {
		is(req($s, 'GET /dev1/a.fid HTTP/1.1')->{body}, $c, "GET after the Content-Range PUT ($i): rewritten bytes");
	}

	# a file replaced behind the daemon's back (a new inode) and one rewritten in place
	my $e = body_of(30_000, 3);
	is(req($s, 'PUT /dev1/e.fid HTTP/1.1', $e)->{status}, 201, 'PUT e');
	is(req($s, 'GET /dev1/e.fid HTTP/1.1')->{body}, $e, "GET e") for 1, 2;
	my $e2 = body_of(30_000, 4);
	{
		open my $f, '+<:raw', $d->path('dev1/e.fid') or die "e.fid: $!";
		print $f $e2 or die;
		close $f or die;
	}
	$r = req($s, 'GET /dev1/e.fid HTTP/1.1');
	isnt($r->{body}, $e, 'e rewritten in place behind the daemon: never the kept body');

	# DELETE: 404, whatever was kept
	is(req($s, 'DELETE /dev1/a.fid HTTP/1.1')->{status}, 204, 'DELETE a');
	is(req($s, 'GET /dev1/a.fid HTTP/1.1')->{status}, 404, 'GET a after DELETE: 404');
	close $s;
	$d->stop;
}

# The bound: two 40,000-byte bodies do not fit in 64 KiB; the older one goes.
{
	my $d = TestDaemon->start(devices => [1], status => 1, args => ['--body-cache=64K']);
	my $st = $d->connect('status');
	my $s = $d->connect('http');
	my %b = (x => body_of(40_000, 5), y => body_of(40_000, 6));
	for my $n (qw(x y)) {
		is(req($s, "PUT /dev1/$n.fid HTTP/1.1", $b{$n})->{status}, 201, "PUT $n");
		is(req($s, "GET /dev1/$n.fid HTTP/1.1")->{body}, $b{$n}, "GET $n") for 1, 2;
	}
	SKIP: {
		skip('under valgrind (no openat2): the memory path is never taken', 3) unless $memory_path;
		is(settled($st, 'entries'), 1, '--body-cache=64K: one 40,000-byte body kept');
		cmp_ok(metric($st, 'bytes'), '<=', 65536, 'within the bound');
		cmp_ok(metric($st, 'evictions_total'), '>=', 1, 'the older one evicted');
	}
	is(req($s, "GET /dev1/x.fid HTTP/1.1")->{body}, $b{x}, 'GET x after its eviction: the body');
	close $s;
	$d->stop;
}

# Loops share one cache: 8 clients GET 4 files whose bodies do not all fit (evicted
# while other loops send from them), for about a second; every body is right.
{
	my $d = TestDaemon->start(devices => [1], status => 1, args => ['--body-cache=100K', '--loops=2']);
	my $st = $d->connect('status');
	my %b = map { ("m$_" => body_of(40_000, 10 + $_)) } 1 .. 4;
	my $s = $d->connect('http');
	is(req($s, "PUT /dev1/$_.fid HTTP/1.1", $b{$_})->{status}, 201, "PUT $_") for sort keys %b;
	close $s;
	my @kids;
	for my $k (1 .. 8) {
		my $pid = fork // die "fork: $!";
		if ($pid == 0) {
			my $c = $d->connect('http');
			my ($n, $bad, $end) = (0, 0, time + TestDaemon::slow(1));
			while (time < $end || $n < 20) {
				my $f = "m" . (1 + ($n + $k) % 4);
				my $r = req($c, "GET /dev1/$f.fid HTTP/1.1");
				$bad++ unless $r && $r->{status} == 200 && $r->{body} eq $b{$f};
				$n++;
			}
			exit($bad ? 1 : 0);
		}
		push @kids, $pid;
	}
	my $failed = 0;
	for (@kids) { waitpid($_, 0); $failed++ if $? }
	is($failed, 0, '8 clients, 4 files, evictions under way: every GET 200 with its body');
	SKIP: {
		skip('under valgrind (no openat2): the memory path is never taken', 1) unless $memory_path;
		cmp_ok(metric($st, 'evictions_total'), '>', 0, 'bodies were evicted meanwhile');
	}
	$d->stop;
}

# --body-cache=0: nothing kept, GETs as before
{
	my $d = TestDaemon->start(devices => [1], status => 1, args => ['--body-cache=0']);
	my $st = $d->connect('status');
	my $s = $d->connect('http');
	my $z = body_of(20_000, 7);
	is(req($s, 'PUT /dev1/z.fid HTTP/1.1', $z)->{status}, 201, 'PUT z');
	is(req($s, 'GET /dev1/z.fid HTTP/1.1')->{body}, $z, "GET z") for 1 .. 3;
	is(settled($st, 'entries'), 0, '--body-cache=0: nothing kept');
	is(metric($st, 'hits_total'), 0, '--body-cache=0: no hits');
	close $s;
	$d->stop;
}

# A bad size is refused at startup, and the config file's key is read
{
	my ($rc, undef, $err) = TestDaemon::run_cli(['--body-cache=12Q', '--docroot=/nonexistent']);
	is($rc, 1, '--body-cache=12Q: exit 1');
	like($err, qr/failed to parse --body-cache=12Q/, 'and says why');
	my $cf = TestDaemon::new_tmpdir() . '/mogstored.conf';
	open my $f, '>', $cf or die "$cf: $!";
	print $f "body_cache = 0\n";
	close $f or die;
	my $d = TestDaemon->start(devices => [1], status => 1, args => ["--config=$cf"]);
	my $st = $d->connect('status');
	my $s = $d->connect('http');
	my $z = body_of(20_000, 8);
	is(req($s, 'PUT /dev1/z.fid HTTP/1.1', $z)->{status}, 201, 'body_cache = 0 in the file: PUT');
	is(req($s, 'GET /dev1/z.fid HTTP/1.1')->{body}, $z, "GET z") for 1 .. 2;
	is(settled($st, 'entries'), 0, 'body_cache = 0 in the file: nothing kept');
	close $s;
	$d->stop;
}

done_testing();
