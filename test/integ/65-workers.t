# 65-workers.t: --worker-processes: a master and its workers (S267, S268; doc/evmogstored.8,
# --worker-processes and SIGNALS): the fork tree and its titles, workers replaced when they
# die, signals to the master and to workers, sideband shutdown of the whole tree, the
# master's death, and usage files written by one process only.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use TestDaemon;

my $VG = TestDaemon::valgrind();

sub ppid_of {
	my ($pid) = @_;
	my $c = TestDaemon::slurp("/proc/$pid/stat") // return undef;
	my ($rest) = $c =~ /^\d+ \(.*\) (.*)/s or return undef;
	my ($state, $ppid) = split ' ', $rest;
	return $state eq 'Z' ? undef : $ppid;
}

# The master's workers: its children other than helpers (iostat runs through /bin/sh).
sub workers_of {
	my ($master) = @_;
	my @w;
	for my $stat (glob '/proc/[0-9]*/stat') {
		my ($pid) = $stat =~ m{/proc/(\d+)/} or next;
		my $ppid = ppid_of($pid) // next;
		next unless $ppid == $master;
		my $cmd = TestDaemon::slurp("/proc/$pid/cmdline") // next;
		push @w, $pid if $cmd =~ /worker\[\d+\]/ || ($VG && $cmd =~ /valgrind|evmogstored/);
	}
	return sort { $a <=> $b } @w;
}

sub running {
	my ($pid) = @_;
	return defined ppid_of($pid);
}

sub title {
	my ($pid) = @_;
	my $c = TestDaemon::slurp("/proc/$pid/cmdline") // '';
	$c =~ tr/\0/ /;
	$c =~ s/ +\z//;
	return $c;
}

