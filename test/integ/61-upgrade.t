# 61-upgrade.t: SIGUSR2 binary upgrade of a daemonized instance (doc/evmogstored.8,
# SIGUSR2), and a continuous load of GETs and PUTs through an upgrade.
#
# The daemon is started as "evmogstored" (argv[0] without a slash) with
# PATH=<directory of the binary>:/usr/bin:/bin, so the upgrade finds it on PATH.  Not run under
# valgrind: the re-executed binary would not be.
use strict;
use warnings;
use Test::More;
use Cwd qw(realpath);
use Errno qw(EINTR);
use File::Basename qw(basename dirname);
use IO::Handle;
use IO::Socket::INET;
use POSIX qw(WNOHANG _exit);
use Time::HiRes qw(time sleep);
use TestDaemon;

# 66-upgrade-workers.t runs this file again with a master and workers (S260)
my $WORKERS = $ENV{UPGRADE_WORKERS} // 0;
my $bin = realpath(TestDaemon::binary()) // die 'no binary';
my $name = basename($bin);
my $PATH = dirname($bin) . ':/usr/bin:/bin';
my $tmp = TestDaemon::new_tmpdir();
my $root = "$tmp/docroot";
mkdir $root or die;
mkdir "$root/dev1" or die;
{
	open(my $fh, '>:raw', "$root/dev1/f") or die;
	print $fh 'hello';
	close $fh or die;
}
my %started;	# every daemon pid seen, killed at the end

END {
	local ($?, $!);
	for my $pid (keys %started) {
		kill 'KILL', $pid if $pid != $$ && TestDaemon::running($pid);
	}
}

# Never signal pid 0, 1 or ourselves when a pid could not be read.
# kill(); for STOP, also waits until every thread of $pid has stopped: a thread running on
# another CPU when kill() returns (with --loops, one of several) may still accept first.
sub signal {
	my ($sig, $pid) = @_;
	return 0 unless $pid && $pid > 1 && $pid != $$;
	my $n = kill $sig, $pid;
	TestDaemon::poll_until(sub { all_stopped($pid) }, TestDaemon::slow(5)) if $n && $sig eq 'STOP';
	return $n;
}

# Whether every thread of $pid is stopped (state T) or gone.
sub all_stopped {
	my ($pid) = @_;
	opendir(my $dh, "/proc/$pid/task") or return 1;
	for my $t (grep { /^\d+$/ } readdir $dh) {
		my $st = TestDaemon::slurp("/proc/$pid/task/$t/stat") // next;
		return 0 unless $st =~ /\) ([TtZX]) /;
	}
	return 1;
}

# The process and, with --worker-processes, its workers (children other than iostat).
sub family {
	my ($pid) = @_;
	my @f = ($pid);
	return @f unless $WORKERS && $pid;
	for my $stat (glob '/proc/[0-9]*/stat') {
		my $c = TestDaemon::slurp($stat) // next;
		my ($me, $rest) = $c =~ /^(\d+) \(.*\) (.*)/s or next;
		my $ppid = (split ' ', $rest)[1];
		push @f, $me if $ppid == $pid && $c =~ /^\d+ \(evmogstored\)/;
	}
	return @f;
}

# Stop or continue the whole serving process (a master and its workers).
sub pause_all {
	my ($sig, $pid) = @_;
	signal($sig, $_) for family($pid);
}

sub pid_in {
	my ($f) = @_;
	my $c = TestDaemon::slurp($f) // return undef;
	return $c =~ /\A(\d+)\n\z/ ? $1 : undef;
}

sub track {
	my ($pid) = @_;
	$started{$pid} = 1 if $pid;
	return $pid;
}

# One request on a fresh connection; returns the response or an error string.
sub req {
	my ($port, $raw, %o) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
		or return "connect: $!";
	binmode $s;
	TestDaemon::write_all($s, $raw);
	my $r = TestDaemon::read_response($s, timeout => TestDaemon::slow(5), %o);
	return 'no response' unless $r;
	return 'incomplete: ' . $r->{raw} if $r->{incomplete};
	return $r;
}

