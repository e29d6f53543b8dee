# 92-accesslog.t: metrics: --accesslog: one line per HTTP request in the documented format
# "<ISO8601 UTC> <peer ip:port> <METHOD> <path> <status> <bytes> <ms>", written by a
# background thread; SIGHUP reopens the file (rotation); --accesslog=syslog serves.
use strict;
use warnings;
use Test::More;
use Fcntl qw(O_RDONLY O_NONBLOCK);
use POSIX qw(strftime);
use Time::HiRes qw(time sleep);
use TestDaemon;

my $T = TestDaemon::slow(5);
my $LINE_RE = qr/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) (127\.0\.0\.1:\d+) (\S+) (\S+) (\d{3}) (\d+) (\d+\.\d{3})$/;

sub lines_of {
	my ($file) = @_;
	my $t = TestDaemon::slurp($file);
	return undef unless defined $t;
	return [split /\n/, $t];
}

# Waits until $file has at least $n lines (the writer thread is asynchronous), then a little
# longer so that extra lines would show; returns the lines (or [] if there is no file).
sub wait_lines {
	my ($file, $n) = @_;
	TestDaemon::poll_until(sub { @{ lines_of($file) // [] } >= $n }, $T);
	sleep 0.2;
	return lines_of($file) // [];
}

my $logdir = TestDaemon::new_tmpdir();
my $log = "$logdir/access.log";
my $t0 = time;
my $d = TestDaemon->start(devices => [1], status => 1, args => ["--accesslog=$log"]);
my $sport = $d->{status_port};
# the file is opened at startup, not necessarily before the ports accept (valgrind is slow)
ok(TestDaemon::poll_until(sub { -f $log }, $T), 'the access log file is created at startup');
is(sprintf('%04o', (stat $log)[2] & 07777), sprintf('%04o', 0644 & ~umask), 'created 0644 & ~umask');
sleep 0.2;
is(-s $log, 0, 'connections without a request (start()\'s port probes) log nothing');

$d->write_file('dev1/a.fid', 'hello world');	# 11 bytes
my @want;		# [method, path, status, bytes, client port]
my $h = $d->connect('http');
my $hport = $h->sockport;
sub req {
	my ($s, $raw, $method, $path, $status, %o) = @_;
	TestDaemon::write_all($s, $raw);
	my $r = TestDaemon::read_response($s, timeout => $T, head => $method eq 'HEAD');
	is($r && $r->{status}, $status, "$method $path → $status");
	# documented bytes: response head and body plus the request body
	my $bytes = ($r ? length $r->{raw} : 0) + ($o{reqbody} // 0);
	push @want, [$method, $path, $status, $bytes, $s->sockport];
	return $r;
}
req($h, "GET /dev1/a.fid HTTP/1.1\r\nHost: x\r\n\r\n", 'GET', '/dev1/a.fid', 200);
req($h, "HEAD /dev1/a.fid HTTP/1.1\r\nHost: x\r\n\r\n", 'HEAD', '/dev1/a.fid', 200);
req($h, "GET /dev1/a.fid HTTP/1.1\r\nHost: x\r\nRange: bytes=0-4\r\n\r\n", 'GET', '/dev1/a.fid', 206);
req($h, "GET /dev1/missing.fid HTTP/1.1\r\nHost: x\r\n\r\n", 'GET', '/dev1/missing.fid', 404);
req($h, "PUT /dev1/b.fid HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde", 'PUT', '/dev1/b.fid',
    201, reqbody => 5);
req($h, "DELETE /dev1/b.fid HTTP/1.1\r\nHost: x\r\n\r\n", 'DELETE', '/dev1/b.fid', 204);
req($h, "MKCOL /dev1/dir HTTP/1.1\r\nHost: x\r\n\r\n", 'MKCOL', '/dev1/dir', 400);
{	# a second connection: its own peer port; and a request the parser rejects
	my $g = $d->connect('http');
	req($g, "BREW /pot HTTP/1.1\r\n\r\n", '-', '-', 400);
	close $g;
}
# status-listener requests are not storage requests: not in the access log
{
	my $s = $d->connect('status');
	TestDaemon::write_all($s, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n");
	my $r1 = TestDaemon::read_response($s, timeout => $T);
	my $r2 = TestDaemon::read_response($s, timeout => $T);
	is($r2 && $r2->{status}, 200, 'status listener answered /metrics and /health');
	close $s;
}
my $N = @want;
my $t1 = time;
my $lines = wait_lines($log, $N);
is(scalar @$lines, $N, "exactly $N lines after $N requests") or diag(join "\n", @$lines);
# One connection's lines are in its requests' order; lines of different connections may
# interleave (with loop threads each loop logs its own connections as they finish).
my %by_port;
for my $l (@$lines) {
	my ($port) = $l =~ /^\S+ 127\.0\.0\.1:(\d+) /;
	push @{ $by_port{$port // '?'} }, $l;
}
my $i = 0;
for my $w (@want) {
	$i++;
	my $l = shift(@{ $by_port{$w->[4]} // [] }) // '';
	my ($when, $peer, $m, $p, $st, $bytes, $ms) = $l =~ $LINE_RE;
	ok(defined $when, "line $i has the documented format") or diag($l), next;
	is("$m $p $st", "$w->[0] $w->[1] $w->[2]", "line $i: method, path and status");
	is($peer, "127.0.0.1:$w->[4]", "line $i: the client's address and port");
	is($bytes, $w->[3], "line $i: bytes = response head and body + request body");
	my $secs = eval {
		my ($Y, $M, $D, $hh, $mm, $ss) = $when =~ /(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)Z/;
		require Time::Local;
		Time::Local::timegm($ss, $mm, $hh, $D, $M - 1, $Y);
	} // 0;
	ok($secs >= int($t0) - 1 && $secs <= $t1 + 1, "line $i: UTC time within the test's run")
		or diag("$when vs " . strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $t1));
	ok($ms >= 0 && $ms < 1000 * $T, "line $i: duration in ms");
}

# ---------------------------------------------------------------------------------------
# Rotation: rename, SIGHUP, and the next lines go to a new file at the original path.
rename($log, "$log.1") or die "rename: $!";
req($h, "GET /dev1/a.fid HTTP/1.1\r\nHost: x\r\n\r\n", 'GET', '/dev1/a.fid', 200);	# before HUP
my $old_n = $N + 1;
is(scalar @{ wait_lines("$log.1", $old_n) }, $old_n,
   'before SIGHUP a line still goes to the renamed file (same descriptor)');
ok(!-e $log, 'no file at the original path before SIGHUP');
kill 'HUP', $d->{pid};
ok(TestDaemon::poll_until(sub { -e $log }, $T), 'SIGHUP: a fresh file is created at the original path');
ok($d->alive, 'the daemon survives SIGHUP');
@want = ();
req($h, "GET /dev1/a.fid HTTP/1.1\r\nHost: x\r\n\r\n", 'GET', '/dev1/a.fid', 200);
req($h, "PUT /dev1/c.fid HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi", 'PUT', '/dev1/c.fid',
    201, reqbody => 2);
my $new = wait_lines($log, 2);
is(scalar @$new, 2, 'after SIGHUP: the new requests are in the new file') or diag(join "\n", @$new);
like($new->[0] // '', qr{ GET /dev1/a\.fid 200 }, 'new file: the GET');
like($new->[1] // '', qr{ PUT /dev1/c\.fid 201 }, 'new file: the PUT');
is(scalar @{ lines_of("$log.1") // [] }, $old_n, 'the rotated file got nothing more');

# SIGHUP with nothing renamed: appends to the same file, nothing lost or repeated
kill 'HUP', $d->{pid};
sleep 0.2;
req($h, "GET /dev1/missing.fid HTTP/1.1\r\nHost: x\r\n\r\n", 'GET', '/dev1/missing.fid', 404);
$new = wait_lines($log, 3);
is(scalar @$new, 3, 'SIGHUP without rotation: the file is appended to, not truncated');
like($new->[2] // '', qr{ GET /dev1/missing\.fid 404 }, '... with the new line last');

# SIGHUP when the file cannot be reopened (its directory is gone): keep the old descriptor
{
	my $moved = "$logdir.moved";
	rename($logdir, $moved) or die "rename $logdir: $!";
	kill 'HUP', $d->{pid};
	sleep 0.3;
	ok($d->alive, 'SIGHUP with the log directory gone: the daemon survives');
	req($h, "GET /dev1/a.fid HTTP/1.1\r\nHost: x\r\n\r\n", 'GET', '/dev1/a.fid', 200);
	my $kept = wait_lines("$moved/access.log", 4);
	is(scalar @$kept, 4, '... and keeps logging to the file it had open');
	ok(TestDaemon::poll_until(sub { $d->stderr =~ /accesslog=\Q$log\E/ }, $T),
	   '... and reports the failed reopen on stderr') or diag($d->stderr);
	rename($moved, $logdir) or die "rename back: $!";
}

# Nothing queued is lost at shutdown: a burst of requests, then SIGQUIT at once.
{
	my $before = scalar @{ lines_of($log) // [] };
	my $burst = 200;
	TestDaemon::write_all($h, "HEAD /dev1/a.fid HTTP/1.1\r\nHost: x\r\n\r\n" x $burst);
	my $n = 0;
	while ($n < $burst) {
		my $r = TestDaemon::read_response($h, timeout => $T, head => 1) or last;
		$n++;
	}
	is($n, $burst, "$burst pipelined HEADs answered");
	close $h;
	is($d->stop('QUIT'), 0, 'daemon exits 0 right after the burst');
	my $after = lines_of($log) // [];
	is(scalar @$after - $before, $burst, "all $burst lines are in the file after exit");
}

# ---------------------------------------------------------------------------------------
# A stalled log (a FIFO nobody reads, with a 4 KiB buffer): requests are still answered;
# and a line for a request that finishes after the daemon handled SIGHUP belongs in the new
# file, even when the writer thread is still busy with older lines at that time.
SKIP: {
	my $dir = TestDaemon::new_tmpdir();
	my $fifo = "$dir/stall.log";
	skip "mkfifo: $!", 8 unless POSIX::mkfifo($fifo, 0600);
	sysopen(my $rd, $fifo, O_RDONLY | O_NONBLOCK) or die "open $fifo: $!";
	my $F_SETPIPE_SZ = 1031;
	my $cap = fcntl($rd, $F_SETPIPE_SZ, 4096);
	$cap = 65536 unless $cap;
	my $r = TestDaemon->start(devices => [1], args => ["--accesslog=$fifo"]);
	$r->write_file('dev1/a.fid', 'x');
	$r->write_file('dev1/marker.fid', 'm');
	my $c = $r->connect('http');
	# more lines than the pipe holds: the writer ends up blocked in write()
	my $n = int(3 * $cap / 60) + 10;
	my $t = time;
	TestDaemon::write_all($c, "HEAD /dev1/a.fid HTTP/1.1\r\n\r\n" x $n);
	my $got = 0;
	while ($got < $n) {
		TestDaemon::read_response($c, timeout => $T, head => 1) or last;
		$got++;
	}
	is($got, $n, "log stalled: all $n requests answered");
	ok(time - $t < 2 * $T, '... without waiting for the log');
	# the writer thread catches up with the loop on its own time: poll until its lines
	# reach the pipe.  They are three times what the pipe holds, so the writer is then
	# blocked in write().  How full the pipe looks depends on how the lines were batched:
	# a 4 KiB pipe has one page, and a first write of one short line (the loop answers
	# the first request before the rest arrive) leaves the rest of that page unused
	# when the next write is larger than what is left of it.
	my $pending = 0;
	TestDaemon::poll_until(sub {
		my $buf = pack('L', 0);
		ioctl($rd, 0x541B, $buf);	# FIONREAD
		$pending = unpack('L', $buf);
		return $pending > 0;
	}, $T);
	cmp_ok($pending, '>', 0, "the FIFO ($cap bytes) holds lines: the writer is stalled");

	rename($fifo, "$fifo.1") or die "rename: $!";
	kill 'HUP', $r->{pid};
	sleep TestDaemon::slow(0.3);	# the loop handles the signal: a reopen is now requested
	TestDaemon::write_all($c, "GET /dev1/marker.fid HTTP/1.1\r\n\r\n");
	my $m = TestDaemon::read_response($c, timeout => $T);
	is($m && $m->{status}, 200, 'GET after SIGHUP answered while the log is stalled');
	sleep TestDaemon::slow(0.3);
	# un-stall: read the FIFO until the marker shows up somewhere
	my $stream = '';
	my $in_new = sub { (TestDaemon::slurp($fifo) // '') =~ m{ /dev1/marker\.fid } };
	TestDaemon::poll_until(sub {
		while (sysread($rd, my $b, 65536)) { $stream .= $b }
		return $stream =~ m{ /dev1/marker\.fid } || $in_new->();
	}, $T);
	my @heads = $stream =~ m{ HEAD /dev1/a\.fid 200 }g;
	ok(scalar @heads <= $n, 'the stalled lines come out of the old file (or were dropped)');
	ok(-f $fifo, 'SIGHUP: a regular file was created at the original path');
	ok($in_new->() && $stream !~ m{ /dev1/marker\.fid },
	   'the line of a request finished after SIGHUP is in the new file, not the old one')
		or diag('marker line went to ' . ($stream =~ /marker/ ? 'the old (renamed) file' : 'nowhere'));
	close $c;
	is($r->stop('QUIT'), 0, 'the daemon exits 0');
	close $rd;
}

# ---------------------------------------------------------------------------------------
# --accesslog=syslog starts and serves (what syslog does with the lines is not checked).
{
	my $s = TestDaemon->start(devices => [1], args => ['--accesslog=syslog']);
	$s->write_file('dev1/x.fid', 'x');
	my $r = $s->roundtrip("GET /dev1/x.fid HTTP/1.0\r\n\r\n", timeout => $T);
	is($r && $r->{status}, 200, '--accesslog=syslog: GET → 200');
	ok(!-e $s->path('syslog') && !-e 'syslog', '--accesslog=syslog: no file named "syslog"');
	is($s->stop('QUIT'), 0, '--accesslog=syslog: exits 0');
}

# the configuration-file key, and a file that cannot be opened
{
	my $dir = TestDaemon::new_tmpdir();
	my $c = TestDaemon->start(devices => [1], config => "accesslog = $dir/cf.log\n");
	$c->write_file('dev1/x.fid', 'x');
	my $r = $c->roundtrip("GET /dev1/x.fid HTTP/1.0\r\n\r\n", timeout => $T);
	is($r && $r->{status}, 200, 'accesslog = FILE in the config file: GET → 200');
	my $l = wait_lines("$dir/cf.log", 1);
	like($l->[0] // '', qr{^\S+ 127\.0\.0\.1:\d+ GET /dev1/x\.fid 200 \d+ }, '... logged to that file');
	is($c->stop('QUIT'), 0, '... exits 0');

	my ($code, undef, $err) = TestDaemon::run_cli(["--docroot=$dir", '--httplisten=127.0.0.1:'
		. TestDaemon::free_port(), "--accesslog=$dir/no/such/dir/x.log"]);
	is($code, 1, 'an access log that cannot be opened: exit 1 at startup');
	like($err, qr{accesslog=\Q$dir\E/no/such/dir/x\.log}, '... naming the file');
}

done_testing();
