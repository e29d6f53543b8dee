# 12-pidfile.t: the pid file (doc/evmogstored.8, --pidfile).
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use POSIX qw(_exit);
use TestDaemon;

my $tmp = TestDaemon::new_tmpdir();
my $root = "$tmp/docroot";
mkdir $root or die "mkdir $root: $!";
mkdir "$root/dev666" or die;
my $PATH = '/usr/local/bin:/usr/bin:/bin';

sub put_file {
	my ($f, $bytes) = @_;
	open(my $fh, '>:raw', $f) or die "$f: $!";
	print $fh $bytes;
	close $fh or die;
}

# A pid that names no process: spawn a child and reap it.
sub dead_pid {
	my $pid = fork // die;
	_exit(0) if $pid == 0;
	waitpid($pid, 0);
	return $pid;
}

# --daemonize with both listeners; returns the launcher's exit code.
sub daemonize {
	my ($pidfile, $h, $m) = @_;
	my ($rc, $out, $err) = TestDaemon::run_cli(['--daemonize', "--pidfile=$pidfile",
		"--docroot=$root", "--httplisten=127.0.0.1:$h", "--mgmtlisten=127.0.0.1:$m"],
		env => { PATH => $PATH });
	diag $err if $rc;
	return $rc;
}

sub kill_from {
	my ($pidfile) = @_;
	my $pid = TestDaemon::slurp($pidfile) // return;
	chomp $pid;
	return unless $pid =~ /^\d+$/ && $pid != $$ && TestDaemon::running($pid);
	kill 'KILL', $pid;
}

# B31, B32: the daemon's pid, then removed on SIGTERM
{
	my $f = "$tmp/b31.pid";
	my ($h, $m) = (TestDaemon::free_port(), TestDaemon::free_port());
	is(daemonize($f, $h, $m), 0, 'B31 --daemonize --pidfile: launcher exits 0');
	my $content = TestDaemon::slurp($f) // '';
	like($content, qr/^\d+\n\z/, 'B31 pid file holds "<pid>\n"');
	(my $pid = $content) =~ s/\n//;
	ok($pid && TestDaemon::running($pid), 'B31 that pid is running');
	ok(IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $h, Proto => 'tcp'),
	   'B31 the daemon accepts');
	SKIP: {
		skip 'no daemon pid', 2 unless $pid;
		kill 'TERM', $pid;
		ok(TestDaemon::poll_until(sub { !TestDaemon::running($pid) }, TestDaemon::slow(30)),
		   'B32 SIGTERM: daemon exits');
		ok(TestDaemon::poll_until(sub { !-e $f }), 'B32 SIGTERM: pid file removed');
	}
	kill_from($f);
}

# B33: a live owner; the file is left alone and nothing starts
my $b33root = "$tmp/b33root";
mkdir $b33root or die;
mkdir "$b33root/dev666" or die;
for my $owner ($$, 1) {
	my $f = "$tmp/b33.pid";
	put_file($f, "$owner\n");
	my $mtime = (stat $f)[9];
	my ($rc, $out, $err) = TestDaemon::run_cli(["--pidfile=$f", "--docroot=$b33root",
		'--httplisten=127.0.0.1:' . TestDaemon::free_port(),
		'--mgmtlisten=127.0.0.1:' . TestDaemon::free_port()]);
	isnt($rc, 0, "B33 pid $owner alive: fails");
	like($err, qr/already running on PID: $owner\b/, "B33 pid $owner: message");
	is(TestDaemon::slurp($f), "$owner\n", "B33 pid $owner: file unchanged");
	is((stat $f)[9], $mtime, "B33 pid $owner: file not rewritten");
	ok(!-e "$b33root/dev666/usage", "B33 pid $owner: no usage file written");
	unlink $f;
}

# same with --daemonize: the launcher reports it on the terminal
{
	my $f = "$tmp/b33d.pid";
	put_file($f, "$$\n");
	my ($rc, $out, $err) = TestDaemon::run_cli(['--daemonize', "--pidfile=$f",
		"--docroot=$root", '--httplisten=127.0.0.1:' . TestDaemon::free_port()],
		env => { PATH => $PATH });
	isnt($rc, 0, 'B33 --daemonize with a live owner: fails');
	like($err, qr/already running on PID: $$\b/, 'B33 --daemonize: message on stderr');
	is(TestDaemon::slurp($f), "$$\n", 'B33 --daemonize: file unchanged');
	unlink $f;
}

