# 13-multi.t: --multi with several --config files, one site each (behaviours A14-A17; doc/evmogstored.8, --multi):
# each docroot is served only by its own listeners, sideband and watch; the errors that
# make a set of files unusable; sideband shutdown on one site stops the daemon.
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(time);
use TestDaemon;

my $tmp = TestDaemon::new_tmpdir();
my $n = 0;

sub config_file {
	my ($text) = @_;
	my $f = "$tmp/c" . ++$n . '.conf';
	open(my $fh, '>:raw', $f) or die "$f: $!";
	print $fh $text;
	close $fh or die;
	return $f;
}

sub ask {
	my ($port, $line) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
		or return "connect: $!";
	TestDaemon::write_all($s, $line);
	return TestDaemon::read_line($s) // '';
}

sub get_status {
	my ($port, $path) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
		or return "connect: $!";
	TestDaemon::write_all($s, "GET $path HTTP/1.0\r\n\r\n");
	my $r = TestDaemon::read_response($s);
	return $r ? $r->{status} // '' : '';
}

# One watch round: the device ids it lists.
sub watch_ids {
	my ($port) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
		or return 'connect failed';
	TestDaemon::write_all($s, "watch\r\n");
	my $buf = '';
	my $end = time + TestDaemon::slow(10);
	while ($buf !~ /(?:^|\n)\.\n/ && time < $end) {
		$buf .= TestDaemon::read_avail($s, 0.2);
	}
	my ($round) = $buf =~ /((?:^|\n)(?:\d+\t[^\n]*\n)*\.\n)/ or return "no round: $buf";
	return join(',', $round =~ /^(\d+)\t/mg);
}

my $D = "$tmp/D";
mkdir $D or die;
for (qw(a a/dev123 b b/dev456)) {
	mkdir "$D/$_" or die;
}
my ($ha, $ma, $hb, $mb) = map { TestDaemon::free_port() } 1 .. 4;
my $A = config_file("docroot = $D/a\nhttplisten = 127.0.0.1:$ha\nmgmtlisten = 127.0.0.1:$ma\n");
my $B = config_file("docroot = $D/b\nhttplisten = 127.0.0.1:$hb\nmgmtlisten = 127.0.0.1:$mb\n");

# A15 - A17
{
	my $d = TestDaemon->start(http => 0, mgmt => 0, no_docroot_arg => 1, devices => [],
				  args => ['--multi', '--maxconns=100', "--config=$A", "--config=$B"]);
	ok(TestDaemon::wait_port($_), "--multi: port $_ listens") for $ha, $ma, $hb, $mb;
	ok(TestDaemon::poll_until(sub { -e "$D/a/dev123/usage" && -e "$D/b/dev456/usage" }),
	   '--multi: each site writes its usage file');
	like(ask($ma, "MD5 /dev123/usage\r\n"), qr{^/dev123/usage MD5=[0-9a-f]{32}\r\n\z},
	     'A15 site A sideband: MD5 of its own usage file');
	is(ask($ma, "MD5 /dev456/usage\r\n"), "/dev456/usage MD5=-1\r\n",
	   'A15 site A sideband: site B\'s file does not exist');
	like(ask($mb, "MD5 /dev456/usage\r\n"), qr{^/dev456/usage MD5=[0-9a-f]{32}\r\n\z},
	     'A15 site B sideband: MD5 of its own usage file');
	is(ask($mb, "MD5 /dev123/usage\r\n"), "/dev123/usage MD5=-1\r\n",
	   'A15 site B sideband: site A\'s file does not exist');
	is(watch_ids($ma), '123', 'A16 watch on A lists only device 123');
	is(watch_ids($mb), '456', 'A16 watch on B lists only device 456');
	is(get_status($ha, '/dev123/usage'), 200, 'A17 GET /dev123/usage on A → 200');
	is(get_status($hb, '/dev123/usage'), 404, 'A17 GET /dev123/usage on B → 404');
	is(get_status($ha, '/dev456/usage'), 404, 'A17 GET /dev456/usage on A → 404');
	is(get_status($hb, '/dev456/usage'), 200, 'A17 GET /dev456/usage on B → 200');
	is($d->stop('QUIT'), 0, '--multi: SIGQUIT → exit 0');
	ok(TestDaemon::refused($_), "--multi: port $_ closed afterwards") for $ha, $mb;
}

