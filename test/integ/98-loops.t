# 98-loops.t: --loops=N: N event-loop threads serve HTTP, accepting from the shared
# listening sockets.  With --loops=2 and --loops=1: the loop threads exist (named loop1,
# loop2) or not; connections are spread over the loops (each loop's epoll instance, read
# from /proc/PID/fdinfo); many connections doing PUT and GET at once all succeed; the
# /metrics counters (requests, bytes, connections) add up across loops; SIGQUIT drains
# requests in progress on every loop, refuses new connections, and exits 0.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use TestDaemon;

my $CONNS = 24;
my $BODY = join('', map { chr(32 + $_ % 90) } 0 .. 65535);	# 64 KiB

# Names of the daemon's threads (/proc/PID/task/*/comm).
sub thread_names {
	my ($pid) = @_;
	opendir(my $dh, "/proc/$pid/task") or return ();
	my @names;
	for my $t (grep { /^\d+$/ } readdir $dh) {
		my $c = TestDaemon::slurp("/proc/$pid/task/$t/comm") // next;
		chomp $c;
		push @names, $c;
	}
	closedir $dh;
	return @names;
}

# For each epoll instance of the daemon (one per loop), how many client connections it
# watches: its registered descriptors (fdinfo "tfd:") that are sockets but not listeners.
sub conns_per_loop {
	my ($pid) = @_;
	my %listening;
	for my $f ("/proc/$pid/net/tcp", "/proc/$pid/net/tcp6") {
		for (split /\n/, TestDaemon::slurp($f) // '') {
			my @c = split ' ';
			$listening{ $c[9] } = 1 if @c > 9 && $c[3] eq '0A';
		}
	}
	my @counts;
	opendir(my $dh, "/proc/$pid/fd") or return ();
	for my $fd (grep { /^\d+$/ } readdir $dh) {
		next unless (readlink("/proc/$pid/fd/$fd") // '') eq 'anon_inode:[eventpoll]';
		my $n = 0;
		my $info = TestDaemon::slurp("/proc/$pid/fdinfo/$fd") // '';
		for my $tfd ($info =~ /^tfd:\s*(\d+)/mg) {
			my $l = readlink("/proc/$pid/fd/$tfd") // '';
			$n++ if $l =~ /^socket:\[(\d+)\]/ && !$listening{$1};
		}
		push @counts, $n;
	}
	closedir $dh;
	return @counts;
}

# GET /metrics on the status connection $st: { series => value }.
sub metrics {
	my ($st) = @_;
	TestDaemon::write_all($st, "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
	my $r = TestDaemon::read_response($st, timeout => TestDaemon::slow(5));
	my %m = (($r && $r->{body} // '') =~ /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/mg);
	return \%m;
}

# Reads one response from each socket; returns how many were $code with body $body.
sub read_all {
	my ($socks, $code, $body) = @_;
	my $ok = 0;
	for my $s (@$socks) {
		my $r = TestDaemon::read_response($s, timeout => TestDaemon::slow(10));
		$ok++ if $r && ($r->{status} // 0) == $code && (!defined $body || $r->{body} eq $body);
	}
	return $ok;
}

sub run_with {
	my ($loops) = @_;
	my $t = "--loops=$loops";
	my $d = TestDaemon->start(devices => [1], status => 1, args => [$t]);
	my @loop_threads;
	# each loop thread names itself as it starts
	TestDaemon::poll_until(sub {
		@loop_threads = sort grep { /^loop\d+$/ } thread_names($d->{pid});
		@loop_threads >= $loops;
	}, 3) if $loops > 1;
	is_deeply(\@loop_threads, [$loops > 1 ? map { "loop$_" } 1 .. $loops : ()],
		  "$t: loop threads: @loop_threads");

	# every connection PUTs then GETs at once, then a pipelined pair of GETs
	my @s = map { $d->connect } 1 .. $CONNS;
	for my $i (0 .. $#s) {
		TestDaemon::write_all($s[$i], "PUT /dev1/l/$i.fid HTTP/1.1\r\nHost: t\r\n"
				      . "Content-Length: " . length($BODY) . "\r\n\r\n$BODY");
	}
	is(read_all(\@s, 201), $CONNS, "$t: $CONNS concurrent 64 KiB PUTs → 201");
	TestDaemon::write_all($s[$_], "GET /dev1/l/$_.fid HTTP/1.1\r\nHost: t\r\n\r\n") for 0 .. $#s;
	is(read_all(\@s, 200, $BODY), $CONNS, "$t: $CONNS concurrent GETs → 200 with the body");
	for my $i (0 .. $#s) {
		my $g = "GET /dev1/l/$i.fid HTTP/1.1\r\nHost: t\r\n\r\n";
		TestDaemon::write_all($s[$i], $g . $g);
	}
	is(read_all(\@s, 200, $BODY) + read_all(\@s, 200, $BODY), 2 * $CONNS,
	   "$t: pipelined GETs → 200");

	# the connections are now idle: where do they live?
	my @per = grep { $_ > 0 } conns_per_loop($d->{pid});
	diag("$t: client connections per loop: @per");
	my $total = 0;
	$total += $_ for @per;
	is($total, $CONNS, "$t: every idle connection is watched by one loop");
	# a loop with two connections more than another lets it accept (the balance)
	is(scalar(@per), $loops, "$t: connections are spread over the $loops loop(s)");

	# /metrics sums every loop
	my ($m, $st) = (undef, $d->connect('status'));
	TestDaemon::poll_until(sub {
		$m = metrics($st);
		($m->{'evmogstored_connections{state="idle"}'} // 0) >= $CONNS;
	}, 5);
	is($m->{'evmogstored_http_requests_total{method="PUT",status="201"}'}, $CONNS,
	   "$t: requests_total{PUT,201} counts every loop's");
	is($m->{'evmogstored_http_requests_total{method="GET",status="200"}'}, 3 * $CONNS,
	   "$t: requests_total{GET,200} counts every loop's");
	cmp_ok($m->{evmogstored_http_received_bytes_total}, '>=', $CONNS * length($BODY),
	       "$t: received bytes include every PUT body");
	cmp_ok($m->{evmogstored_http_sent_bytes_total}, '>=', 3 * $CONNS * length($BODY),
	       "$t: sent bytes include every GET body");
	is($m->{'evmogstored_connections{state="open"}'}, $CONNS + 1,
	   "$t: connections{open}: ours and the status connection");
	is($m->{'evmogstored_connections{state="idle"}'}, $CONNS, "$t: connections{idle}");
	is($m->{evmogstored_connections_accepted_total}, $CONNS + 1,
	   "$t: connections_accepted_total: ours and the status connection");
	close $_ for @s, $st;

	# graceful shutdown: a PUT in progress on each of many connections
	@s = map { $d->connect } 1 .. $CONNS;
	TestDaemon::write_all($s[$_], "PUT /dev1/q/$_.fid HTTP/1.1\r\nHost: t\r\n"
			      . "Content-Length: 10\r\n\r\nhello") for 0 .. $#s;
	TestDaemon::poll_until(sub {
		my $n = 0;
		$n += $_ for conns_per_loop($d->{pid});
		$n >= $CONNS;
	}, 5);
	@per = grep { $_ > 0 } conns_per_loop($d->{pid});
	diag("$t: connections with a PUT in progress per loop: @per");
	is(scalar(@per), $loops, "$t: PUTs in progress on each of the $loops loop(s)");
	kill 'QUIT', $d->{pid};
	ok(TestDaemon::poll_until(sub { TestDaemon::refused($d->{http_port}) }, 5),
	   "$t: after SIGQUIT new connections are refused");
	TestDaemon::write_all($_, 'world') for @s;
	my $done = 0;
	for my $s (@s) {
		my $r = TestDaemon::read_response($s, timeout => TestDaemon::slow(10));
		$done++ if $r && ($r->{status} // 0) == 201 && TestDaemon::is_eof($s, 3);
	}
	is($done, $CONNS, "$t: all $CONNS PUTs in progress finish (201, then EOF)");
	is(scalar(grep { $d->read_file("dev1/q/$_.fid") eq 'helloworld' } 0 .. $#s), $CONNS,
	   "$t: and are stored");
	is($d->stop('QUIT'), 0, "$t: exits 0 once drained");
}

run_with(2);
run_with(1);

# a bad value is refused
my ($st, undef, $err) = TestDaemon::run_cli(['--loops=0', '--docroot=/nonexistent']);
is($st, 1, '--loops=0 is refused') or diag($err);
like($err, qr/failed to parse --loops=0 \(must be 1\.\.\d+\)/, '--loops=0: the message');
done_testing();
