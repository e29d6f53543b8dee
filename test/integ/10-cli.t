# 10-cli.t: command-line options, listener defaults and daemonizing (doc/evmogstored.8).
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use POSIX qw(_exit);
use Time::HiRes qw(time sleep);
use TestDaemon;

my $tmp = TestDaemon::new_tmpdir();
my $root = "$tmp/docroot";
mkdir $root or die "mkdir $root: $!";
mkdir "$root/dev666" or die;

# True if nothing on this machine listens on $port (we can bind it ourselves).
sub port_free {
	my ($port) = @_;
	my $l = IO::Socket::INET->new(LocalAddr => '0.0.0.0', LocalPort => $port, Proto => 'tcp',
				      Listen => 1, ReuseAddr => 1);
	return 0 unless $l;
	close $l;
	return 1;
}

sub get_root_ok {
	my ($d, $name) = @_;
	my $r = $d->roundtrip("GET / HTTP/1.0\r\n\r\n");
	is($r && $r->{status}, 200, "$name: GET / answers 200");
}

{
	my $d = TestDaemon->start(devices => [666], mgmt => 0, args => ['--maxconns=500']);
	get_root_ok($d, 'A1 --docroot --httplisten --maxconns=500');
	is($d->stop('QUIT'), 0, 'A1 SIGQUIT: exit 0');
}

{
	my $mgmt = TestDaemon::free_port();
	my $d = TestDaemon->start(devices => [666], mgmt => 0);
	$d->write_file('dev666/cmogstored.test', 'HI');
	ok(TestDaemon::refused($mgmt), 'A2 only --httplisten: no sideband listener');
	my $r = $d->roundtrip("GET /dev666/cmogstored.test HTTP/1.0\r\n\r\n");
	is($r && $r->{body}, 'HI', 'A2 only --httplisten: file served');
	$r = $d->roundtrip("GET /dev666/usage HTTP/1.0\r\n\r\n");
	is($r && $r->{status}, 404, 'A2 only --httplisten: no usage file');
	ok(!-e "$d->{docroot}/dev666/usage", 'A2 no usage file on disk');
	is($d->stop('QUIT'), 0, 'A2 SIGQUIT: exit 0');
}

SKIP: {
	skip 'A3/A4 need ports 7500 and 7501 free', 4 unless port_free(7500) && port_free(7501);
	my $d = TestDaemon->start(http => 0, mgmt => 1);
	ok(TestDaemon::refused(7500), 'A3 only --mgmtlisten: no default HTTP listener on 7500');
	is($d->stop('QUIT'), 0, 'A3 SIGQUIT: exit 0');

	$d = eval { TestDaemon->start(http => 0, mgmt => 0) };
	ok($d, 'A4 no listener configured: starts') or diag $@;
	SKIP: {
		skip 'A4 did not start', 1 unless $d;
		ok(TestDaemon::wait_port(7500) && TestDaemon::wait_port(7501),
		   'A4 no listener configured: 7500 and 7501 listen');
		$d->stop('QUIT');
	}
}

{
	my ($h, $m) = (TestDaemon::free_port(), TestDaemon::free_port());
	my $t0 = time;
	my $d = TestDaemon->start(http => 0, mgmt => 0, no_docroot_arg => 1,
		args => ['--skipconfig', "--httplisten=127.0.0.1:$h", "--mgmtlisten=127.0.0.1:$m",
			 '--maxconns=1000', "--docroot=$root"]);
	$d->{http_port} = $h;
	ok(TestDaemon::wait_port($h, 3), 'A5 MogileFS harness invocation accepts within 3 s');
	get_root_ok($d, 'A5');
	is($d->stop('QUIT'), 0, 'A5 SIGQUIT: exit 0');
}

{
	# "--opt value" as well as "--opt=value", and -s, -c
	my ($h, $m) = (TestDaemon::free_port(), TestDaemon::free_port());
	my $d = TestDaemon->start(http => 0, mgmt => 0, no_docroot_arg => 1,
		args => ['-s', '--httplisten', "127.0.0.1:$h", '--mgmtlisten', "127.0.0.1:$m",
			 '--docroot', $root, '--maxconns', '100', '--threads', '3',
			 '--slow-timeout', '5', '--fsync', 'none', '--noiostat']);
	$d->{http_port} = $h;
	ok(TestDaemon::wait_port($h) && TestDaemon::wait_port($m), '--opt value form starts');
	get_root_ok($d, '--opt value form');
	is($d->stop('QUIT'), 0, '--opt value form: SIGQUIT exit 0');
}

# A18: --server=none drops the HTTP listener even though it is configured
{
	my $h = TestDaemon::free_port();
	my $d = TestDaemon->start(http => 0,
				  args => ['--server=none', "--httplisten=127.0.0.1:$h"]);
	ok(TestDaemon::refused($h), 'A18 --server=none: HTTP port refuses');
	my $s = $d->connect('mgmt');
	print $s "HI\r\n";
	like(TestDaemon::read_avail($s, 2), qr/\n/, 'A18 --server=none: sideband answers');
	close $s;
	is($d->stop('QUIT'), 0, 'A18 SIGQUIT: exit 0');
}

