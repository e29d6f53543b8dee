# 50-usage.t: devNNN/usage files and device discovery (doc/protocol.md, Usage files).
use strict;
use warnings;
use Test::More;
use File::Path qw(make_path);
use POSIX qw(_exit ceil);
use Time::HiRes qw(time sleep);
use TestDaemon;

my @KEYS = qw(available device disk time total use used);

# Parses usage text into a hash; undef unless it has exactly the seven lines in order.
sub parse_usage {
	my ($text) = @_;
	return undef unless defined $text && $text =~ /\n\z/;
	my @lines = split /\n/, $text;
	return undef unless @lines == 7;
	my %u;
	for my $i (0 .. 6) {
		my ($k, $v) = $lines[$i] =~ /^(\w+): (.+)$/ or return undef;
		return undef unless $k eq $KEYS[$i];
		$u{$k} = $v;
	}
	return \%u;
}

sub usage_format_ok {
	my ($text, $disk, $id) = @_;
	my @lines = split /\n/, $text // '', -1;
	is(scalar @lines, 8, "$id seven LF-terminated lines") or diag($text);
	my @re = (qr/^available: \d+$/, qr/^device: \/\S+$/, qr/^disk: \Q$disk\E$/, qr/^time: \d+$/,
		  qr/^total: \d+$/, qr/^use: \d+%$/, qr/^used: \d+$/);
	for my $i (0 .. 6) {
		like($lines[$i] // '', $re[$i], "$id line " . ($i + 1) . " is $KEYS[$i]");
	}
	unlike($text // '', qr/\r/, "$id no CR");
}

sub usage_of {
	my ($d, $n) = @_;
	return parse_usage($d->read_file("dev$n/usage"));
}

# R238, R244: the file appears promptly and is well formed.
my $d = TestDaemon->start(devices => [1, 666], env => { MOG_DISK_USAGE_INTERVAL => 1 });
{
	my $t0 = time;
	my $u = TestDaemon::poll_until(sub { usage_of($d, 666) }, TestDaemon::slow(1));
	ok($u, sprintf('R238 dev666/usage present %.2f s after the ports accept', time - $t0));
	my $text = $d->read_file('dev666/usage');
	usage_format_ok($text, $d->path('dev666'), 'R238 dev666/usage:');
	my $u1 = usage_of($d, 1);
	ok($u1, 'R238 dev1/usage present and parseable');
	is($u1 && $u1->{disk}, $d->path('dev1'), 'R238 dev1 disk is docroot/dev1');
	for my $k (@KEYS) {
		my $v = $u->{$k} // '';
		ok($v ne '' && $v !~ /: /, "R244 '$k' value non-empty and without ': '");
	}
	is((stat $d->path('dev666/usage'))[2] & 07777, 0666 & ~umask, 'R238 usage file mode is 0666 & ~umask');
	my @tmp = grep { /^usage\./ } map { s{.*/}{}r } glob($d->path('dev666') . '/usage*');
	is_deeply(\@tmp, [], 'R238 no usage.<pid> temporary file left behind');

	# R240
	my ($used, $avail, $total) = @$u{qw(used available total)};
	ok(abs($used + $avail - $total) <= 1, "R240 total ($total) = used ($used) + available ($avail)");
	my $use = $total ? ceil($used * 100 / $total) : 0;
	$use = 100 if $use > 100;
	is($u->{use}, "$use%", "R240 use = ceil(100*used/total) = $use%");
	ok($used > 0 && $total > 0, 'R240 used and total non-zero (the tracker needs both)');
	# compare with statvfs as df reports it (KiB), allowing for other writers on the disk
	my @df = split ' ', (`df -Pk '$d->{docroot}/dev666' 2>/dev/null` =~ /\n(.*)\n?\z/)[0] // '';
	SKIP: {
		skip 'df unavailable', 2 unless @df >= 4 && $df[1] =~ /^\d+$/;
		ok(abs($used - $df[2]) < 1024 * 1024, "R240 used ($used) close to df used ($df[2])");
		is($u->{device}, $df[0], "R238 device is the mount source ($df[0])")
			if $df[0] =~ m{^/};
	}
}

# R239, R243: with MOG_DISK_USAGE_INTERVAL=1 the time advances about every second.
{
	my $u0 = usage_of($d, 666);
	my $t0 = $u0->{time};
	my $t_start = time;
	my $u1 = TestDaemon::poll_until(sub { my $u = usage_of($d, 666); $u && $u->{time} > $t0 ? $u : undef },
					TestDaemon::slow(3));
	ok($u1, 'R243 time advances with MOG_DISK_USAGE_INTERVAL=1');
	my $u2 = $u1 && TestDaemon::poll_until(sub { my $u = usage_of($d, 666); $u && $u->{time} > $u1->{time} ? $u : undef },
					       TestDaemon::slow(3));
	ok($u2, sprintf('R243 and again (two refreshes in %.2f s)', time - $t_start));
	ok($u2 && $u2->{time} - $t0 <= 4, 'R243 about one refresh per second');
	ok($u2 && abs($u2->{time} - time) <= 2, 'R239 time is the current Unix time');
}

# R241: a tight-loop reader never sees a partial file.
{
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		my ($reads, $bad) = (0, 0);
		my $end = time + 1.5;
		my $p = $d->path('dev1/usage');
		while (time < $end) {
			my $text = TestDaemon::slurp($p);
			$reads++;
			$bad++ unless parse_usage($text);
		}
		_exit($bad ? 1 : ($reads > 100 ? 0 : 2));
	}
	# force extra rewrites: each `watch` refreshes every usage file
	my $end = time + 1.5;
	my $watches = 0;
	while (time < $end) {
		my $w = $d->connect('mgmt');
		TestDaemon::write_all($w, "watch\n");
		$watches++;
		sleep 0.02;
		close $w;
	}
	waitpid($pid, 0);
	is($? >> 8, 0, "R241 tight-loop reader never saw an empty or truncated file ($watches watch refreshes)");
}

# R242: a device created while running gets a usage file within one interval.
{
	mkdir $d->path('dev77') or die "mkdir: $!";
	my $t0 = time;
	my $u = TestDaemon::poll_until(sub { usage_of($d, 77) }, TestDaemon::slow(3));
	ok($u, sprintf('R242 new dev77 gets a usage file (%.2f s, interval 1 s)', time - $t0));
	is($u && $u->{disk}, $d->path('dev77'), 'R242 its disk line names dev77');
	mkdir $d->path('devx') or die;
	mkdir $d->path('dev1.old') or die;
	my $cur = usage_of($d, 77)->{time};
	TestDaemon::poll_until(sub { my $u = usage_of($d, 77); $u && $u->{time} > $cur }, TestDaemon::slow(4));
	ok(!-e $d->path('devx/usage') && !-e $d->path('dev1.old/usage'), 'R242 devx and dev1.old are not devices');
}

# GET /devN/usage over HTTP (the tracker monitor, mogadm check)
{
	my $s = $d->connect('http');
	TestDaemon::write_all($s, "GET /dev666/usage HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	my $r = TestDaemon::read_response($s);
	is($r && $r->{status}, 200, 'R245 GET /dev666/usage → 200');
	is($r && $r->{headers}{connection}, 'keep-alive', 'R245 HTTP/1.0 keep-alive honoured');
	my $u = parse_usage($r && $r->{body});
	ok($u, 'R245 body is a complete usage text');
	my %kv = ($r && $r->{body} // '') =~ /^(\w+)\s*:\s*(.+)$/mg;	# the tracker's parse
	ok($kv{used} && $kv{total}, 'R245 the tracker finds non-zero used and total');
	TestDaemon::write_all($s, "GET //dev1/usage HTTP/1.0\r\n\r\n");
	$r = TestDaemon::read_response($s);
	is($r && $r->{status}, 200, 'R245 GET //dev1/usage (mogadm check, double slash) → 200');
	ok(parse_usage($r && $r->{body}), 'R245 //dev1/usage body is complete');
}

# R245: chmod 000 on the usage file; GET still returns complete, current text.
{
	my $p = $d->path('dev1/usage');
	chmod 0000, $p or die "chmod: $!";
	my $now = time;
	my $r;
	my $ok = TestDaemon::poll_until(sub {
		$r = $d->roundtrip("GET /dev1/usage HTTP/1.1\r\nConnection: close\r\n\r\n");
		my $u = parse_usage($r && $r->{body});
		$u && $u->{time} >= int($now) + 1 ? $u : undef;
	}, TestDaemon::slow(4));
	is($r && $r->{status}, 200, 'R245 GET /dev1/usage after chmod 000 → 200');
	ok($ok, 'R245 after chmod 000 the body is a complete usage text whose time keeps advancing');
}

# R245 (in-memory copy): the file cannot be replaced (a non-empty directory sits at
# dev1/usage), yet GET /dev1/usage serves current numbers with Last-Modified = time.
{
	my $p = $d->path('dev1/usage');
	unlink $p;
	make_path("$p/blocker");
	my $now = time;
	my ($r, $u);
	my $ok = TestDaemon::poll_until(sub {
		$r = $d->roundtrip("GET /dev1/usage HTTP/1.1\r\nConnection: close\r\n\r\n");
		$u = parse_usage($r && $r->{body});
		$u && $u->{time} >= int($now) + 1 ? $u : undef;
	}, TestDaemon::slow(4));
	is($r && $r->{status}, 200, 'R245 usage file unwritable (directory in the way): GET → 200');
	ok($ok, 'R245 served from memory: complete text with an advancing time');
	my $lm = $r && $r->{headers}{'last-modified'};
	SKIP: {
		skip 'no Last-Modified or body', 1 unless $lm && $u;
		my $t = eval { require HTTP::Date; HTTP::Date::str2time($lm) };
		skip 'HTTP::Date unavailable', 1 unless defined $t;
		is($t, $u->{time}, 'R245 Last-Modified equals the time line');
	}
	my $h = $d->roundtrip("HEAD /dev1/usage HTTP/1.1\r\n\r\n", head => 1);
	is($h && $h->{status}, 200, 'R245 HEAD /dev1/usage → 200');
	is($h && $h->{headers}{'content-length'}, length($r->{body}), 'R245 HEAD length equals GET body length')
		if $r && $r->{body};
	ok(-d "$p/blocker", 'R245 the directory in the way is left alone');
	File::Path::remove_tree($p);
}

is($d->stop('QUIT'), 0, 'R238 exit status 0');

# HTTP-only daemon writes no usage file (doc/protocol.md, Usage files).
{
	my $h = TestDaemon->start(devices => [666], mgmt => 0, env => { MOG_DISK_USAGE_INTERVAL => 1 });
	sleep 1.5;	# the subject is that nothing appears over more than one interval
	ok(!-e $h->path('dev666/usage'), 'R238 HTTP-only daemon writes no usage file');
	my @tmp = glob($h->path('dev666') . '/usage*');
	is(scalar @tmp, 0, 'R238 HTTP-only daemon leaves no usage.* file');
	my $r = $h->roundtrip("GET /dev666/usage HTTP/1.1\r\n\r\n");
	is($r && $r->{status}, 404, 'R238 HTTP-only daemon: GET /dev666/usage → 404');
	is($h->stop('QUIT'), 0, 'R238 HTTP-only daemon exits 0');
}

# R238 with --daemonize: the usage file appears promptly.
{
	my $dir = TestDaemon::new_tmpdir();
	mkdir "$dir/docroot" or die;
	mkdir "$dir/docroot/dev666" or die;
	my $port = TestDaemon::free_port();
	my ($st, $out, $err) = TestDaemon::run_cli(['--daemonize', "--mgmtlisten=127.0.0.1:$port",
						   "--docroot=$dir/docroot", "--pidfile=$dir/pid"],
						  env => { PATH => '/usr/bin:/bin' });
	is($st, 0, 'R238 --daemonize parent exits 0') or diag($err);
	my $u = TestDaemon::poll_until(sub { parse_usage(TestDaemon::slurp("$dir/docroot/dev666/usage")) },
				       TestDaemon::slow(3));
	ok($u, 'R238 daemonized: dev666/usage appears promptly');
	is($u && $u->{disk}, "$dir/docroot/dev666", 'R238 daemonized: disk line');
	my $pid = TestDaemon::poll_until(sub { my $p = TestDaemon::slurp("$dir/pid"); $p && $p =~ /^(\d+)/ ? $1 : 0 });
	if ($pid) {
		kill 'QUIT', $pid;
		ok(TestDaemon::poll_until(sub { !kill 0, $pid }, TestDaemon::slow(10)), 'R238 daemonized node stops on SIGQUIT');
	} else {
		fail('R238 daemonized node wrote its pid file');
	}
}

done_testing;
