# 64-shutdown-large.t: graceful shutdown with a 256 MiB GET and a 256 MiB PUT in flight
# (S248 at a larger size, with an upload as well).
use strict;
use warnings;
use Test::More;
use Errno qw(EINTR EAGAIN);
use IO::Handle;
use IO::Socket::INET;
use POSIX qw(_exit);
use Socket qw(IPPROTO_TCP TCP_NODELAY);
use Time::HiRes qw(time sleep);
use TestDaemon;

my $SIZE = 256 * 1024 * 1024;
my $MiB = 1024 * 1024;
my $CHUNK = join('', map { sprintf("%07d\n", $_) } 0 .. $MiB / 8 - 1);	# 1 MiB pattern
length($CHUNK) == $MiB or die;

sub title {
	my ($pid) = @_;
	my $ps = `ps -o args= -p $pid 2>/dev/null` // '';
	my $cmd = TestDaemon::slurp("/proc/$pid/cmdline") // '';
	$cmd =~ tr/\0/ /;
	my $comm = TestDaemon::slurp("/proc/$pid/comm") // '';
	return "ps: $ps cmdline: $cmd comm: $comm";
}

# Reads until EOF, counting; returns (head, body bytes, last body byte, eof seen).
sub drain {
	my ($s, $idle) = @_;
	my $buf = ${ TestDaemon::rbuf($s) };
	${ TestDaemon::rbuf($s) } = '';
	my ($head, $n, $last) = (undef, 0, '');
	my $eof = 0;
	my $rin = '';
	vec($rin, fileno($s), 1) = 1;
	while (1) {
		if (!defined $head) {
			my $i = index($buf, "\r\n\r\n");
			if ($i >= 0) {
				$head = substr($buf, 0, $i + 4, '');
			}
		}
		if (defined $head && length $buf) {
			$n += length $buf;
			$last = substr($buf, -1);
			$buf = '';
		}
		my $r = select(my $rout = $rin, undef, undef, $idle);
		next if $r < 0 && $! == EINTR;
		last if $r <= 0;	# idle timeout
		my $got = sysread($s, $buf, 262144, length $buf);
		if (!defined $got) {
			next if $! == EINTR || $! == EAGAIN;
			last;
		}
		if ($got == 0) {
			$eof = 1;
			last;
		}
	}
	return ($head // $buf, $n, $last, $eof);
}

# Runs $code in a child: it reports lines on the returned reader and waits for one byte on
# the returned writer when it calls $wait.
sub child {
	my ($code) = @_;
	pipe(my $rep_r, my $rep_w) or die;
	pipe(my $go_r, my $go_w) or die;
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		close $rep_r;
		close $go_w;
		$rep_w->autoflush(1);
		my $ok = eval {
			$code->(sub { print $rep_w "@_\n" }, sub { sysread($go_r, my $b, 1) });
			1;
		};
		print $rep_w "error $@\n" unless $ok;
		_exit(0);
	}
	close $rep_w;
	close $go_r;
	$go_w->autoflush(1);
	return { pid => $pid, rep => $rep_r, go => $go_w };
}

# Next line from a child within $timeout seconds.
sub child_line {
	my ($c, $timeout) = @_;
	my $rin = '';
	vec($rin, fileno($c->{rep}), 1) = 1;
	my $end = time + $timeout;
	my $line = '';
	while ((my $left = $end - time) > 0) {
		my $n = select(my $rout = $rin, undef, undef, $left);
		next if $n < 0 && $! == EINTR;
		last if $n <= 0;
		my $r = sysread($c->{rep}, my $b, 1);
		last unless $r;
		$line .= $b;
		return $line if $b eq "\n";
	}
	return $line eq '' ? undef : $line;
}

sub child_done {
	my ($c) = @_;
	kill 'KILL', $c->{pid};
	waitpid($c->{pid}, 0);
}