# A19: perlbal is accepted with a warning and the internal server works
{
	my $d = TestDaemon->start(devices => [666], args => ['--server=perlbal']);
	like($d->stderr, qr/W: using internal HTTP for 'server = perlbal' instead/,
	     'A19 --server=perlbal warns');
	my $r = $d->roundtrip("PUT /dev666/foo HTTP/1.0\r\nContent-Length: 5\r\n\r\nBODY!");
	is($r && $r->{status}, 201, 'A19 PUT works');
	is(TestDaemon::poll_until(sub { $d->read_file('dev666/foo') }), 'BODY!', 'A19 PUT stored');
	is($d->stop('QUIT'), 0, 'A19 SIGQUIT: exit 0');
}

for my $srv (qw(apache lighttpd nginx)) {
	my ($rc, $out, $err) = TestDaemon::run_cli(["--server=$srv", "--docroot=$root",
		'--httplisten=127.0.0.1:' . TestDaemon::free_port()]);
	isnt($rc, 0, "A20 --server=$srv fails");
	like($err, qr/E: 'server = \Q$srv\E' not understood/, "A20 --server=$srv message");
}

# A21: usage errors are 64 with the usage on stderr
for my $args (['--bogus'], ['-x'], ['positional'], ["--docroot=$root", 'extra'],
	      ['--config'], ['--daemonize=1'], ['--version=1']) {
	my ($rc, $out, $err) = TestDaemon::run_cli($args);
	is($rc, 64, "A21 @$args: exit 64");
	like($err, qr/Usage:/, "A21 @$args: usage on stderr");
	is($out, '', "A21 @$args: nothing on stdout");
}

{
	my ($rc, $out, $err) = TestDaemon::run_cli(['--maxconns=12x', "--docroot=$root"]);
	is($rc, 1, 'A22 --maxconns=12x: exit 1');
	like($err, qr/failed to parse --maxconns=12x \(invalid character: x\)/, 'A22 message');
	($rc, $out, $err) = TestDaemon::run_cli(['--maxconns=99999999999999999999999']);
	is($rc, 1, '--maxconns overflowing: exit 1');
	like($err, qr/failed to parse --maxconns=/, '--maxconns overflowing: message');
}

{
	my ($rc, $out, $err) = TestDaemon::run_cli(["--docroot=$tmp/missing",
		'--httplisten=127.0.0.1:' . TestDaemon::free_port()]);
	is($rc, 1, 'A23 missing docroot: exit 1');
	like($err, qr/\S/, 'A23 missing docroot: says why');
}

for my $opt (qw(httplisten mgmtlisten)) {
	for my $bad ('localhost:7500', '666.0.0-1:7500', '127.0.0.1:', '127.0.0.1:65536') {
		my ($rc, $out, $err) = TestDaemon::run_cli(["--$opt=$bad", "--docroot=$root"]);
		is($rc, 1, "A24 --$opt=$bad: exit 1");
		like($err, qr/failed to parse \Q$opt=$bad\E/, "A24 --$opt=$bad: message");
	}
	my ($rc, $out, $err) = TestDaemon::run_cli(["--$opt=666.0.0.1:7500", "--docroot=$root"]);
	is($rc, 1, "--$opt=666.0.0.1:7500 (does not resolve): exit 1");
}

# A25-A27: --daemonize wants absolute paths everywhere, PATH included
{
	my $pidfile = "$tmp/a25.pid";
	my $good = '/usr/bin:/bin';
	for my $path ("$good:", ":$good", "/usr/bin::/bin", "$good:.", ".:$good", "bin:$good") {
		my ($rc, $out, $err) = TestDaemon::run_cli(['--daemonize', "--docroot=$root",
			"--pidfile=$pidfile", '--httplisten=127.0.0.1:' . TestDaemon::free_port()],
			env => { PATH => $path });
		isnt($rc, 0, "A25 PATH=$path: fails");
		like($err, qr/PATH environment contains relative path/,
		     "A25 PATH=$path: names PATH");
		like($err, qr/relative paths are incompatible with --daemonize/,
		     "A25 PATH=$path: incompatibility message");
		TestDaemon::stop_daemon($pidfile);
	}
	my ($rc, $out, $err) = TestDaemon::run_cli(['--daemonize', "--docroot=$root",
		"--pidfile=$pidfile"], env => { PATH => undef });
	isnt($rc, 0, 'A25 PATH unset: fails');
	like($err, qr/PATH environment must be set/, 'A25 PATH unset: message');
	TestDaemon::stop_daemon($pidfile);

	(my $rel = $root) =~ s{^/}{};
	($rc, $out, $err) = TestDaemon::run_cli(['--daemonize', "--docroot=$rel",
		"--pidfile=$pidfile"], env => { PATH => $good });
	isnt($rc, 0, 'A26 --daemonize --docroot=<relative>: fails');
	like($err, qr/docroot=\Q$rel\E must use an absolute path/, 'A26 names docroot');
	like($err, qr/relative paths are incompatible with --daemonize and SIGUSR2 upgrades/,
	     'A26 incompatibility message');
	TestDaemon::stop_daemon($pidfile);

	($rc, $out, $err) = TestDaemon::run_cli(['--daemonize', "--docroot=$root",
		'--pidfile=rel.pid'], env => { PATH => $good });
	isnt($rc, 0, '--daemonize --pidfile=<relative>: fails');
	like($err, qr/pidfile=rel\.pid must use an absolute path/, '--pidfile relative: message');

	open(my $fh, '>', "$tmp/a27.conf") or die;
	print $fh "docroot = $root\n";
	close $fh;
	require Cwd;
	my $cwd = Cwd::getcwd();
	chdir $tmp or die;	# the file exists: only its relative name is wrong
	($rc, $out, $err) = TestDaemon::run_cli(['-d', '--config=a27.conf',
		'--httplisten=127.0.0.1:' . TestDaemon::free_port()], env => { PATH => $good });
	chdir $cwd or die;
	isnt($rc, 0, 'A27 --daemonize --config=<relative>: fails');
	like($err, qr/config=a27\.conf must use an absolute path/, 'A27 names config');
	TestDaemon::stop_daemon($pidfile);
}

