# 11-config.t: the configuration file and its precedence over the command line
# (doc/evmogstored.8, CONFIGURATION).
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use POSIX qw(_exit);
use TestDaemon;

my $tmp = TestDaemon::new_tmpdir();
my $root = "$tmp/docroot";
mkdir $root or die "mkdir $root: $!";
mkdir "$root/dev1" or die;
my $n = 0;

sub config_file {
	my ($text) = @_;
	my $f = "$tmp/c" . ++$n . '.conf';
	open(my $fh, '>:raw', $f) or die "$f: $!";
	print $fh $text;
	close $fh or die;
	return $f;
}

sub get_root {
	my ($port) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
		or return '';
	print $s "GET / HTTP/1.0\r\n\r\n";
	my $r = TestDaemon::read_response($s);
	return $r ? $r->{status} // '' : '';
}

# Runs the binary with a config; returns (launcher exit code, launcher pid).
sub launch {
	my (@args) = @_;
	my $pid = fork // die;
	if ($pid == 0) {
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>', "$tmp/launch.out");
		open(STDERR, '>', "$tmp/launch.err");
		exec(TestDaemon::binary(), @args) or _exit(127);
	}
	waitpid($pid, 0);
	return (TestDaemon::decode_status($?), $pid);
}

# A6: sideband-only from a file without a final newline
{
	my $m = TestDaemon::free_port();
	my $d = TestDaemon->start(http => 0, mgmt => 0, no_docroot_arg => 1,
		config => "mgmtlisten = 127.0.0.1:$m\nmaxconns = 50\ndocroot = $root");
	$d->{mgmt_port} = $m;
	ok(TestDaemon::wait_port($m), 'A6 sideband from the config file listens');
	my $s = $d->connect('mgmt');
	print $s "HI\n";
	like(TestDaemon::read_avail($s, 2), qr/^ERROR: unknown command: HI\r?\n/,
	     'A6 sideband answers');
	close $s;
	is($d->stop('QUIT'), 0, 'A6 SIGQUIT: exit 0');
}

# A7: trailing comment, comment and blank lines
{
	my $h = TestDaemon::free_port();
	my $d = TestDaemon->start(http => 0, mgmt => 0,
		config => "# a comment\n\n   \t\n  # indented\n"
			  . "httplisten = 127.0.0.1:$h # foo bar\n");
	ok(TestDaemon::wait_port($h), 'A7 httplisten with a trailing comment listens');
	is(get_root($h), 200, 'A7 and serves');
	is($d->stderr, '', 'A7 no warnings for comments and blank lines');
	is($d->stop('QUIT'), 0, 'A7 SIGQUIT: exit 0');
}

# A8, A9: daemonize from the file, bare and "= value"
for my $case (['daemonize', 'A8 bare daemonize'], ['daemonize = 1', 'A9 daemonize = 1'],
	      ['daemonize=yes # on', 'A9 daemonize = yes']) {
	my ($line, $name) = @$case;
	my $h = TestDaemon::free_port();
	my $pidfile = "$tmp/d$n.pid";
	my $cf = config_file("httplisten = 127.0.0.1:$h\ndocroot = $root\n"
			     . "pidfile = $pidfile\n$line\n");
	my ($rc, $launcher) = launch("--config=$cf");
	is($rc, 0, "$name: launcher exits 0");
	is(get_root($h), 200, "$name: daemon serves");
	my $pid = TestDaemon::stop_daemon($pidfile);
	ok($pid && $pid != $launcher, "$name: daemon is another process");
}

for my $line ('daemonize = 0', 'daemonize = off', 'daemonize = false', 'daemonize = no') {
	my $d = TestDaemon->start(config => "$line\n");
	ok($d->alive, "A9 $line: stays in the foreground");
	is(get_root($d->{http_port}), 200, "A9 $line: serves");
	is($d->stop('QUIT'), 0, "A9 $line: SIGQUIT exit 0");
}

# A10: unknown keys and malformed lines warn and are ignored
{
	my $d = TestDaemon->start(config => "unknownkey = 5\nBadKey = 1\nthis is not a setting\n"
				  . "maxconns = 12x\niostat = 0\nfsync = none\nthreads = 4\n");
	is(get_root($d->{http_port}), 200, 'A10 starts despite unknown and malformed lines');
	my $err = $d->stderr;
	like($err, qr/line 1\b.*unknownkey/, 'A10 unknown key named with its line');
	like($err, qr/line 2\b.*BadKey/, 'malformed line named');
	like($err, qr/line 3\b.*this is not a setting/, 'malformed line quoted');
	like($err, qr/line 4\b.*maxconns=12x/, 'bad number in the file warns');
	unlike($err, qr/line [567]\b/, 'iostat, fsync, threads accepted');
	is($d->stop('QUIT'), 0, 'A10 SIGQUIT: exit 0');
}

