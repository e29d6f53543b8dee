# 62-inherit.t: inherited listening sockets, CMOGSTORED_FD and LISTEN_FDS/LISTEN_PID
# (doc/evmogstored.8, ENVIRONMENT).
use strict;
use warnings;
use Test::More;
use Fcntl qw(F_GETFD F_SETFD FD_CLOEXEC);
use IO::Socket::INET;
use POSIX qw(WNOHANG _exit dup2);
use Time::HiRes qw(time sleep);
use TestDaemon;

sub listener {
	my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp',
				      Listen => 128, ReuseAddr => 1) or die "listen: $!";
	return $l;
}

# Keep $fh open across exec.
sub inheritable {
	my ($fh) = @_;
	my $flags = fcntl($fh, F_GETFD, 0) // die "F_GETFD: $!";
	fcntl($fh, F_SETFD, $flags & ~FD_CLOEXEC) // die "F_SETFD: $!";
}

sub get_status {
	my ($port, $method) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
		or return "connect: $!";
	binmode $s;
	TestDaemon::write_all($s, "$method / HTTP/1.0\r\n\r\n");
	my $r = TestDaemon::read_response($s, head => $method eq 'HEAD',
					  timeout => TestDaemon::slow(5));
	return $r ? $r->{status} // 'garbled' : 'no response';
}

my $bin = TestDaemon::binary();
my $tmp = TestDaemon::new_tmpdir();
my $root = "$tmp/docroot";
mkdir $root or die;
mkdir "$root/dev1" or die;

# S261: the first socket serves HTTP, the second (unconfigured) one is closed by the daemon.
{
	my $a = listener();
	my $b = listener();
	my ($pa, $pb) = ($a->sockport, $b->sockport);
	my $fds = fileno($a) . ',' . fileno($b);
	my $d = TestDaemon->start(http => 0, args => ["--httplisten=127.0.0.1:$pa"],
				  env => { CMOGSTORED_FD => $fds },
				  setup => sub { inheritable($a); inheritable($b) });
	$d->{http_port} = $pa;
	is(get_status($pa, 'GET'), 200, 'S261 GET / on the inherited socket → 200');
	is(get_status($pa, 'HEAD'), 200, 'S261 HEAD / on the inherited socket → 200');
	close $a;
	# our copy of the first socket is gone: the daemon still serves on it
	is(get_status($pa, 'GET'), 200, 'S261 still served once the test closes its copy');
	close $b;
	ok(TestDaemon::poll_until(sub { TestDaemon::refused($pb) }, TestDaemon::slow(3)),
	   'S261 unmatched inherited socket closed by the daemon: connect refused');
	like($d->stderr, qr/closing unused inherited fd=\d+/, 'S261 closing the unused fd is logged');
	like($d->stderr, qr/inherited 127\.0\.0\.1:$pa on fd=\d+/, 'S261 the inherited socket is logged');
	is($d->stop('QUIT'), 0, 'S261 exit 0');
}

# S262: a pipe is not a socket
{
	pipe(my $r, my $w) or die;
	inheritable($r);
	my ($rc, undef, $err) = TestDaemon::run_cli(["--docroot=$root",
		'--httplisten=127.0.0.1:' . TestDaemon::free_port()],
		env => { CMOGSTORED_FD => fileno($r) });
	isnt($rc, 0, 'S262 CMOGSTORED_FD=<pipe> → non-zero exit');
	like($err, qr/getsockname.*failed/, 'S262 stderr matches getsockname.*failed');
	close $r;
	close $w;
}

# S263: a descriptor that is not open
{
	my ($rc, undef, $err) = TestDaemon::run_cli(["--docroot=$root",
		'--httplisten=127.0.0.1:' . TestDaemon::free_port()], env => { CMOGSTORED_FD => 666 });
	isnt($rc, 0, 'S263 CMOGSTORED_FD=666 (not open) → non-zero exit');
	like($err, qr/getsockname\(fd=666\) failed/, 'S263 getsockname(fd=666) failed');
}

# S264, S265 and the other parse errors of 9.1
{
	my $a = listener();
	my $pa = $a->sockport;
	inheritable($a);
	my $fd = fileno($a);
	my @args = ("--docroot=$root", "--httplisten=127.0.0.1:$pa");
	my ($rc, undef, $err) = TestDaemon::run_cli(\@args, env => { CMOGSTORED_FD => "$fd;" });
	isnt($rc, 0, 'S264 CMOGSTORED_FD="<fd>;" → non-zero exit');
	like($err, qr/invalid byte: 59\n?\z/, 'S264 stderr ends with "invalid byte: 59"');

	($rc, undef, $err) = TestDaemon::run_cli(\@args,
		env => { CMOGSTORED_FD => "$fd,1267650600228229401496703205376" });
	isnt($rc, 0, 'S265 CMOGSTORED_FD=<fd>,<2^100> → non-zero exit');
	like($err, qr/failed to parse/, 'S265 stderr contains "failed to parse"');

	($rc, undef, $err) = TestDaemon::run_cli(\@args, env => { CMOGSTORED_FD => "$fd,2147483648" });
	isnt($rc, 0, '9.1 CMOGSTORED_FD=<fd>,2^31 → non-zero exit');
	like($err, qr/inherited fd=2147483648 is too large/, '9.1 "inherited fd=2147483648 is too large"');

	open(my $dup, '+<&', $a) or die "dup: $!";
	inheritable($dup);
	($rc, undef, $err) = TestDaemon::run_cli(\@args,
		env => { CMOGSTORED_FD => "$fd," . fileno($dup) });
	isnt($rc, 0, '9.1 two descriptors bound to the same address → non-zero exit');
	like($err, qr/duplicate listener 127\.0\.0\.1:$pa on fd=\d+/, '9.1 "duplicate listener" logged');
	close $dup;
	close $a;
}