# A 256 MiB GET and a 256 MiB PUT, both in flight when SIGQUIT arrives.
{
	my $d = TestDaemon->start(devices => [1]);
	my $big = $d->path('dev1/big.fid');
	open(my $fh, '>:raw', $big) or die "$big: $!";
	truncate($fh, $SIZE - 1) or die;
	sysseek($fh, $SIZE - 1, 0);
	syswrite($fh, '.') == 1 or die;
	close $fh or die;
	my $port = $d->{http_port};
	my $idle = TestDaemon::slow(30);

	my $get = child(sub {
		my ($say, $wait) = @_;
		my $s = $d->connect('http');
		TestDaemon::write_all($s, "GET /dev1/big.fid HTTP/1.1\r\nHost: t\r\n\r\n");
		TestDaemon::fill($s, time + TestDaemon::slow(10)) or die "no response\n";
		$say->('started');
		$wait->();
		my ($head, $n, $last, $eof) = drain($s, $idle);
		my ($status) = $head =~ m{^HTTP/1\.1 (\d{3})};
		my ($cl) = $head =~ /\r\nContent-Length: (\d+)\r\n/i;
		$say->(join(' ', 'get', $status // '-', $cl // '-', $n, unpack('H*', $last) || '-', $eof));
	});
	my $put = child(sub {
		my ($say, $wait) = @_;
		my $s = $d->connect('http');
		TestDaemon::write_all($s, "PUT /dev1/put.fid HTTP/1.1\r\nHost: t\r\n"
				      . "Content-Length: $SIZE\r\n\r\n");
		TestDaemon::write_all($s, $CHUNK) == $MiB or die "write: $!\n";
		$say->('started');
		$wait->();
		for my $i (2 .. $SIZE / $MiB) {
			TestDaemon::write_all($s, $CHUNK) == $MiB or die "write chunk $i: $!\n";
		}
		my $r = TestDaemon::read_response($s, timeout => $idle);
		my $eof = TestDaemon::is_eof($s, TestDaemon::slow(5)) ? 1 : 0;
		$say->(join(' ', 'put', ($r && $r->{status}) // '-', $eof));
	});
	is(child_line($get, TestDaemon::slow(10)), "started\n", 'S248 256 MiB GET: transfer started');
	is(child_line($put, TestDaemon::slow(10)), "started\n", 'S248 256 MiB PUT: first MiB of the body sent');
	# let the daemon take in what the PUT sent: nothing to poll, the daemon answers nothing yet
	sleep(TestDaemon::valgrind() ? 0.5 : 0.1);
	kill 'QUIT', $d->{pid};
	SKIP: {	# valgrind owns the process's argv area and name
		skip 'process title not visible under valgrind', 1 if TestDaemon::valgrind();
		ok(TestDaemon::poll_until(sub { title($d->{pid}) =~ /shutting down/ }, 3),
		   'S248 ps/cmdline/comm shows "shutting down" during the drain') or diag(title($d->{pid}));
	}
	ok(TestDaemon::poll_until(sub { TestDaemon::refused($d->{http_port}) }, TestDaemon::slow(2)),
	   'S248 new HTTP connections refused during the drain');
	ok(TestDaemon::poll_until(sub { TestDaemon::refused($d->{mgmt_port}) }, TestDaemon::slow(2)),
	   'S248 new sideband connections refused during the drain');
	ok($d->alive, 'S248 daemon still running with the GET and PUT in flight');
	print { $get->{go} } 'g';
	print { $put->{go} } 'g';
	my $pl = child_line($put, TestDaemon::slow(120)) // 'none';
	my $gl = child_line($get, TestDaemon::slow(120)) // 'none';
	chomp($pl, $gl);
	is($gl, "get 200 $SIZE $SIZE 2e 1",
	   'S248 GET across SIGQUIT: 200, Content-Length 268435456, every byte (last ".") then EOF');
	is($pl, 'put 201 1', 'S248 PUT across SIGQUIT: 201, then EOF');
	my $p = $d->path('dev1/put.fid');
	is(-s $p, $SIZE, 'S248 PUT file is 268435456 bytes');
	if (open(my $in, '<:raw', $p)) {
		my ($first, $lastm) = ('', '');
		sysread($in, $first, $MiB);
		sysseek($in, $SIZE - $MiB, 0);
		sysread($in, $lastm, $MiB);
		ok($first eq $CHUNK && $lastm eq $CHUNK, 'S248 PUT file content: first and last MiB as sent');
	} else {
		fail("S248 PUT file readable: $!");
	}
	ok(TestDaemon::poll_until(sub { !$d->alive }, TestDaemon::slow(10)), 'S248 daemon exits once both are done');
	is($d->{status}, 0, 'S248 exit status 0');
	ok(TestDaemon::refused($d->{http_port}), 'S248 nothing listens afterwards');
	child_done($_) for $get, $put;
}

# No clients: SIGQUIT → exit within 1 s (timing is the subject here).
for my $sig (qw(QUIT TERM INT)) {
	my $d = TestDaemon->start(devices => [1]);
	my $m = $d->connect('mgmt');	# an idle sideband connection does not hold it up
	my $h = $d->connect('http');
	close $m;
	close $h;
	my $t0 = time;
	kill $sig, $d->{pid};
	TestDaemon::poll_until(sub { !$d->alive }, TestDaemon::slow(5));
	my $dt = time - $t0;
	ok($dt < TestDaemon::slow(1), "12 no clients: exits within 1 s of SIG$sig")
		or diag(sprintf('took %.2f s', $dt));
	is($d->{status}, 0, "12 no clients: SIG$sig → exit 0");
}

# Idle clients still connected: closed at once, exit within 1 s.
{
	my $d = TestDaemon->start(devices => [1]);
	my $m = $d->connect('mgmt');
	my $h = $d->connect('http');
	TestDaemon::write_all($h, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
	is((TestDaemon::read_response($h) // {})->{status}, 200, '12 keep-alive GET / → 200');
	my $t0 = time;
	kill 'QUIT', $d->{pid};
	TestDaemon::poll_until(sub { !$d->alive }, TestDaemon::slow(5));
	my $dt = time - $t0;
	ok($dt < TestDaemon::slow(1), '12 idle keep-alive clients: exits within 1 s of SIGQUIT')
		or diag(sprintf('took %.2f s', $dt));
	is($d->{status}, 0, '12 idle keep-alive clients: exit 0');
	ok(TestDaemon::is_eof($h, 1), '12 idle HTTP client got EOF');
	ok(TestDaemon::is_eof($m, 1), '12 idle sideband client got EOF');
}

done_testing();