# A11: parses but does not resolve: fatal even in the file
{
	my $cf = config_file("httplisten = 666.0.0.1:7500\ndocroot = $root\n");
	my ($rc, $out, $err) = TestDaemon::run_cli(["--config=$cf"]);
	is($rc, 1, 'A11 httplisten = 666.0.0.1:7500: exit 1');
	like($err, qr/666\.0\.0\.1:7500/, 'A11 names the address');
}

# a syntactically bad listen value in the file is ignored with a warning
{
	my $d = TestDaemon->start(mgmt => 0, config => "mgmtlisten = 666.0.0-1:7500\n");
	like($d->stderr, qr/mgmtlisten=666\.0\.0-1:7500/, 'bad-shape mgmtlisten warns');
	is(get_root($d->{http_port}), 200, 'bad-shape listen value ignored, daemon serves');
	is($d->stop('QUIT'), 0, 'bad-shape listen: SIGQUIT exit 0');
}

# A12: a NUL byte anywhere
for my $text ("pidfile = /foo\0bar\n", "docroot = $root\n# \0\n") {
	my $cf = config_file($text);
	my ($rc, $out, $err) = TestDaemon::run_cli(["--config=$cf",
		'--httplisten=127.0.0.1:' . TestDaemon::free_port()]);
	is($rc, 1, 'A12 NUL byte: exit 1');
	like($err, qr/failed to load config=\Q$cf\E: parser error/, 'A12 message');
}

# A13: get-only listener (only a file key)
{
	my $d = TestDaemon->start(httpget => 1);
	ok(!TestDaemon::refused($d->{httpget_port}), 'A13 httpgetlisten listens');
	is(get_root($d->{httpget_port}), 200, 'A13 GET on the get-only listener');
	my $r = $d->roundtrip("PUT /dev1/x HTTP/1.0\r\nContent-Length: 1\r\n\r\nx",
			      which => 'httpget');
	is($r && $r->{status}, 405, 'A13 PUT on the get-only listener: 405');
	is($d->stop('QUIT'), 0, 'A13 SIGQUIT: exit 0');
}
{
	my ($rc, $out, $err) = TestDaemon::run_cli(['--httpgetlisten=127.0.0.1:1']);
	is($rc, 64, 'httpgetlisten is not a command-line option');
}

# A14 and --multi
{
	my $a = config_file("httplisten = 127.0.0.1:" . TestDaemon::free_port() . "\n");
	my $b = config_file("httplisten = 127.0.0.1:" . TestDaemon::free_port() . "\n");
	my ($rc, $out, $err) = TestDaemon::run_cli(["--config=$a", "--config=$b",
						    "--docroot=$root"]);
	isnt($rc, 0, 'A14 two --config without --multi: fails');
	like($err, qr/--multi must be set if using multiple --config\/-c switches/,
	     'A14 message mentions --multi');
	($rc, $out, $err) = TestDaemon::run_cli(['-c', $a, '-c', $a, "--docroot=$root"]);
	isnt($rc, 0, 'A14 the same file twice: fails');
	# --multi itself: 13-multi.t
}

# A28: a relative pidfile from the file with daemonize
{
	my $cf = config_file("docroot = $root\npidfile = rel.pid\ndaemonize\n"
			     . "httplisten = 127.0.0.1:" . TestDaemon::free_port() . "\n");
	my ($rc, $out, $err) = TestDaemon::run_cli(["--config=$cf"],
						   env => { PATH => '/usr/bin:/bin' });
	isnt($rc, 0, 'A28 relative pidfile with daemonize: fails');
	like($err, qr/pidfile=rel\.pid must use an absolute path/, 'A28 names the pidfile');
	like($err, qr/relative paths are incompatible with --daemonize/, 'A28 incompatibility');
	TestDaemon::stop_daemon("$tmp/rel.pid");
}