# Runs the daemon with $sock at descriptor 3, LISTEN_FDS=1 and LISTEN_PID=$listen_pid (undef:
# the daemon's own pid).  Returns (pid, stderr file).
sub spawn_fd3 {
	my ($sock, $listen_pid, @args) = @_;
	my $err = "$tmp/stderr." . int(rand(1e9));
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		eval {
			open(STDIN, '<', '/dev/null') or die;
			open(STDOUT, '>', '/dev/null') or die;
			open(STDERR, '>', $err) or die;
			$SIG{PIPE} = 'DEFAULT';
			delete $ENV{CMOGSTORED_FD};
			$ENV{LISTEN_PID} = $listen_pid // $$;
			$ENV{LISTEN_FDS} = 1;
			if (fileno($sock) != 3) {
				dup2(fileno($sock), 3) // die "dup2: $!";
			} else {
				inheritable($sock);
			}
			my @cmd = ((TestDaemon::valgrind() ? split(' ', $ENV{VALGRIND}) : ()), $bin, @args);
			exec { $cmd[0] } @cmd or die "exec: $!";
		};
		print STDERR $@;
		_exit(127);
	}
	return ($pid, $err);
}

sub reap {
	my ($pid, $sig) = @_;
	kill $sig, $pid if $sig;
	my $end = time + TestDaemon::slow(10);
	while (time < $end) {
		my $r = waitpid($pid, WNOHANG);
		return TestDaemon::decode_status($?) if $r == $pid;
		return -1 if $r < 0;
		sleep 0.02;
	}
	kill 'KILL', $pid;
	waitpid($pid, 0);
	return 'killed';
}

# S266: LISTEN_PID is the daemon's pid, the socket sits at descriptor 3.
{
	my $a = listener();
	my $pa = $a->sockport;
	my $pm = TestDaemon::free_port();
	my ($pid, $errf) = spawn_fd3($a, undef, "--docroot=$root", "--httplisten=127.0.0.1:$pa",
				     "--mgmtlisten=127.0.0.1:$pm");
	close $a;	# only the daemon holds it now
	ok(TestDaemon::wait_port($pm, TestDaemon::slow(10), sub { !waitpid($pid, WNOHANG) }),
	   'S266 daemon started') or diag(TestDaemon::slurp($errf));
	is(get_status($pa, 'GET'), 200, 'S266 LISTEN_PID=<daemon pid> LISTEN_FDS=1: GET / served on fd 3');
	like(TestDaemon::slurp($errf) // '', qr/inherited 127\.0\.0\.1:$pa on fd=3\b/,
	     'S266 fd 3 logged as inherited');
	is(reap($pid, 'QUIT'), 0, 'S266 exit 0');
	ok(TestDaemon::poll_until(sub { TestDaemon::refused($pa) }, 3), 'S266 socket closed after exit');
}

# LISTEN_PID names another process: both variables ignored, the daemon binds by itself.
{
	my $a = listener();
	my $pa = $a->sockport;
	my $ph = TestDaemon::free_port();
	my $pm = TestDaemon::free_port();
	my ($pid, $errf) = spawn_fd3($a, getppid() > 1 ? getppid() : 1, "--docroot=$root",
				     "--httplisten=127.0.0.1:$ph", "--mgmtlisten=127.0.0.1:$pm");
	ok(TestDaemon::wait_port($pm, TestDaemon::slow(10), sub { !waitpid($pid, WNOHANG) }),
	   '9.2 LISTEN_PID=<other pid>: daemon started') or diag(TestDaemon::slurp($errf));
	is(get_status($ph, 'GET'), 200, '9.2 LISTEN_PID=<other pid>: serves on the address it bound itself');
	my $err = TestDaemon::slurp($errf) // '';
	unlike($err, qr/inherited|closing unused/, '9.2 LISTEN_PID=<other pid>: fd 3 not treated as inherited');
	is(reap($pid, 'QUIT'), 0, '9.2 LISTEN_PID=<other pid>: exit 0');
	close $a;
}

# LISTEN_FDS with a matching pid but the socket's address not configured: closed as unused.
{
	my $a = listener();
	my $pa = $a->sockport;
	my $ph = TestDaemon::free_port();
	my $pm = TestDaemon::free_port();
	my ($pid, $errf) = spawn_fd3($a, undef, "--docroot=$root", "--httplisten=127.0.0.1:$ph",
				     "--mgmtlisten=127.0.0.1:$pm");
	close $a;
	ok(TestDaemon::wait_port($pm, TestDaemon::slow(10), sub { !waitpid($pid, WNOHANG) }),
	   '9.2 unmatched LISTEN_FDS socket: daemon started') or diag(TestDaemon::slurp($errf));
	is(get_status($ph, 'GET'), 200, '9.2 unmatched LISTEN_FDS socket: configured address served');
	ok(TestDaemon::poll_until(sub { TestDaemon::refused($pa) }, TestDaemon::slow(3)),
	   '9.2 unmatched LISTEN_FDS socket closed: connect refused');
	is(reap($pid, 'QUIT'), 0, '9.2 unmatched LISTEN_FDS socket: exit 0');
}

done_testing();