# B34: a dead owner; the file is taken over, and removed at exit
{
	my $f = "$tmp/b34.pid";
	my $dead = dead_pid();
	put_file($f, "$dead\n");
	my $d = TestDaemon->start(devices => [], args => ["--pidfile=$f"]);
	is(TestDaemon::poll_until(sub { TestDaemon::slurp($f) eq "$d->{pid}\n" }), 1,
	   'B34 stale pid: file rewritten with the new pid');
	is($d->stop('QUIT'), 0, 'B34 SIGQUIT: exit 0');
	ok(!-e $f, 'B34 pid file removed at exit');
}

# B35: no stale digits after a shorter pid
{
	my $f = "$tmp/b35.pid";
	put_file($f, "99999999\n");	# above any pid_max, so dead
	my ($h, $m) = (TestDaemon::free_port(), TestDaemon::free_port());
	is(daemonize($f, $h, $m), 0, 'B35 longer stale pid: starts');
	my $content = TestDaemon::slurp($f) // '';
	like($content, qr/^\d{1,7}\n\z/, 'B35 exactly "<newpid>\n", no stale digits');
	(my $pid = $content) =~ s/\n//;
	if ($pid && TestDaemon::running($pid)) {
		kill 'QUIT', $pid;
		ok(TestDaemon::poll_until(sub { !TestDaemon::running($pid) && !-e $f }, TestDaemon::slow(30)),
		   'B35 SIGQUIT: exits and removes the pid file');
	} else {
		fail('B35 daemon running');
	}
	kill_from($f);
}

# empty and unparsable files are taken over
for my $case (['', 'empty'], ["garbage\n", 'unparsable'], ["0\n", 'pid 0'],
	      ["-5\n", 'negative'], ["12 34\n", 'two numbers']) {
	my ($text, $name) = @$case;
	my $f = "$tmp/take.pid";
	put_file($f, $text);
	my $d = TestDaemon->start(devices => [], args => ["--pidfile=$f"]);
	is(TestDaemon::poll_until(sub { TestDaemon::slurp($f) eq "$d->{pid}\n" }), 1,
	   "$name pid file: reused");
	is($d->stop('QUIT'), 0, "$name pid file: SIGQUIT exit 0");
	ok(!-e $f, "$name pid file: removed at exit");
}

# a pid file created by the daemon
{
	my $f = "$tmp/new.pid";
	my $d = TestDaemon->start(devices => [], args => ["--pidfile=$f"]);
	is(TestDaemon::poll_until(sub { (TestDaemon::slurp($f) // '') eq "$d->{pid}\n" }), 1,
	   'new pid file: created with the pid');
	my $mode = (stat $f)[2] & 07777;
	is($mode & 0111, 0, 'new pid file: not executable');
	is($d->stop('TERM'), 0, 'new pid file: SIGTERM exit 0');
	ok(!-e $f, 'new pid file: removed');
}

# a write failure is logged, not fatal
SKIP: {
	skip '/dev/full not writable', 3 unless -c '/dev/full' && -w '/dev/full';
	my $d = TestDaemon->start(devices => [], args => ['--pidfile=/dev/full']);
	like(TestDaemon::poll_until(sub { $d->stderr }),
	     qr{failed to write pidfile\(/dev/full\): .*\. continuing\.\.\.},
	     'pid file write failure: logged');
	ok($d->alive, 'pid file write failure: keeps running');
	is($d->stop('QUIT'), 0, 'pid file write failure: SIGQUIT exit 0');
}

# a pid file in a missing directory is fatal before anything starts
{
	my ($rc, $out, $err) = TestDaemon::run_cli(["--pidfile=$tmp/no/such/dir/x.pid",
		"--docroot=$root", '--httplisten=127.0.0.1:' . TestDaemon::free_port()]);
	is($rc, 1, 'pid file in a missing directory: exit 1');
	like($err, qr{pidfile\(\Q$tmp\E/no/such/dir/x\.pid\)}, 'names the pid file');
}

done_testing();