# Whether process $pid holds $path open (not the renamed file that was there before).
sub readlink_has {
	my ($pid, $path) = @_;
	opendir(my $dh, "/proc/$pid/fd") or return 0;
	return scalar grep { (readlink("/proc/$pid/fd/$_") // '') eq $path } readdir $dh;
}

sub start_tree {
	my ($n, %o) = @_;
	my $extra = delete $o{extra} // [];
	my $d = TestDaemon->start(devices => [1], args => ["--worker-processes=$n", @$extra], %o);
	my @w;
	TestDaemon::poll_until(sub { @w = workers_of($d->{pid}); @w == $n }, TestDaemon::slow(10));
	return ($d, @w);
}

sub get_ok {
	my ($d) = @_;
	my $r = TestDaemon::read_response(do {
		my $s = $d->connect('http');
		TestDaemon::write_all($s, "GET /dev1/f HTTP/1.0\r\n\r\n");
		$s;
	});
	return $r && ($r->{status} // 0) == 200 && $r->{body} eq 'hello';
}

sub size_ok {
	my ($d) = @_;
	my $s = $d->connect('mgmt');
	TestDaemon::write_all($s, "size /dev1/f\r\n");
	return (TestDaemon::read_line($s) // '') eq "/dev1/f 5\r\n";
}

# the tree, its titles, and service from the workers
{
	my ($d, @w) = start_tree(2);
	is(scalar(@w), 2, 'fork tree: the master has two worker children');
	$d->write_file('dev1/f', 'hello');
	SKIP: {
		skip 'process titles not visible under valgrind', 3 if $VG;
		like(title($d->{pid}), qr/^evmogstored: master .*--worker-processes=2/,
		     'title: "evmogstored: master <args>"');
		my @t = sort map { title($_) } @w;
		like($t[0], qr/^evmogstored: worker\[0\]$/, 'title: "evmogstored: worker[0]"');
		like($t[1], qr/^evmogstored: worker\[1\]$/, 'title: "evmogstored: worker[1]"');
	}
	my $n = grep { get_ok($d) } 1 .. 20;
	is($n, 20, 'twenty GETs on fresh connections → 200');
	ok(size_ok($d), 'sideband answered');

	# S267: workers killed with QUIT, then KILL, are replaced by new pids
	for my $sig (qw(QUIT KILL)) {
		my $victim = $w[0];
		kill $sig, $victim;
		my @now;
		ok(TestDaemon::poll_until(sub {
			@now = workers_of($d->{pid});
			@now == 2 && !grep { $_ == $victim } @now;
		}, TestDaemon::slow(10)), "S267 worker killed with SIG$sig is replaced by a new pid")
			or diag("before @w, now @now");
		ok(!running($victim), "S267 SIG$sig: the old worker pid is gone");
		like($d->stderr, qr/worker\[\d\] PID:$victim died with status=\d+, respawning/,
		     "S267 SIG$sig: the master logs the respawn");
		@w = @now;
		ok(get_ok($d), "S267 SIG$sig: GET served by the workers after the restart");
	}

	# S267: SIGUSR2 to workers ten times changes nothing
	my $logged = length $d->stderr;
	for (1 .. 10) {
		kill 'USR2', $_ for @w;
	}
	ok(size_ok($d) && get_ok($d), 'S267 SIGUSR2 ×10 to workers: still serving');
	sleep 0.3;	# an upgrade or a restart would show within this time
	is_deeply([workers_of($d->{pid})], \@w, 'S267 SIGUSR2 ×10 to workers: same worker pids');
	unlike(substr($d->stderr, $logged), qr/upgrade|died/i, 'S267 SIGUSR2 ×10 to workers: no upgrade, no death');

	# S267: SIGQUIT to the master → master and workers exit 0
	is($d->stop('QUIT'), 0, 'S267 SIGQUIT to the master: exit 0');
	ok(!grep({ running($_) } @w), 'S267 SIGQUIT to the master: the workers are gone');
	my $err = $d->stderr;
	for my $pid (@w) {
		like($err, qr/PID:$pid exited with status=0\b/, "S267 worker $pid exited with status 0");
	}
}

# S268: sideband shutdown in a worker stops the whole tree
{
	my ($d, @w) = start_tree(2);
	my $m = $d->connect('mgmt');
	TestDaemon::write_all($m, "shutdown\r\n");
	ok(TestDaemon::is_eof($m, TestDaemon::slow(10)), 'S268 sideband shutdown → EOF');
	ok(TestDaemon::poll_until(sub { !$d->alive }, TestDaemon::slow(10)), 'S268 the master exits');
	is($d->{status}, 0, 'S268 master exit status 0');
	ok(TestDaemon::poll_until(sub { !grep { running($_) } @w }, 10), 'S268 all workers gone within 10 s');
}

# The configuration key, as cmogstored spells it
{
	my $d = TestDaemon->start(devices => [1], config => "worker_processes = 1\n");
	my @w;
	ok(TestDaemon::poll_until(sub { @w = workers_of($d->{pid}); @w == 1 }, TestDaemon::slow(10)),
	   'worker_processes = 1 in the configuration file: one worker');
	is($d->stop('QUIT'), 0, 'worker_processes = 1: exit 0');
}

# SIGTERM and SIGINT to the master: graceful, exit 0
for my $sig (qw(TERM INT)) {
	my ($d, @w) = start_tree(1);
	is($d->stop($sig), 0, "SIG$sig to the master: exit 0");
	ok(!grep({ running($_) } @w), "SIG$sig to the master: the worker is gone");
}

# Draining: the titles say "shutting down" while a request is in flight, which completes
{
	my ($d, @w) = start_tree(1);
	my $s = $d->connect('http');
	# a first answer proves a worker owns the connection (not still in the backlog)
	TestDaemon::write_all($s, "GET /dev1/none HTTP/1.1\r\nHost: t\r\n\r\n");
	my $r0 = TestDaemon::read_response($s);
	is($r0 && $r0->{status}, 404, 'draining: a first request on the connection answered');
	TestDaemon::write_all($s, 'GET /');
	sleep($VG ? 0.5 : 0.1);	# the worker reads the partial request (nothing to poll for)
	kill 'QUIT', $d->{pid};
	SKIP: {
		skip 'process titles not visible under valgrind', 2 if $VG;
		ok(TestDaemon::poll_until(sub { title($w[0]) =~ /^evmogstored: worker\[0\], shutting down$/ }, 5),
		   'draining: worker title "evmogstored: worker[0], shutting down"') or diag(title($w[0]));
		ok(TestDaemon::poll_until(sub { title($d->{pid}) =~ /^evmogstored: master .*, shutting down$/ }, 5),
		   'draining: master title ends with ", shutting down"') or diag(title($d->{pid}));
	}
	TestDaemon::write_all($s, "dev1/missing HTTP/1.1\r\nHost: t\r\n\r\n");
	my $r = TestDaemon::read_response($s);
	is($r && $r->{status}, 404, 'draining: the request in flight is answered');
	ok(TestDaemon::is_eof($s, 5), 'draining: then EOF');
	is($d->stop('QUIT'), 0, 'draining: exit 0');
}

# SIGHUP to the master reaches the workers: each reopens its access log (rotation)
{
	my $log = TestDaemon::new_tmpdir() . '/access.log';
	my ($d, @w) = start_tree(2, extra => ["--accesslog=$log"]);
	$d->write_file('dev1/f', 'hello');
	ok(get_ok($d), 'SIGHUP: GET before the rotation');
	ok(TestDaemon::poll_until(sub { -s $log }), 'SIGHUP: the access log has a line');
	rename($log, "$log.1") or die "rename: $!";
	kill 'HUP', $d->{pid};
	ok(TestDaemon::poll_until(sub { (grep { -e "/proc/$_/fd" && readlink_has($_, $log) } @w) == 2 }),
	   'SIGHUP to the master: both workers reopened the access log at its path');
	is_deeply([workers_of($d->{pid})], \@w, 'SIGHUP: no worker restarted');
	is($d->stop('QUIT'), 0, 'SIGHUP: exit 0');
}

# The master dies (KILL): its workers stop by themselves
{
	my ($d, @w) = start_tree(2);
	$d->kill_now;
	ok(TestDaemon::poll_until(sub { !grep { running($_) } @w }, TestDaemon::slow(10)),
	   'master killed: its workers exit');
}

# Usage files have one writer (the first worker, also once restarted).  The fault shim logs
# each rename of a usage temporary file with the pid that made it.
SKIP: {
	my $why = FaultShimReason();
	skip $why, 5 if $why;
	my ($d, @w) = start_tree(2, env => {
		MOG_DISK_USAGE_INTERVAL => 1, LD_PRELOAD => $ENV{FAULTSHIM},
		MOG_FAULT_PATH => '/usage.', MOG_FAULT_CALLS => 'renameat',
		MOG_FAULT_DELAY_MS => 1, MOG_FAULT_VERBOSE => 1 });
	my $renames = sub {
		my %by;
		my $err = $d->stderr;
		$by{$1}++ while $err =~ /faultshim\[(\d+)\]: renameat #\d+: delay/g;
		return \%by;
	};
	my $first = sub {
		my @p = $d->stderr =~ /worker\[0\] PID:(\d+) started/g;
		return $p[-1];
	};
	ok(TestDaemon::poll_until(sub { my $n = 0; $n += $_ for values %{ $renames->() }; $n >= 4 },
				  TestDaemon::slow(15)), 'usage: four refreshes written');
	my $w0 = $first->();
	is_deeply([keys %{ $renames->() }], [$w0], "usage: every rename by worker[0] (PID $w0)")
		or diag(explain($renames->()));
	kill 'KILL', $w0;
	my $new;
	ok(TestDaemon::poll_until(sub {
		$new = $first->();
		$new && $new != $w0 && ($renames->()->{$new} // 0) >= 2;
	}, TestDaemon::slow(15)), 'usage: the restarted worker[0] writes');
	is_deeply([sort { $a <=> $b } keys %{ $renames->() }], [sort { $a <=> $b } $w0, $new],
		  'usage: still no other writer') or diag(explain($renames->()));
	is($d->stop('QUIT'), 0, 'usage: exit 0');
}

sub FaultShimReason {
	require FaultShim;
	return FaultShim::skip_reason();
}

done_testing;