# A29: the launcher exits 0 only once the daemon (another process) accepts
{
	my $pidfile = "$tmp/a29.pid";
	my ($h, $m) = (TestDaemon::free_port(), TestDaemon::free_port());
	my $pid = fork // die;
	if ($pid == 0) {
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>', "$tmp/a29.out");
		open(STDERR, '>', "$tmp/a29.err");
		exec(TestDaemon::binary(), '--daemonize', "--docroot=$root", "--pidfile=$pidfile",
		     "--httplisten=127.0.0.1:$h", "--mgmtlisten=127.0.0.1:$m") or _exit(127);
	}
	waitpid($pid, 0);
	is($? >> 8, 0, 'A29 --daemonize: launcher exits 0');
	ok(!TestDaemon::refused($h) && !TestDaemon::refused($m), 'A29 ports accept as soon as the launcher is gone');
	my $dpid = TestDaemon::slurp($pidfile) // '';
	chomp $dpid;
	like($dpid, qr/^\d+$/, 'A29 pid file written');
	isnt($dpid, $pid, 'A29 the daemon is another process');
	ok($dpid && TestDaemon::running($dpid), 'A29 daemon alive');
	is(TestDaemon::slurp("$tmp/a29.err"), '', 'A29 nothing on stderr');
	TestDaemon::stop_daemon($pidfile);
	ok(!TestDaemon::running($dpid), 'A29 daemon gone after SIGQUIT') if $dpid;
}

{
	my ($rc, $out, $err) = TestDaemon::run_cli(['--version']);
	is($rc, 0, 'A30 --version: exit 0');
	like($out, qr/^evmogstored \d+\.\d+\S*\n\z/, 'A30 --version: one version line');
	($rc, $out) = TestDaemon::run_cli(['-V']);
	like($out, qr/^evmogstored \d/, 'A30 -V');
}

for my $h ('--help', '-?', '--usage') {
	my ($rc, $out, $err) = TestDaemon::run_cli([$h]);
	is($rc, 0, "$h: exit 0");
	is($err, '', "$h: nothing on stderr");
	for my $opt (qw(--daemonize --config --httplisten --mgmtlisten --docroot --maxconns
			--pidfile --server --skipconfig --multi --worker-processes --serverbin
			--iostat --noiostat --fsync --threads --slow-timeout --version --help
			--usage)) {
		like($out, qr/\Q$opt\E\b/, "$h lists $opt");
	}
}

# rejected and ignored options
{
	# --multi: 13-multi.t; --worker-processes=N itself: 65-workers.t
	my ($rc, $out, $err) = TestDaemon::run_cli(['--worker-processes=4294967296']);
	is($rc, 1, '--worker-processes > UINT_MAX: exit 1');
	like($err, qr/failed to parse --worker-processes=4294967296/, '> UINT_MAX: message');

	($rc, $out, $err) = TestDaemon::run_cli(['--worker-processes=1x']);
	like($err, qr/failed to parse --worker-processes=1x \(invalid character: x\)/,
	     '--worker-processes=1x: message');

	for my $bad ('--threads=0', '--threads=101', '--threads=x', '--fsync=always',
		     '--slow-timeout=0', '--slow-timeout=1s', '--maxconns=', '--docroot=') {
		($rc, $out, $err) = TestDaemon::run_cli([$bad, "--docroot=$root"]);
		is($rc, 1, "$bad: exit 1");
		like($err, qr/\Q$bad\E|needs a value/, "$bad: message names it");
	}
}

{
	my $d = TestDaemon->start(args => ['--serverbin=/usr/bin/perlbal', '--iostat',
		'--worker-processes=0', '--fsync=data', '--threads=100']);
	like($d->stderr, qr{W: serverbin = /usr/bin/perlbal ignored}, '--serverbin warns');
	get_root_ok($d, '--serverbin, --iostat, --worker-processes=0');
	is($d->stop('QUIT'), 0, '--serverbin etc.: SIGQUIT exit 0');
}

done_testing();
