# 86-disk-lifecycle.t: devices on real mounts (tmpfs and bind mounts under the test's own
# directory): umount while serving, the mount guard, remount, --require-mount, the identity
# file (--device-id-file) and two daemons on one docroot.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use POSIX qw(_exit);
use TestDaemon;

my @mounts;	# every mount point we made, unmounted at the end whatever happens
sub mnt {
	my ($dir, @how) = @_;
	@how = ('-t', 'tmpfs', '-o', 'size=8m', 'evmogtest') unless @how;
	my $rc = system('mount', @how, $dir);
	push @mounts, $dir if $rc == 0;
	return $rc == 0;
}
sub umnt {
	my ($dir) = @_;
	return 0 unless system("umount \Q$dir\E 2>/dev/null") == 0;
	my $i = 0;
	for (reverse @mounts) { last if $_ eq $dir; $i++ }
	splice(@mounts, $#mounts - $i, 1) if $i < @mounts;
	return 1;
}
# unmount once idle: the daemon closes a device directory when its last request ends
sub umnt_idle {
	my ($dir) = @_;
	return TestDaemon::poll_until(sub { umnt($dir) }, TestDaemon::slow(2));
}
END {
	system("umount -l \Q$_\E 2>/dev/null") for reverse @mounts;
}

plan skip_all => 'mounting needs root' if $> != 0;
{
	my $p = TestDaemon::new_tmpdir();
	mkdir "$p/m" or die "$p/m: $!";
	plan skip_all => 'mount -t tmpfs is not permitted here' unless mnt("$p/m");
	umnt("$p/m");
}

sub entries {
	my ($dir) = @_;
	opendir(my $dh, $dir) or return -1;
	my @e = grep { !/^\.\.?$/ } readdir $dh;
	return scalar @e;
}
sub status_of {
	my ($d, $raw) = @_;
	my $r = $d->roundtrip($raw);
	return $r ? $r->{status} : 'none';
}
sub put { status_of($_[0], "PUT $_[1] HTTP/1.1\r\nContent-Length: 2\r\n\r\nok") }
sub get { status_of($_[0], "GET $_[1] HTTP/1.1\r\n\r\n") }
sub watch_round {
	my ($d) = @_;
	my $s = $d->connect('mgmt');
	TestDaemon::write_all($s, "watch\n");
	my $buf = '';
	my $end = time + TestDaemon::slow(5);
	while (time < $end && $buf !~ /(?:^|\n)\.\n/) {
		my $n = sysread($s, $buf, 4096, length $buf);
		last unless $n;
	}
	return $buf;
}
sub sideband {
	my ($d, $line) = @_;
	my $s = $d->connect('mgmt');
	TestDaemon::write_all($s, $line);
	return TestDaemon::read_line($s, 5) // '';
}

# One load client (a child process): PUT then GET on $dev over one keep-alive connection
# until $stop exists (at most 60 s); writes "requests errors kinds-of-error" to $out.
sub client {
	my ($d, $dev, $id, $stop, $out) = @_;
	my ($n, $errs, %kinds, $s) = (0, 0);
	my $end = time + 60;
	while (time < $end && !-e $stop) {
		my $path = "/$dev/load/c$id-" . ($n % 8);
		my $body = ('x' x 4000) . " $id $n";
		$s //= eval { $d->connect('http') };
		last unless $s;
		TestDaemon::write_all($s, "PUT $path HTTP/1.1\r\nContent-Length: " . length($body)
				      . "\r\n\r\n$body");
		my $r = TestDaemon::read_response($s, timeout => 10);
		my ($ok, $what) = ($r && $r->{status} == 201, 'PUT');
		if ($ok) {
			TestDaemon::write_all($s, "GET $path HTTP/1.1\r\n\r\n");
			$r = TestDaemon::read_response($s, timeout => 10);
			($ok, $what) = ($r && $r->{status} == 200 && $r->{body} eq $body, 'GET');
		}
		$n++;
		if (!$ok) {
			$errs++;
			$kinds{$r && !$r->{incomplete} ? "$what-$r->{status}" : "$what-no-answer"}++;
			undef $s;
		}
	}
	open(my $fh, '>', $out) or _exit(1);
	print $fh "$n $errs " . join(',', sort keys %kinds) . "\n";
	close $fh;
	_exit(0);
}

# ---- 1. umount under load, guard, remount (the issue's acceptance test) ----
{
	my $status_port = TestDaemon::free_port();
	my $d = TestDaemon->start(devices => [1, 2],
		args => ["--statuslisten=127.0.0.1:$status_port"],
		env => { MOG_DISK_USAGE_INTERVAL => 1 },
		setup => sub { my ($t) = @_; mnt($t->path("dev$_")) or die "mount: $?" for 1, 2 });
	my $dir = $d->{dir};
	my $dev2 = $d->path('dev2');
	my %kids;
	for my $id (1 .. 16) {
		my $dev = $id % 2 ? 'dev1' : 'dev2';
		my $pid = fork // die "fork: $!";
		client($d, $dev, $id, "$dir/stop-$dev", "$dir/out-$id") if $pid == 0;
		$kids{$id} = $pid;
	}
	ok(TestDaemon::poll_until(sub { entries("$dev2/load") >= 8 }, TestDaemon::slow(20)),
	   'load: 16 clients write and read dev1 and dev2');
	# between two requests nothing holds dev2: this may succeed; its clients then get 507/404
	my $busy = umnt($dev2);
	diag('umount while dev2 is busy ' . ($busy ? 'succeeded between requests' : 'is refused'));
	open(my $fh, '>', "$dir/stop-dev2") or die;
	close $fh;
	waitpid($kids{$_}, 0) for grep { $_ % 2 == 0 } keys %kids;
	my %kinds;
	for my $id (grep { $_ % 2 == 0 } 1 .. 16) {
		my (undef, undef, $k) = split ' ', (TestDaemon::slurp("$dir/out-$id") // '0 1 none'), 3;
		$kinds{$_}++ for split /,/, $k // '';
	}
	ok(!grep({ !/^(?:PUT-507|GET-404)$/ } keys %kinds),
	   'dev2 clients: requests during the unmount fail cleanly (PUT 507, GET 404) or not at all')
		or diag(join ' ', sort keys %kinds);
	my $t0 = time;
	my $off = $busy || TestDaemon::poll_until(sub { umnt($dev2) }, TestDaemon::slow(2));
	my $took = time - $t0;
	ok($off, 'umount dev2 (no -l) succeeds within 2 s of its traffic stopping');
	diag(sprintf('umount succeeded %.2f s after the last dev2 client finished', $took));
	is(entries($dev2), 0, 'the bare dev2 directory is empty');

	# dev2 is now a bare directory on the parent filesystem
	is(put($d, '/dev2/load/after'), 507, 'unmounted: PUT → 507');
	is(put($d, '/dev2/new/dir/file'), 507, 'unmounted: PUT into a new directory → 507');
	is(entries($dev2), 0, 'unmounted: nothing landed on the root filesystem');
	is(get($d, '/dev2/load/c2-0'), 404, 'unmounted: GET → 404');
	is(get($d, '/dev2/usage'), 404, 'unmounted: GET /dev2/usage → 404 (the monitor: unreachable)');
	is(status_of($d, "DELETE /dev2/load/c2-0 HTTP/1.1\r\n\r\n"), 503,
	   'unmounted: DELETE → 503 (not 404, which the tracker would take as deleted)');
	like(sideband($d, "size /dev2/load/c2-0\r\n"), qr{^/dev2/load/c2-0 -1\r\n}, 'unmounted: size → -1');
	my $round = watch_round($d);
	like($round, qr/^1\t/m, 'unmounted: watch still lists dev1');
	unlike($round, qr/^2\t/m, 'unmounted: watch leaves dev2 out');
	like($d->stderr, qr{dev2: unavailable: not a mount point \(it was one\)},
	     'unmounted: the log says why');
	like($d->stderr, qr{PUT /dev2/\S+: 507: dev2 is unavailable: not a mount point},
	     'unmounted: refused PUTs logged');
	my $m = $d->request("GET /metrics HTTP/1.0\r\n\r\n", port => $status_port);
	like($m, qr/^evmogstored_device_unavailable\{device="dev2"\} 1$/m, 'metrics: dev2 unavailable');
	like($m, qr/^evmogstored_device_unavailable\{device="dev1"\} 0$/m, 'metrics: dev1 available');
	like($d->request("GET /health HTTP/1.0\r\n\r\n", port => $status_port),
	     qr{^HTTP/1\.1 503 .*dev2: unavailable: not a mount point}s, 'health names dev2');
	like($d->request("GET / HTTP/1.0\r\n\r\n", port => $status_port),
	     qr{<tr id="dev2">.*>unavailable</td></tr>}, 'status page shows dev2 unavailable');

	# a new disk on dev2: it serves again, no restart
	ok(mnt($dev2), 'remount dev2');
	ok(TestDaemon::poll_until(sub { put($d, '/dev2/back') == 201 }, TestDaemon::slow(5)),
	   'remounted: PUT → 201 again, with no restart');
	ok(TestDaemon::poll_until(sub { get($d, '/dev2/usage') == 200 }, TestDaemon::slow(5)),
	   'remounted: usage served again');
	like($d->stderr, qr{dev2: available again}, 'remounted: logged');

	open($fh, '>', "$dir/stop-dev1") or die;
	close $fh;
	waitpid($kids{$_}, 0) for grep { $_ % 2 } keys %kids;
	my ($reqs, $errs, @first) = (0, 0);
	for my $id (grep { $_ % 2 } 1 .. 16) {
		my ($n, $e, $f) = split ' ', (TestDaemon::slurp("$dir/out-$id") // '0 1 no-output'), 3;
		$reqs += $n;
		$errs += $e;
		push @first, $f if $e;
	}
	ok($reqs > 0, "dev1 clients made $reqs requests");
	is($errs, 0, "dev1's clients saw no error") or diag("@first");
	ok(umnt_idle($dev2), 'dev2 unmounts again once idle');
	is(entries($dev2), 0, 'no PUT to dev2 ever landed on the root filesystem');
	is($d->stop('QUIT'), 0, 'daemon exits 0');
}

# ---- 2. --require-mount: a bare directory is refused until a disk is mounted ----
{
	my $d = TestDaemon->start(devices => [1, 3], config => "require_mount = 1\n",
		env => { MOG_DISK_USAGE_INTERVAL => 1 },
		setup => sub { mnt($_[0]->path('dev1')) or die });
	is(put($d, '/dev1/a'), 201, 'require-mount: a mounted device serves');
	is(put($d, '/dev3/a'), 507, 'require-mount: PUT on a bare directory → 507');
	is(get($d, '/dev3/usage'), 404, 'require-mount: its usage → 404');
	is(entries($d->path('dev3')), 0, 'require-mount: nothing written there');
	like($d->stderr, qr{dev3: unavailable: not a mount point \(--require-mount\)},
	     'require-mount: logged at startup');
	mkdir $d->path('dev4') or die;
	is(put($d, '/dev4/a'), 507, 'require-mount: a device directory not scanned yet → 507 too');
	is(entries($d->path('dev4')), 0, 'require-mount: nothing written there either');
	ok(mnt($d->path('dev3')), 'mount a disk on dev3');
	ok(TestDaemon::poll_until(sub { put($d, '/dev3/a') == 201 }, TestDaemon::slow(5)),
	   'require-mount: dev3 serves once mounted');
	is($d->stop('QUIT'), 0, 'require-mount: daemon exits 0');
}

# ---- 3. --device-id-file: wrong slot, copied identity, corrupt file ----
{
	my $base = TestDaemon::new_tmpdir();
	mkdir "$base/$_" or die for qw(diskA diskB);
	my $d = TestDaemon->start(devices => [1, 2], args => ['--device-id-file'],
		env => { MOG_DISK_USAGE_INTERVAL => 1 },
		setup => sub {
			mnt($_[0]->path('dev1'), '--bind', "$base/diskA") or die;
			mnt($_[0]->path('dev2'), '--bind', "$base/diskB") or die;
		});
	# the listeners accept before the startup scan is over: poll
	my $id = TestDaemon::poll_until(sub { TestDaemon::slurp("$base/diskA/.evmogstored-id") })
		 // '';
	like($id, qr/\Aevmogstored device identity\ndevid: 1\nfilesystem: \S+\nchecksum: md5:[0-9a-f]{32}\n\z/,
	     'identity: written at first use (devid, filesystem, checksum)')
		or diag($d->stderr . `ls -la $base/diskA $base/diskB; grep evmog /proc/self/mountinfo`);
	like(TestDaemon::poll_until(sub { TestDaemon::slurp("$base/diskB/.evmogstored-id") }) // '',
	     qr/^devid: 2$/m, 'identity: dev2 too')
		or diag($d->stderr . `ls -la $base/diskA $base/diskB; grep evmog /proc/self/mountinfo`);
	is(put($d, '/dev1/f'), 201, 'identity: matching devices serve');

	# swap the disks between the slots
	ok(umnt_idle($d->path('dev1')) && umnt_idle($d->path('dev2')), 'identity: both disks unmounted');
	ok(mnt($d->path('dev1'), '--bind', "$base/diskB") && mnt($d->path('dev2'), '--bind', "$base/diskA"),
	   'identity: and mounted in each other\'s slot');
	ok(TestDaemon::poll_until(sub { put($d, '/dev1/g') == 507 }, TestDaemon::slow(5)),
	   'identity: a disk in the wrong slot is refused (PUT 507)');
	is(get($d, '/dev2/f'), 404, 'identity: GET from the wrong slot → 404');
	# the 507 may come from the check still running on the new filesystem: poll for its verdict
	ok(TestDaemon::poll_until(sub { $d->stderr =~ /dev1: unavailable: identity file says this disk is dev2/ },
				  TestDaemon::slow(5)), 'identity: logged') or diag($d->stderr);
	ok(!-e "$base/diskB/g", 'identity: nothing written to the wrong disk');

	# a copied identity file on another filesystem
	ok(umnt_idle($d->path('dev1')), 'identity: dev1 unmounted');
	ok(mnt($d->path('dev1')), 'identity: a new (tmpfs) disk on dev1');
	open(my $fh, '>:raw', $d->path('dev1/.evmogstored-id')) or die;
	print $fh $id;
	close $fh;
	ok(TestDaemon::poll_until(sub { $d->stderr =~ /dev1: unavailable: identity file names filesystem/ },
				  TestDaemon::slow(5)), 'identity: a copied file is refused');
	is(put($d, '/dev1/h'), 507, 'identity: PUT there → 507');

	# a corrupt file, then removing it accepts the disk (a new file is written)
	(my $bad = $id) =~ s/devid: 1/devid: 7/;
	open($fh, '>:raw', $d->path('dev1/.evmogstored-id')) or die;
	print $fh $bad;
	close $fh;
	ok(TestDaemon::poll_until(sub { $d->stderr =~ /dev1: unavailable: identity file .* is corrupt/ },
				  TestDaemon::slow(5)), 'identity: a corrupt file is refused');
	unlink $d->path('dev1/.evmogstored-id');
	ok(TestDaemon::poll_until(sub { put($d, '/dev1/h') == 201 }, TestDaemon::slow(5)),
	   'identity: removing the file accepts the disk again');
	is($d->stop('QUIT'), 0, 'identity: daemon exits 0');
}

# ---- 4. a second daemon on the same docroot ----
{
	my $a = TestDaemon->start(devices => [1], args => ['--device-id-file'],
				  setup => sub { mnt($_[0]->path('dev1')) or die });
	my $b = TestDaemon->start(devices => [], no_docroot_arg => 1,
				  args => ["--docroot=$a->{docroot}", '--device-id-file']);
	is(put($a, '/dev1/x'), 201, 'two daemons: the first writes');
	is(get($b, '/dev1/x'), 200, 'two daemons: the second reads it (same identity accepted)');
	is(put($b, '/dev1/y'), 201, 'two daemons: the second writes');
	ok(umnt_idle($a->path('dev1')), 'two daemons: umount succeeds while both run (neither holds the disk)');
	is(put($a, '/dev1/z'), 507, 'two daemons: the first refuses the bare directory');
	is(put($b, '/dev1/z'), 507, 'two daemons: so does the second');
	is(entries($a->path('dev1')), 0, 'two daemons: nothing on the root filesystem');
	is($b->stop('QUIT'), 0, 'two daemons: the second exits 0');
	is($a->stop('QUIT'), 0, 'two daemons: the first exits 0');
}

# ---- 5. a disk mounted over a busy device directory is used at once ----
{
	my $d = TestDaemon->start(devices => [2],
		setup => sub { mnt($_[0]->path('dev2'), '-t', 'tmpfs', '-o', 'size=64m', 'evmogtest')
				  or die });
	my $dev2 = $d->path('dev2');
	my $big = 'b' x (32 * 1024 * 1024);
	$d->write_file('dev2/big', $big);
	# a GET that stays in flight (the client does not read): it holds the old disk
	my $s = $d->connect('http');
	TestDaemon::write_all($s, "GET /dev2/big HTTP/1.1\r\n\r\n");
	sleep 0.2;
	ok(mnt($dev2), 'a new disk mounted over dev2 while a GET on the old one is in flight');
	ok(TestDaemon::poll_until(sub { put($d, '/dev2/new') == 201 && -e "$dev2/new" }, TestDaemon::slow(5)),
	   'PUTs land on the new disk, not on the hidden one');
	my $r = TestDaemon::read_response($s, timeout => 30, discard_body => 1);
	ok($r && $r->{status} == 200 && $r->{body_len} == length($big),
	   'the in-flight GET from the old disk finishes whole');
	close $s;
	ok(umnt_idle($dev2), 'the new disk unmounts');
	ok(umnt_idle($dev2), 'and so does the old one once its GET ended');
	is($d->stop('QUIT'), 0, 'stacked mounts: daemon exits 0');
}

done_testing();