sub get_ok {
	my ($port) = @_;
	my $r = req($port, "GET /dev1/f HTTP/1.0\r\n\r\n");
	return ref $r && ($r->{status} // 0) == 200 && $r->{body} eq 'hello';
}

sub get_root {
	my ($port) = @_;
	my $r = req($port, "GET / HTTP/1.0\r\n\r\n");
	return ref $r ? $r->{status} // 'garbled' : $r;
}

sub mgmt_ok {
	my ($port) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
		or return 0;
	binmode $s;
	TestDaemon::write_all($s, "size /dev1/f\r\n");
	my $buf = TestDaemon::rbuf($s);
	my $end = time + TestDaemon::slow(5);
	while (index($$buf, "\n") < 0) {
		TestDaemon::fill($s, $end) or last;
	}
	return $$buf eq "/dev1/f 5\r\n";
}

sub mgmt_send {
	my ($port, $line) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
		or return 0;
	TestDaemon::write_all($s, $line);
	return $s;
}

# Starts a daemonized instance; returns (launcher exit code, pid from the pid file).
sub launch {
	my ($pidfile, $h, $m) = @_;
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		eval {
			open(STDIN, '<', '/dev/null') or die;
			open(STDOUT, '>', "$pidfile.stdout") or die;
			open(STDERR, '>', "$pidfile.stderr") or die;
			$SIG{PIPE} = 'DEFAULT';
			$ENV{PATH} = $PATH;
			delete @ENV{qw(CMOGSTORED_FD LISTEN_FDS LISTEN_PID NOTIFY_SOCKET)};
			# no core files from the SIGABRT of S259; argv[0] is the bare name
			exec { '/bin/sh' } 'sh', '-c', 'ulimit -c 0; exec "$0" "$@"', $name,
				'--daemonize', "--pidfile=$pidfile", "--docroot=$root",
				"--httplisten=127.0.0.1:$h", "--mgmtlisten=127.0.0.1:$m",
				$WORKERS ? ("--worker-processes=$WORKERS") : ()
				or die "exec: $!";
		};
		print STDERR $@;
		_exit(127);
	}
	my $end = time + 10;
	my $rc;
	while (1) {
		my $r = waitpid($pid, WNOHANG);
		if ($r == $pid) {
			$rc = TestDaemon::decode_status($?);
			last;
		}
		if (time > $end) {
			kill 'KILL', $pid;
			waitpid($pid, 0);
			$rc = 'timeout';
			last;
		}
		sleep 0.02;
	}
	diag('launcher: ' . (TestDaemon::slurp("$pidfile.stderr") // '')) if $rc ne '0';
	return ($rc, track(pid_in($pidfile)));
}

# After SIGUSR2 to $old: waits for the new process to own the pid file; returns its pid.
sub upgraded {
	my ($pidfile, $old) = @_;
	my $new;
	my $ok = TestDaemon::poll_until(sub {
		my $o = pid_in("$pidfile.oldbin");
		$new = pid_in($pidfile);
		track($new);
		return defined $o && $o == $old && defined $new && $new != $old && TestDaemon::running($new);
	}, TestDaemon::slow(10));
	return $ok ? $new : undef;
}

# S258
{
	my $F = "$tmp/s258.pid";
	my ($h, $m) = (TestDaemon::free_port(), TestDaemon::free_port());
	my ($rc, $old) = launch($F, $h, $m);
	is($rc, 0, 'S258 daemonized with --pidfile (run as "evmogstored" found on PATH)');
	ok($old && TestDaemon::running($old), 'S258 pid file names the running daemon');
	is(get_root($h), 200, 'S258 GET / → 200 before the upgrade');
	signal('USR2', $old);
	my $new = upgraded($F, $old);
	ok($new, 'S258 SIGUSR2: F holds a new pid') or diag('F: ' . (TestDaemon::slurp($F) // 'none')
		. ' F.oldbin: ' . (TestDaemon::slurp("$F.oldbin") // 'none'));
	is(TestDaemon::slurp("$F.oldbin"), "$old\n", 'S258 F.oldbin holds the old pid');
	isnt($new // $old, $old, 'S258 the new pid differs from the old one');
	ok(TestDaemon::running($old), 'S258 the old process still runs');
	ok(TestDaemon::running($new), 'S258 the new process runs');
	if ($new) {
		# a master shows its role in front of its arguments, once it has forked its workers
		my $want = $WORKERS ? qr/\A\Q$name\E: master --daemonize/ : qr/\A\Q$name\E\0/;
		my $cmd = '';
		TestDaemon::poll_until(sub {
			$cmd = TestDaemon::slurp("/proc/$new/cmdline") // '';
			$cmd =~ $want;
		});
		like($cmd, $want, 'S258 the new process runs the program found on PATH (argv[0] kept)');
		my $env = TestDaemon::slurp("/proc/$new/environ") // '';
		like($env, qr/(?:\A|\0)CMOGSTORED_FD=\d+,\d+\0/, 'S258 the new process got CMOGSTORED_FD=<mgmt>,<http>');
		my $ppid = (split ' ', ((TestDaemon::slurp("/proc/$new/stat") // '') =~ /\) (.*)/s)[0] // '')[1];
		is($ppid, $old, 'S258 the new process is the old one\'s child (not daemonized again)');
	}
	# both serve: stop one, the other answers on the shared sockets
	pause_all('STOP', $new);
	ok(get_ok($h), 'S258 old process serves HTTP (new one stopped)');
	ok(mgmt_ok($m), 'S258 old process serves the sideband (new one stopped)');
	pause_all('CONT', $new);
	pause_all('STOP', $old);
	ok(get_ok($h), 'S258 new process serves HTTP (old one stopped)');
	ok(mgmt_ok($m), 'S258 new process serves the sideband (old one stopped)');
	pause_all('CONT', $old);

	signal('QUIT', $old);
	ok(TestDaemon::poll_until(sub { !TestDaemon::running($old) }, TestDaemon::slow(10)), 'S258 SIGQUIT to the old process: it exits');
	ok(TestDaemon::poll_until(sub { !-e "$F.oldbin" }, TestDaemon::slow(5)), 'S258 F.oldbin removed by the old process');
	is(TestDaemon::slurp($F), "$new\n", 'S258 F still holds the new pid');
	ok(TestDaemon::running($new), 'S258 the new process keeps running');
	is(get_root($h), 200, 'S258 GET / → 200 after the old one exited');
	my $n = grep { get_ok($h) } 1 .. 5;
	is($n, 5, 'S258 five more GETs → 200');
	ok(mgmt_ok($m), 'S258 sideband still answered');
	my $s = mgmt_send($m, "shutdown\r\n");
	ok($s, 'S258 sideband shutdown sent to the new process');
	ok(TestDaemon::poll_until(sub { !TestDaemon::running($new) }, TestDaemon::slow(10)), 'S258 sideband shutdown stops the new process');
	ok(!-e $F, 'S258 F removed by the new process');
	# workers of --worker-processes may still be closing their copies: poll
	ok(TestDaemon::poll_until(sub { TestDaemon::refused($h) }, TestDaemon::slow(10)),
	   'S258 nothing listens on H afterwards');
}

# S259: the new process dies (QUIT, KILL, ABRT in turn): the old one takes the pid file back.
{
	my $F = "$tmp/s259.pid";
	my ($h, $m) = (TestDaemon::free_port(), TestDaemon::free_port());
	my ($rc, $old) = launch($F, $h, $m);
	is($rc, 0, 'S259 daemonized with --pidfile');
	ok($old && TestDaemon::running($old), 'S259 daemon running');
	for my $sig (qw(QUIT KILL ABRT)) {
		signal('USR2', $old);
		my $new = upgraded($F, $old);
		ok($new, "S259 SIGUSR2: new process up (before SIG$sig)")
			or diag('F: ' . (TestDaemon::slurp($F) // 'none') . ' F.oldbin: '
				. (TestDaemon::slurp("$F.oldbin") // 'none'));
		next unless $new;
		signal($sig, $new);
		my $t0 = time;
		ok(TestDaemon::poll_until(sub { !-e "$F.oldbin" && (pid_in($F) // 0) == $old }, 30),
		   "S259 new one killed with SIG$sig: within 30 s F.oldbin gone and F holds the old pid again")
			or diag('F: ' . (TestDaemon::slurp($F) // 'none') . ' F.oldbin: '
				. (TestDaemon::slurp("$F.oldbin") // 'none'));
		is(TestDaemon::slurp($F), "$old\n", "S259 SIG$sig: F is exactly \"<old pid>\\n\"");
		ok(!TestDaemon::running($new), "S259 SIG$sig: the new process is gone");
		ok(TestDaemon::running($old), "S259 SIG$sig: the old process keeps running");
		ok(get_ok($h), "S259 SIG$sig: the old process still serves HTTP");
		ok(mgmt_ok($m), "S259 SIG$sig: the old process still serves the sideband");
	}
	signal('QUIT', $old);
	ok(TestDaemon::poll_until(sub { !TestDaemon::running($old) }, TestDaemon::slow(10)), 'S259 SIGQUIT then stops the old process');
	ok(!-e $F, 'S259 F removed at exit');
	ok(!-e "$F.oldbin", 'S259 no F.oldbin left');
	# workers of --worker-processes may still be closing their copies: poll
	ok(TestDaemon::poll_until(sub { TestDaemon::refused($h) }, TestDaemon::slow(10)),
	   'S259 nothing listens on H afterwards');
}

sub fd_count {
	my ($pid) = @_;
	opendir(my $dh, "/proc/$pid/fd") or return -1;
	my $n = grep { !/^\.\.?$/ } readdir $dh;
	return $n;
}

# The root of the load test below, made deterministic: connections the old process has
# accepted whose complete request is already waiting in the socket when SIGQUIT arrives are
# answered (graceful shutdown: a request in progress finishes).  Dropping them loses requests
# during an upgrade that the new process would otherwise have served.  One process only: it
# counts the descriptors of the process that accepts.
unless ($WORKERS) {
	my $F = "$tmp/race.pid";
	my ($h, $m) = (TestDaemon::free_port(), TestDaemon::free_port());
	my ($rc, $old) = launch($F, $h, $m);
	is($rc, 0, '9.3 pending requests: daemonized with --pidfile');
	signal('USR2', $old);
	my $new = upgraded($F, $old);
	ok($new, '9.3 pending requests: new process up');
	signal('STOP', $old);
	ok(TestDaemon::poll_until(sub { get_ok($h) }, TestDaemon::slow(5)), '9.3 pending requests: the new process serves');
	signal('CONT', $old);
	signal('STOP', $new);	# from here on only the old process accepts
	my $N = 10;
	my $base = fd_count($old);
	my @s = map {
		IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $h, Proto => 'tcp')
			// die "connect: $!"
	} 1 .. $N;
	ok(TestDaemon::poll_until(sub { fd_count($old) >= $base + $N }, TestDaemon::slow(5)),
	   "9.3 pending requests: the old process accepted $N connections");
	signal('STOP', $old);
	TestDaemon::write_all($_, "GET /dev1/f HTTP/1.0\r\n\r\n") for @s;	# waiting in the sockets
	signal('QUIT', $old);
	signal('CONT', $old);
	ok(TestDaemon::poll_until(sub { !TestDaemon::running($old) }, TestDaemon::slow(10)), '9.3 pending requests: old process exits');
	signal('CONT', $new);
	my $answered = grep {
		my $r = TestDaemon::read_response($_, timeout => TestDaemon::slow(5));
		$r && ($r->{status} // 0) == 200 && $r->{body} eq 'hello';
	} @s;
	is($answered, $N, "9.3 pending requests: all $N requests received before SIGQUIT are answered");
	close $_ for @s;
	ok(mgmt_send($m, "shutdown\r\n"), '9.3 pending requests: sideband shutdown');
	ok(TestDaemon::poll_until(sub { !TestDaemon::running($new) }, TestDaemon::slow(10)), '9.3 pending requests: new process stops');
}

# Children for the load test: run $code, which returns a report line.
sub child {
	my ($code) = @_;
	pipe(my $r, my $w) or die;
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		close $r;
		$w->autoflush(1);
		my $line = eval { $code->() } // "error $@";
		$line =~ s/\n/ /g;
		print $w "$line\n";
		_exit(0);
	}
	close $w;
	return { pid => $pid, rep => $r };
}

sub child_report {
	my ($c, $timeout) = @_;
	my $rin = '';
	vec($rin, fileno($c->{rep}), 1) = 1;
	my $end = time + $timeout;
	my $line = '';
	while ((my $left = $end - time) > 0) {
		my $n = select(my $rout = $rin, undef, undef, $left);
		next if $n < 0 && $! == EINTR;
		last if $n <= 0;
		last unless sysread($c->{rep}, $line, 4096, length $line);
		last if $line =~ /\n\z/;
	}
	kill 'KILL', $c->{pid};
	waitpid($c->{pid}, 0);
	chomp $line;
	return $line;
}

# Load: GETs and PUTs from two processes, through SIGUSR2 and SIGQUIT of the old process.
{
	my $F = "$tmp/load.pid";
	my ($h, $m) = (TestDaemon::free_port(), TestDaemon::free_port());
	my ($rc, $old) = launch($F, $h, $m);
	is($rc, 0, '9.3 load: daemonized with --pidfile');
	my $body = join('', map { chr(65 + $_ % 26) } 0 .. 4095);
	{
		open(my $fh, '>:raw', "$root/dev1/g.fid") or die;
		print $fh $body;
		close $fh or die;
	}
	my $LOAD = 5;	# seconds
	my $deadline = time + $LOAD;
	my $getter = child(sub {
		my ($ok, $fail, $why) = (0, 0, '');
		while (time < $deadline) {
			my $r = req($h, "GET /dev1/g.fid HTTP/1.0\r\n\r\n");
			if (ref $r && ($r->{status} // 0) == 200 && $r->{body} eq $body) {
				$ok++;
			} else {
				$fail++;
				$why ||= sprintf('%.3f ', $LOAD - ($deadline - time))
					. (ref $r ? "status " . ($r->{status} // '?') : $r);
			}
		}
		return "ok=$ok fail=$fail $why";
	});
	my $putter = child(sub {
		my ($ok, $fail, $why, $i) = (0, 0, '', 0);
		while (time < $deadline) {
			$i++;
			my $b = "put $i\n" x 100;
			my $r = req($h, "PUT /dev1/p$i.fid HTTP/1.0\r\nContent-Length: "
				    . length($b) . "\r\n\r\n$b");
			if (ref $r && ($r->{status} // 0) == 201) {
				$ok++;
			} else {
				$fail++;
				$why ||= sprintf('%.3f #%d ', $LOAD - ($deadline - time), $i)
					. (ref $r ? "status " . ($r->{status} // '?') : $r);
			}
		}
		return "ok=$ok fail=$fail n=$i $why";
	});
	sleep 1;	# the load is the subject: let it run before the upgrade
	signal('USR2', $old);
	my $new = upgraded($F, $old);
	ok($new, '9.3 load: SIGUSR2 → new process up under load');
	sleep 1;	# both processes serve the load for a while
	signal('QUIT', $old);
	ok(TestDaemon::poll_until(sub { !TestDaemon::running($old) }, TestDaemon::slow(10)),
	   '9.3 load: SIGQUIT → old process exits under load');
	ok(time < $deadline, '9.3 load: upgrade done while the load still runs');
	my $g = child_report($getter, $LOAD + 20);
	my $p = child_report($putter, $LOAD + 20);
	like($g, qr/^ok=\d+ fail=0 /, '9.3 load: 0 failed GETs through upgrade and SIGQUIT of the old process')
		or diag("GET client: $g");
	like($p, qr/^ok=\d+ fail=0 /, '9.3 load: 0 failed PUTs through upgrade and SIGQUIT of the old process')
		or diag("PUT client: $p");
	my ($gok) = $g =~ /^ok=(\d+)/;
	my ($pok, $pn) = $p =~ /^ok=(\d+) fail=\d+ n=(\d+)/;
	cmp_ok($gok // 0, '>=', 50, "9.3 load: GET client made progress (" . ($gok // 0) . " requests)");
	cmp_ok($pok // 0, '>=', 50, "9.3 load: PUT client made progress (" . ($pok // 0) . " requests)");
	my $bad = 0;
	for my $i (1 .. ($pn // 0)) {
		my $c = TestDaemon::slurp("$root/dev1/p$i.fid");
		$bad++ unless defined $c && $c eq "put $i\n" x 100;
	}
	is($bad, 0, '9.3 load: every PUT file holds what was sent');
	ok(TestDaemon::running($new), '9.3 load: the new process still runs');
	is(TestDaemon::slurp($F), ($new // '') . "\n", '9.3 load: F holds the new pid');
	ok(mgmt_send($m, "shutdown\r\n"), '9.3 load: sideband shutdown');
	ok(TestDaemon::poll_until(sub { !TestDaemon::running($new) }, TestDaemon::slow(10)), '9.3 load: new process stops');
}

done_testing();
