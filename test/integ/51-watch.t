# 51-watch.t: the `watch` utilisation stream and the iostat child (doc/protocol.md,
# watch), driven by mock-iostat.pl through MOG_IOSTAT_CMD, plus one run on the
# default /proc/diskstats source.
use strict;
use warnings;
use Test::More;
use FindBin qw($Bin);
use Time::HiRes qw(time sleep);
use TestDaemon;

my $MOCK = "$Bin/mock-iostat.pl";
my @DEVS = (1, 2, 10, 666, 999);

# Name iostat would print for the disk holding $path ("vda" for /dev/vda), or undef when
# the filesystem has no /dev/ source (tmpfs, overlay): then no mock line can match it.
sub iostat_name {
	my ($path) = @_;
	my $src = (split ' ', (`df -P '$path' 2>/dev/null` =~ /\n(\S+)/)[0] // '')[0] // '';
	$src = readlink($src) =~ s{^(?:\.\./)+}{/dev/}r if -l $src;
	return $src =~ m{^/dev/([A-Za-z0-9/]+)$} ? $1 : undef;
}

# The next round, extracted with the tracker's own regex; undef on EOF or timeout.
sub round {
	my ($s, $timeout) = @_;
	my $buf = TestDaemon::rbuf($s);
	my $deadline = time + ($timeout // TestDaemon::slow(5));
	while (1) {
		return ($1 // '') if $$buf =~ s/^(.*?\n)?\.\n//s;
		my $r = TestDaemon::fill($s, $deadline);
		return undef if !$r;
	}
}

# [ [devid, util], ... ] if every line of the round matches ^(\d+)\t(\S+)\n, else undef.
sub lines_of {
	my ($round) = @_;
	return undef unless defined $round;
	my @l;
	while ($round =~ s/^(\d+)\t(\S+)\n//) {
		push @l, [$1, $2];
	}
	return $round eq '' ? \@l : undef;
}

sub watcher {
	my ($d, $cmd) = @_;
	my $s = $d->connect('mgmt');
	TestDaemon::write_all($s, $cmd // "watch\n");
	return $s;
}

sub mock_daemon {
	my (%env) = @_;
	my $dir = TestDaemon::new_tmpdir();
	my $log = "$dir/mock.log";
	my $d = TestDaemon->start(devices => \@DEVS, env => {
		MOG_IOSTAT_CMD => "$^X $MOCK", MOCK_LOG => $log, %env });
	$d->{mock_log} = $log;
	return $d;
}

sub mock_pids {
	my ($d) = @_;
	return grep { /^\d+$/ } split /\n/, TestDaemon::slurp($d->{mock_log}) // '';
}

my $root_probe = TestDaemon::new_tmpdir();
my $name = iostat_name($root_probe);
diag("test filesystem has no /dev/ source; utilisation values are not checked") unless $name;

# Q226 - Q229, Q233, Q234: rounds from the mock, restarted after it exits.
{
	my $d = mock_daemon(MOCK_DEV => $name // 'nosuchdisk', MOCK_INTERVAL => 0.15, MOCK_REPORTS => 4);
	my $s = watcher($d);
	my (@rounds, $raw);
	my $deadline = time + TestDaemon::slow(10);
	while (time < $deadline) {
		my $r = round($s, 3) // last;
		push @rounds, $r;
		last if @rounds >= 3 && grep { /\t2\.\d\d\n/ } $rounds[-1];
	}
	$raw = join '', map { "$_.\n" } @rounds;
	ok(@rounds >= 3, 'Q226 rounds arrive (' . scalar(@rounds) . ')');
	my @parsed = map { lines_of($_) } @rounds;
	is(scalar(grep { !defined } @parsed), 0, 'Q226 every round is lines ^(\d+)\t(\S+)\n then .\n');
	my $order_ok = !grep { !$_ || join(',', map { $_->[0] } @$_) ne join(',', @DEVS) } @parsed;
	ok($order_ok, 'Q229 every round lists 1,2,10,666,999 in ascending numeric order')
		or diag(join '', map { "$_.\n" } @rounds[0 .. 1]);
	ok(!grep({ my @d = map { $_->[0] } @{ $_ // [] }; (grep { $_ == 666 } @d) != 1 || (grep { $_ == 999 } @d) != 1 } @parsed),
	   'Q227 each round has exactly one 666 line and one 999 line');
	unlike($raw . TestDaemon::read_avail($s, 0), qr/\r/, 'Q228 no CR byte in the stream');
	SKIP: {
		skip 'no /dev/ source for the test filesystem', 4 unless $name;
		like($raw, qr/(?:^|\n)666\t\d+\.\d\d\n(?:\d+\t\S+\n)*\.\n/, 'Q226 a 666\t<d.dd> line followed by .\n');
		my $same = !grep { my %v = map { $_->[1] => 1 } @{ $_ // [] }; keys(%v) != 1 } @parsed;
		ok($same, 'Q227 devices on one filesystem report the same figure');
		ok(!grep({ $_->[1] !~ /^[12]\.\d\d$/ } map { @{ $_ // [] } } @parsed),
		   'Q226 figures are copied verbatim from the %util column (dm-0 99.99 ignored)');
		ok(grep({ /\t2\.\d\d\n/ } @rounds), 'Q234 after the mock exits it is restarted and rounds continue');
	}
	my @pids = mock_pids($d);
	ok(@pids >= 2, 'Q233 MOG_IOSTAT_CMD runs the mock; Q234 it was started ' . scalar(@pids) . ' times');

	# Q230 (50 watchers), Q209 WATCH
	my @w = map { watcher($d, $_ % 2 ? "WATCH\r\n" : "watch\n") } 1 .. 50;
	my $good = 0;
	for my $w (@w) {
		my $l = lines_of(round($w, TestDaemon::slow(5)));
		$good++ if $l && @$l == @DEVS;
	}
	is($good, 50, 'Q230 50 more watchers (half sent WATCH) each receive a complete round');
	close $_ for @w[0 .. 39];
	my $after = lines_of(round($s, 3)) && lines_of(round($s, 3));
	ok($after, 'Q230 the first watcher keeps receiving rounds after 40 watchers closed');
	my $l = lines_of(round($w[45], 3));
	ok($l && @$l == @DEVS, 'Q230 a remaining watcher keeps receiving rounds');

	# a subscriber that does not read for a while still gets whole rounds only
	my $lazy = watcher($d);
	sleep 1;	# the subject: rounds accumulate unread
	my $buf = TestDaemon::read_avail($lazy, 0.5);
	like($buf, qr/\A(?:(?:\d+\t\S+\n)+\.\n)+\z/, 'Q230 a slow reader sees only complete rounds');

	# N209 / Q: anything sent after watch is ignored
	TestDaemon::write_all($lazy, "size /dev1\r\n");
	my $l2 = lines_of(round($lazy, 3));
	ok($l2 && @$l2 == @DEVS, 'Q watch connection ignores later requests and keeps streaming');
	unlike(${ TestDaemon::rbuf($lazy) } . TestDaemon::read_avail($lazy, 0.3), qr/^\/dev1 /m,
	       'Q no reply to requests sent after watch');

	# Q237
	my $last_mock = (mock_pids($d))[-1];
	TestDaemon::read_avail($s, 0.05);	# drop the rounds queued while we did other things
	kill 'QUIT', $d->{pid};
	my $n = 0;
	my $eof;
	my $buf2 = TestDaemon::rbuf($s);
	my $deadline2 = time + TestDaemon::slow(5);
	while (1) {
		$n++ while $$buf2 =~ s/^[^\n]*\n//;
		my $r = TestDaemon::fill($s, $deadline2);
		if (defined $r && $r == 0) { $eof = 1; last }
		last if !defined $r;
	}
	ok($eof && $n <= 10, "Q237 SIGQUIT while watching → EOF after $n more lines");
	is($d->stop('QUIT'), 0, 'Q237 exit status 0');
	ok(TestDaemon::poll_until(sub { !kill(0, $last_mock) }, 3), 'Q237 the iostat child was terminated');
}

# Q231, Q232: reports arriving in fragments; Q235: '-' for unmatched filesystems.
for my $mode (qw(trickle split)) {
	my $d = mock_daemon(MOCK_DEV => 'sdz' . ($name ? ",$name" : ''), MOCK_INTERVAL => 0.05, MOCK_MODE => $mode);
	my $s = watcher($d);
	my @r = map { lines_of(round($s, TestDaemon::slow(5))) } 1 .. 4;
	my $id = $mode eq 'trickle' ? 'Q232 1-25-byte pieces' : 'Q231 report + fragment, pause, rest';
	is(scalar(grep { $_ && @$_ == @DEVS } @r), 4, "$id: four complete rounds");
	SKIP: {
		skip 'no /dev/ source for the test filesystem', 1 unless $name;
		ok(!grep({ $_->[1] !~ /^1\.\d\d$/ } map { @{ $_ // [] } } @r), "$id: every figure intact");
	}
	if ($mode eq 'trickle') {
		# Q236: watch refreshes the usage files at once (interval here: the default 10 s)
		my $u = $d->read_file('dev1/usage') // '';
		my ($t0) = $u =~ /^time: (\d+)$/m;
		sleep 0.05 while time < $t0 + 1;	# the subject: the clock must move on
		my $w = watcher($d);
		my $t1 = TestDaemon::poll_until(sub {
			my ($t) = ($d->read_file('dev1/usage') // '') =~ /^time: (\d+)$/m;
			$t && $t > $t0 ? $t : 0 }, TestDaemon::slow(3));
		ok($t1, 'Q236 watch refreshes dev1/usage immediately (time advanced)');
	}
	is($d->stop('QUIT'), 0, "$id: exit 0");
}
{
	my $d = mock_daemon(MOCK_DEV => 'sdz,nvme9n1', MOCK_INTERVAL => 0.1);
	my $s = watcher($d);
	my $l = lines_of(round($s));
	is_deeply($l, [map { [$_, '-'] } @DEVS], 'Q235 a filesystem no iostat line matches reports -');
	is($d->stop('QUIT'), 0, 'Q235 exit 0');
}

# Which directories are devices, and rescans on the usage interval.
{
	my $dir = TestDaemon::new_tmpdir();
	my $d = TestDaemon->start(devices => [0, 5, 16777215, 16777216], env => {
		MOG_IOSTAT_CMD => "$^X $MOCK", MOCK_DEV => 'sdz', MOCK_INTERVAL => 0.1,
		MOG_DISK_USAGE_INTERVAL => 1, MOCK_LOG => "$dir/log" });
	mkdir $d->path($_) for qw(devx dev dev1.old);
	my $s = watcher($d);
	my $l = lines_of(round($s));
	is_deeply([map { $_->[0] } @{ $l // [] }], [0, 5, 16777215],
		  'Q227 devices: dev0, dev5, dev16777215 listed; dev16777216, devx, dev, dev1.old not');
	unlink $d->path('dev5/usage');
	rmdir $d->path('dev5') or die "rmdir: $!";
	my $gone = TestDaemon::poll_until(sub {
		my $r = lines_of(round($s, 3));
		$r && join(',', map { $_->[0] } @$r) eq '0,16777215';
	}, TestDaemon::slow(4));
	ok($gone, 'Q227 a removed device directory disappears from the rounds after a rescan');
	is($d->stop('QUIT'), 0, 'Q227 exit 0');
}
{
	my $e = TestDaemon->start(devices => [], env => { MOG_IOSTAT_CMD => "$^X $MOCK", MOCK_INTERVAL => 0.1 });
	my $s = watcher($e);
	my $buf = TestDaemon::rbuf($s);
	TestDaemon::poll_until(sub { TestDaemon::fill($s, time + 0.1); $$buf =~ /^\.\n\.\n/ }, TestDaemon::slow(3));
	like($$buf, qr/^\.\n\.\n/, 'Q227 a daemon without devices sends rounds of just .\n');
	is($e->stop('QUIT'), 0, 'Q227 exit 0');
}
{
	my $dir = TestDaemon::new_tmpdir();
	my $h = TestDaemon->start(devices => [1], mgmt => 0, env => {
		MOG_IOSTAT_CMD => "$^X $MOCK", MOCK_LOG => "$dir/log" });
	my $r = $h->roundtrip("GET / HTTP/1.0\r\n\r\n");
	is($r && $r->{status}, 200, 'Q233 HTTP-only daemon serves');
	sleep 0.5;	# the subject: nothing is started
	ok(!-e "$dir/log", 'Q233 HTTP-only daemon runs no iostat program');
	is($h->stop('QUIT'), 0, 'Q233 HTTP-only daemon exits 0');
}
{
	my $d = TestDaemon->start(devices => [1], args => ['--noiostat']);
	my $s = watcher($d);
	my $got = TestDaemon::read_avail($s, 1.3);
	ok($got eq '' || $got eq "ERR iostat unavailable\r\n",
	   'Q --noiostat: watch stays silent (or says ERR iostat unavailable)');
	is($d->stop('QUIT'), 0, 'Q --noiostat: exit 0');
}

# Default source (/proc/diskstats): rounds about once a second.
{
	my $d = TestDaemon->start(devices => [1, 666], env => { MOG_IOSTAT_CMD => undef });
	my $s = watcher($d);
	my (@t, @r);
	for (1 .. 4) {
		my $r = round($s, TestDaemon::slow(3));
		last unless defined $r;
		push @t, time;
		push @r, $r;
	}
	is(scalar @r, 4, 'Q226 diskstats: four rounds arrive');
	ok(!grep({ !/\A(?:\d+\t(?:\d+\.\d\d|-)\n)+\z/ } @r), 'Q226 diskstats: lines match ^\d+\t(\d+\.\d\d|-)\n')
		or diag(join '', map { "$_.\n" } @r);
	ok(!grep({ join(',', map { $_->[0] } @{ lines_of($_) // [] }) ne '1,666' } @r), 'Q229 diskstats: 1 then 666');
	my @gap = map { $t[$_] - $t[$_ - 1] } 2 .. $#t;
	ok(@gap && !grep({ $_ < 0.5 || $_ > 1.6 } @gap), 'Q226 diskstats: about one round per second (gaps '
	   . join(' ', map { sprintf '%.2f', $_ } @gap) . ')');
	SKIP: {
		skip 'no /dev/ source for the test filesystem', 1 unless $name;
		like($r[-1] // '', qr/^666\t\d+\.\d\d\n/m, "Q226 diskstats: a figure for the $name filesystem");
	}
	is($d->stop('QUIT'), 0, 'Q237 diskstats daemon exits 0');
}

done_testing;
