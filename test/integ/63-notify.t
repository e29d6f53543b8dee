# 63-notify.t: sd_notify-style READY=1 / STOPPING=1 to $NOTIFY_SOCKET (socket activation
# without systemd; doc/evmogstored.8, NOTIFY_SOCKET).
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX qw(WNOHANG _exit);
use Socket qw(SOCK_DGRAM);
use File::Temp ();
use Time::HiRes qw(time sleep);
use TestDaemon;

my $bin = TestDaemon::binary();
my $tmp = TestDaemon::new_tmpdir();
my $root = "$tmp/docroot";
mkdir $root or die;
mkdir "$root/dev1" or die;
# sun_path holds 108 bytes: fall back to a short directory for the sockets
my $sockdir = length($tmp) < 80 ? $tmp : File::Temp::tempdir('evmog-XXXXXX', CLEANUP => 1, TMPDIR => 1);

# The next datagram within $timeout seconds, undef if none.
sub recv_dgram {
	my ($sock, $timeout) = @_;
	my $rin = '';
	vec($rin, fileno($sock), 1) = 1;
	my $end = time + $timeout;
	while ((my $left = $end - time) > 0) {
		my $n = select(my $rout = $rin, undef, undef, $left);
		next if $n < 0 && $!{EINTR};
		return undef if $n <= 0;
		my $buf;
		defined(recv($sock, $buf, 4096, 0)) or return undef;
		return $buf;
	}
	return undef;
}

# Datagrams until one matches $re (others are collected too); returns them all.
sub recv_until {
	my ($sock, $re, $timeout) = @_;
	my @got;
	my $end = time + $timeout;
	while ((my $left = $end - time) > 0) {
		my $d = recv_dgram($sock, $left) // last;
		push @got, $d;
		last if $d =~ $re;
	}
	return @got;
}

sub get_ok {
	my ($port) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
		or return 0;
	binmode $s;
	TestDaemon::write_all($s, "GET / HTTP/1.0\r\n\r\n");
	my $r = TestDaemon::read_response($s, timeout => TestDaemon::slow(5));
	return $r && ($r->{status} // 0) == 200;
}

sub spawn {
	my ($env, @args) = @_;
	my $err = "$tmp/stderr." . int(rand(1e9));
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		eval {
			open(STDIN, '<', '/dev/null') or die;
			open(STDOUT, '>', '/dev/null') or die;
			open(STDERR, '>', $err) or die;
			$SIG{PIPE} = 'DEFAULT';
			while (my ($k, $v) = each %$env) {
				if (defined $v) { $ENV{$k} = $v } else { delete $ENV{$k} }
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
	my ($pid, $timeout) = @_;
	my $end = time + $timeout;
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

# READY=1 once listening (nothing else waits for the ports), STOPPING=1 after SIGQUIT.
{
	my $path = "$sockdir/notify.sock";
	my $ns = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $path) or die "$path: $!";
	my ($h, $m) = (TestDaemon::free_port(), TestDaemon::free_port());
	my ($pid, $errf) = spawn({ NOTIFY_SOCKET => $path }, "--docroot=$root",
				 "--httplisten=127.0.0.1:$h", "--mgmtlisten=127.0.0.1:$m");
	my @got = recv_until($ns, qr/(?:^|\n)READY=1(?:\n|$)/, TestDaemon::slow(10));
	my ($ready) = grep { /(?:^|\n)READY=1(?:\n|$)/ } @got;
	ok($ready, 'notify: a datagram with READY=1 arrives')
		or diag('got: ' . join(' | ', @got) . "\nstderr: " . (TestDaemon::slurp($errf) // ''));
	$ready //= '';
	# READY=1 means listening: connect right away, no retries
	my $hs = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $h, Proto => 'tcp');
	ok($hs, 'notify: HTTP port accepts as soon as READY=1 arrived') or diag("connect: $!");
	my $ms = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $m, Proto => 'tcp');
	ok($ms, 'notify: sideband port accepts as soon as READY=1 arrived') or diag("connect: $!");
	close $hs if $hs;
	close $ms if $ms;
	like($ready, qr/(?:^|\n)MAINPID=$pid(?:\n|$)/, 'notify: READY datagram carries MAINPID=<daemon pid>');
	unlike(join('', @got), qr/STOPPING=1/, 'notify: no STOPPING=1 at startup');
	ok(get_ok($h), 'notify: GET / → 200');
	ok(!defined recv_dgram($ns, 0.2), 'notify: nothing more while running');
	kill 'QUIT', $pid;
	my @stop = recv_until($ns, qr/(?:^|\n)STOPPING=1(?:\n|$)/, TestDaemon::slow(10));
	ok((grep { /(?:^|\n)STOPPING=1(?:\n|$)/ } @stop), 'notify: STOPPING=1 after SIGQUIT')
		or diag('got: ' . join(' | ', @stop));
	is(reap($pid, TestDaemon::slow(10)), 0, 'notify: exit 0');
	close $ns;
	unlink $path;
}

# Abstract socket namespace ("@name")
{
	my $name = "evmog-notify-test-$$-" . int(rand(1e9));
	my $ns = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => "\0$name");
	SKIP: {
		skip "abstract unix sockets unavailable: $!", 2 unless $ns;
		my $d = TestDaemon->start(env => { NOTIFY_SOCKET => "\@$name" });
		my @got = recv_until($ns, qr/READY=1/, TestDaemon::slow(10));
		ok((grep { /(?:^|\n)READY=1(?:\n|$)/ } @got), 'notify: abstract "@name" socket gets READY=1')
			or diag('got: ' . join(' | ', @got));
		is($d->stop('TERM'), 0, 'notify: abstract socket: SIGTERM → exit 0');
	}
}

# STOPPING=1 also on SIGTERM and on sideband shutdown
{
	my $path = "$sockdir/notify2.sock";
	my $ns = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $path) or die "$path: $!";
	my $d = TestDaemon->start(env => { NOTIFY_SOCKET => $path });
	recv_until($ns, qr/READY=1/, TestDaemon::slow(10));
	my $m = $d->connect('mgmt');
	TestDaemon::write_all($m, "shutdown\r\n");
	my @stop = recv_until($ns, qr/STOPPING=1/, TestDaemon::slow(10));
	ok((grep { /(?:^|\n)STOPPING=1(?:\n|$)/ } @stop), 'notify: STOPPING=1 after sideband shutdown');
	ok(TestDaemon::poll_until(sub { !$d->alive }, TestDaemon::slow(10)), 'notify: sideband shutdown exits');
	is($d->{status}, 0, 'notify: exit 0');
	close $ns;
	unlink $path;
}

# NOTIFY_SOCKET unset: nothing breaks
{
	my $d = TestDaemon->start(env => { NOTIFY_SOCKET => undef });
	ok(get_ok($d->{http_port}), 'notify: NOTIFY_SOCKET unset: GET / → 200');
	is($d->stop('QUIT'), 0, 'notify: NOTIFY_SOCKET unset: exit 0');
}

# NOTIFY_SOCKET naming no socket, or not a path: the daemon still runs
for my $v ("$tmp/nonexistent.sock", 'relative.sock', '') {
	my $d = TestDaemon->start(env => { NOTIFY_SOCKET => $v });
	ok(get_ok($d->{http_port}), "notify: NOTIFY_SOCKET='$v': GET / → 200");
	is($d->stop('QUIT'), 0, "notify: NOTIFY_SOCKET='$v': exit 0");
}

done_testing();