# 3.5 precedence: listeners
{
	my ($h1, $h2, $m) = map { TestDaemon::free_port() } 1 .. 3;
	my $d = TestDaemon->start(http => 0, mgmt => 0, args => ["--httplisten=127.0.0.1:$h1"],
		config => "httplisten = 127.0.0.1:$h2\nmgmtlisten = 127.0.0.1:$m\n");
	ok(TestDaemon::wait_port($h1) && TestDaemon::wait_port($m),
	   '3.5 command-line httplisten and file mgmtlisten both listen');
	ok(TestDaemon::refused($h2), '3.5 the command line wins over the file httplisten');
	is($d->stop('QUIT'), 0, '3.5 listeners: SIGQUIT exit 0');
}

# 3.5 precedence: docroot and pidfile must agree
{
	my $h = TestDaemon::free_port();
	symlink($root, "$tmp/link") or die;
	my $d = TestDaemon->start(http => 0, mgmt => 0, no_docroot_arg => 1,
				  args => ["--httplisten=127.0.0.1:$h", "--docroot=$root"],
				  config => "docroot = $tmp/link/\n");
	ok(TestDaemon::wait_port($h), '3.5 same docroot through a symlink: starts');
	is($d->stop('QUIT'), 0, '3.5 same docroot: SIGQUIT exit 0');

	mkdir "$tmp/other" or die;
	my $cf = config_file("docroot = $tmp/other\n");
	my ($rc, $out, $err) = TestDaemon::run_cli(["--config=$cf", "--docroot=$root",
		"--httplisten=127.0.0.1:$h"]);
	is($rc, 1, '3.5 conflicting docroot: exit 1');
	like($err, qr/conflicting path values for docroot: `\Q$root\E' != `\Q$tmp\E\/other'/,
	     '3.5 conflicting docroot: message');

	$cf = config_file("pidfile = $tmp/a.pid\n");
	($rc, $out, $err) = TestDaemon::run_cli(["--config=$cf", "--docroot=$root",
		"--pidfile=$tmp/b.pid", "--httplisten=127.0.0.1:$h"]);
	is($rc, 1, '3.5 conflicting pidfile: exit 1');
	like($err, qr/conflicting path values for pidfile/, '3.5 conflicting pidfile: message');
	ok(!-e "$tmp/a.pid" && !-e "$tmp/b.pid", '3.5 conflicting pidfile: neither created');
}

# 3.5 maxconns are added, daemonize from either: both only have to be accepted here
{
	my $d = TestDaemon->start(args => ['--maxconns=100'], config => "maxconns = 100\n");
	is(get_root($d->{http_port}), 200, '3.5 maxconns in both places: starts');
	is($d->stop('QUIT'), 0, '3.5 maxconns: SIGQUIT exit 0');
}

# server, serverbin from the file
{
	my $cf = config_file("server = apache\ndocroot = $root\n");
	my ($rc, $out, $err) = TestDaemon::run_cli(["--config=$cf"]);
	is($rc, 1, 'server = apache in the file: exit 1');
	like($err, qr/E: 'server = apache' not understood/, 'server = apache: message');

	my $h = TestDaemon::free_port();
	my $d = TestDaemon->start(args => ["--httplisten=127.0.0.1:$h"], http => 0,
				  config => "server = none\nserverbin = /x/perlbal\n");
	ok(TestDaemon::refused($h), 'server = none in the file removes the HTTP listener');
	like($d->stderr, qr{W: serverbin = /x/perlbal ignored}, 'serverbin in the file warns');
	is($d->stop('QUIT'), 0, 'server = none: SIGQUIT exit 0');

	$d = TestDaemon->start(config => "server = perlbal\n");
	like($d->stderr, qr/W: using internal HTTP for 'server = perlbal' instead/,
	     'server = perlbal in the file warns');
	is(get_root($d->{http_port}), 200, 'server = perlbal in the file: serves');
	is($d->stop('QUIT'), 0, 'server = perlbal: SIGQUIT exit 0');
}

# a missing or unreadable file is fatal
{
	my ($rc, $out, $err) = TestDaemon::run_cli(["--config=$tmp/none.conf", "--docroot=$root"]);
	is($rc, 1, 'missing config: exit 1');
	like($err, qr/config=\Q$tmp\E\/none\.conf.*No such file/, 'missing config: message');
	($rc, $out, $err) = TestDaemon::run_cli(["--config=$tmp", "--docroot=$root"]);
	is($rc, 1, 'directory as config: exit 1');
}

done_testing();