# sideband shutdown on one site stops the daemon
{
	my $d = TestDaemon->start(http => 0, mgmt => 0, no_docroot_arg => 1, devices => [],
				  args => ['--multi', "--config=$A", "--config=$B"]);
	ok(TestDaemon::wait_port($mb), '--multi shutdown: site B listens');
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $mb, Proto => 'tcp');
	TestDaemon::write_all($s, "shutdown\r\n");
	ok(TestDaemon::is_eof($s, TestDaemon::slow(10)), '--multi shutdown: EOF');
	ok(TestDaemon::poll_until(sub { !$d->alive }, TestDaemon::slow(10)), '--multi shutdown: the daemon exits');
	is($d->{status}, 0, '--multi shutdown: exit 0');
}

# the master raises the descriptor limit for the largest site, not just the first one
{
	my ($h1, $m1, $h2, $m2) = map { TestDaemon::free_port() } 1 .. 4;
	my $C = config_file("docroot = $D/a\nhttplisten = 127.0.0.1:$h1\nmgmtlisten = 127.0.0.1:$m1\nmaxconns = 100\n");
	my $E = config_file("docroot = $D/b\nhttplisten = 127.0.0.1:$h2\nmgmtlisten = 127.0.0.1:$m2\nmaxconns = 3000\n");
	my $d = TestDaemon->start(http => 0, mgmt => 0, no_docroot_arg => 1, devices => [],
				  wrap => ['sh', '-c', 'ulimit -Sn 256 && exec "$@"', 'sh'],
				  args => ['--multi', "--config=$C", "--config=$E"]);
	ok(TestDaemon::wait_port($h2), '--multi maxconns: second site listens');
	my $soft = 0;
	if (open(my $fh, '<', "/proc/$d->{pid}/limits")) {
		while (<$fh>) { $soft = $1 if /^Max open files\s+(\d+)/ }
	}
	SKIP: {
		# valgrind keeps setrlimit(RLIMIT_NOFILE) to itself: /proc shows its own limit
		skip('under valgrind: the descriptor limit is valgrind\'s', 1) if TestDaemon::valgrind();
		cmp_ok($soft, '>=', 3000, "--multi maxconns: the soft descriptor limit ($soft) fits the largest site's maxconns");
	}
	is($d->stop, 0, "--multi maxconns: exits 0 on QUIT");
}

# what makes a set of files unusable
{
	my $root = "$tmp/r";
	mkdir $root or die;
	my @cases = (
		[ ["--config=$A", "--config=$B"], qr/--multi must be set if using multiple --config/,
		  'A14 two --config without --multi' ],
		[ ['--multi', "--config=$A", "--config=$A"], qr/invalid \(or duplicate\) config=\Q$A\E/,
		  'the same file twice' ],
		[ ['--multi', "--config=$A", "--config=$B", "--docroot=$root"],
		  qr/--docroot may not be used with multiple --config files/, '--docroot with several files' ],
		[ ['--multi', "--config=$A", "--config=$B", '--httplisten=127.0.0.1:1'],
		  qr/--httplisten may not be used with multiple --config files/, '--httplisten with several files' ],
		[ ['--multi', "--config=$A", '--config=' . config_file("httplisten = 127.0.0.1:1\n")],
		  qr/no docroot in --config=/, 'a file without docroot' ],
		[ ['--multi', "--config=$A", '--config=' . config_file("docroot = $root\n")],
		  qr/no listeners in --config=/, 'a file without listeners' ],
		[ ['--multi', "--config=$A", '--config=' . config_file("docroot = $D/a\nhttplisten = 127.0.0.1:1\n")],
		  qr/docroot=.* is in two --config files/, 'two files with one docroot' ],
	);
	for my $c (@cases) {
		my ($args, $re, $name) = @$c;
		my ($rc, $out, $err) = TestDaemon::run_cli($args);
		is($rc, 1, "$name: exit 1");
		like($err, $re, "$name: message");
	}
}

done_testing;
