# 81-fault-stall.t: a hung disk (every open under dev1 takes 2 s, injected by
# test/fault/faultshim.c) must not delay GETs on dev2, the sideband or `watch` rounds
# (doc/design.md "one rule").
use strict;
use warnings;
use Test::More;
use Digest::MD5 qw(md5_hex);
use Time::HiRes qw(time sleep);
use TestDaemon;
use FaultShim;

# ---- the shim (test/integ/FaultShim.pm) ----
sub shim_skip_reason { FaultShim::skip_reason() }
my $why = shim_skip_reason();
$why //= 'latency comparison is meaningless under valgrind' if TestDaemon::valgrind();
plan skip_all => $why if $why;

my $STALL_MS = 2000;
my $fault_file = TestDaemon::new_tmpdir() . '/faults';
my $d = TestDaemon->start(devices => [1, 2],
			  env => { LD_PRELOAD => $ENV{FAULTSHIM}, MOG_FAULT_FILE => $fault_file,
				   MOG_FAULT_VERBOSE => 1 });
my $gen = 0;

sub mgmt_line {
	my ($req, $s) = @_;
	my $own = !$s;
	$s //= $d->connect('mgmt');
	TestDaemon::write_all($s, $req);
	my $buf = TestDaemon::rbuf($s);
	my $deadline = time + 5;
	while (index($$buf, "\n") < 0) {
		last if !TestDaemon::fill($s, $deadline);
	}
	my $i = index($$buf, "\n");
	my $line = $i < 0 ? undef : substr($$buf, 0, $i + 1, '');
	close $s if $own;
	return $line;
}

sub set_faults { FaultShim::set_faults($d, $fault_file, \$gen, @_) }

my $N = 200;
$d->write_file(sprintf('dev2/f%03d', $_), "f$_" . ('.' x 100)) for 0 .. $N - 1;
$d->write_file("dev1/s$_", "stalled $_") for 0 .. 19;

# $N sequential GETs of small dev2 files on one keep-alive connection: (p99 in s, all 200?)
sub dev2_p99 {
	my $s = $d->connect('http');
	my (@lat, $bad);
	for my $i (0 .. $N - 1) {
		my $t0 = time;
		TestDaemon::write_all($s, sprintf("GET /dev2/f%03d HTTP/1.1\r\nHost: t\r\n\r\n", $i));
		my $r = TestDaemon::read_response($s, timeout => 5);
		push @lat, time - $t0;
		$bad++ unless $r && $r->{status} == 200 && $r->{body} eq "f$i" . ('.' x 100);
	}
	close $s;
	@lat = sort { $a <=> $b } @lat;
	return ($lat[int(0.99 * $N) - 1], !$bad);
}

# answered = a response (or EOF) is readable without waiting
sub readable {
	my ($s) = @_;
	return 1 if length ${ TestDaemon::rbuf($s) };
	my $rin = '';
	vec($rin, fileno($s), 1) = 1;
	return select(my $rout = $rin, undef, undef, 0) > 0;
}

dev2_p99();				# warm-up: page cache, first connections
my ($base, $base_ok) = dev2_p99();
ok($base_ok, "stall: dev2 GETs before the stall → 200 (p99 " . sprintf('%.2f ms', $base * 1e3) . ')');

set_faults(PATH => '/dev1/', CALLS => 'open,openat,openat2', DELAY_MS => $STALL_MS);
my $t_fire = time;
my @stalled;
for my $i (0 .. 19) {
	my $s = $d->connect('http');
	TestDaemon::write_all($s, "GET /dev1/s$i HTTP/1.1\r\nHost: t\r\n\r\n");
	push @stalled, $s;
}
# every dev1 pool thread (10 by default) is asleep in open(); the shim logs before sleeping
my $asleep = 0;
TestDaemon::poll_until(sub { $asleep = () = $d->stderr =~ /openat2? #\d+: delay/g; $asleep >= 10 }, 2);
ok($asleep >= 10, "stall: the dev1 pool is stalled ($asleep threads asleep in open)");

my ($during, $during_ok) = dev2_p99();
ok($during_ok, 'stall: dev2 GETs during the dev1 stall → 200');
# A dev2 GET that waited for a stalled open would take about the stall (2 s): half of it
# separates the two without depending on how loaded the machine is (make -j8 check).
ok($during < $STALL_MS / 2e3,
   sprintf('stall: no dev2 GET waited for the stalled disk (p99 %.2f ms, before %.2f ms, stall %d ms)',
	   $during * 1e3, $base * 1e3, $STALL_MS));

{
	my $t0 = time;
	is(mgmt_line("size /dev2/f000\r\n"), "/dev2/f000 " . (2 + 100) . "\r\n",
	   'stall: sideband size /dev2/f000 answered during the stall');
	ok(time - $t0 < 1, sprintf('stall: … within 1 s (%.0f ms)', (time - $t0) * 1e3));
}
{
	my $w = $d->connect('mgmt');
	my $t0 = time;
	TestDaemon::write_all($w, "watch\r\n");
	my $buf = TestDaemon::rbuf($w);
	my $deadline = $t0 + 3;
	while ($$buf !~ /(?:^|\n)\.\n/) {
		last if !TestDaemon::fill($w, $deadline);
	}
	like($$buf, qr/^(?:\d+\t[^\n]*\n)*\.\n/, 'stall: a watch round arrives during the stall');
	like($$buf, qr/^1\t/m, 'stall: … and lists dev1');
	ok(time - $t0 < 3, sprintf('stall: … within 3 s (%.0f ms)', (time - $t0) * 1e3));
	close $w;
}
my $pending = grep { !readable($_) } @stalled;
ok($pending > 0, "stall: the dev1 stall was still in effect after these checks ($pending of 20 "
		 . sprintf('GETs unanswered, %.2f s after firing)', time - $t_fire));

# after the stall every dev1 GET completes
set_faults();
my $ok = 0;
for my $i (0 .. 19) {
	my $r = TestDaemon::read_response($stalled[$i], timeout => 15);
	$ok++ if $r && $r->{status} == 200 && $r->{body} eq "stalled $i";
	close $stalled[$i];
}
is($ok, 20, 'stall: after the stall all 20 dev1 GETs complete with 200');
ok(time - $t_fire >= $STALL_MS / 1e3 * 0.9, 'stall: … and they did wait for the stalled disk');
{
	my $r = $d->roundtrip("GET /dev1/s0 HTTP/1.1\r\nHost: t\r\n\r\n");
	is($r && $r->{status}, 200, 'stall: dev1 serves normally once the disk recovers');
}
is($d->stop('QUIT'), 0, 'daemon exits 0 after the stall');

# --io-deadline (evmogstored(8)): with one thread per device and a 2 s stall, work queued
# behind the stalled open for more than 1 s is refused instead of piling up.
$fault_file .= '2';
$d = TestDaemon->start(devices => [1, 2], args => ['--threads=1', '--io-deadline=1'],
		       env => { LD_PRELOAD => $ENV{FAULTSHIM}, MOG_FAULT_FILE => $fault_file,
				MOG_FAULT_VERBOSE => 1 });
$d->write_file("dev1/s$_", "stalled $_") for 0 .. 1;
$d->write_file('dev2/f', 'dev2');
$d->write_file('dev1/t', 'tttt');	# on the stalled disk, but in memory
# Both files are on the stalled disk: a lookup that would have to read it cannot be
# answered from memory (the shim makes RESOLVE_CACHED opens fail with EAGAIN, as the
# kernel does), so s1 queues behind s0.
set_faults(PATH => '/dev1/s', CALLS => 'open,openat,openat2', DELAY_MS => $STALL_MS);
{
	my $first = $d->connect('http');
	TestDaemon::write_all($first, "GET /dev1/s0 HTTP/1.1\r\nHost: t\r\n\r\n");
	TestDaemon::poll_until(sub { $d->stderr =~ /openat2? #\d+: delay/ }, 2);
	my $queued = $d->connect('http');
	TestDaemon::write_all($queued, "GET /dev1/s1 HTTP/1.1\r\nHost: t\r\n\r\n");
	my $m = $d->connect('mgmt');
	TestDaemon::write_all($m, "MD5 /dev1/s1\r\n");
	my $r = $d->roundtrip("GET /dev2/f HTTP/1.1\r\nHost: t\r\n\r\n", timeout => 1);
	ok($r && $r->{status} == 200, 'deadline: dev2 is served at once while dev1 is stalled');
	# a dev1 file in memory: size and a small digest are answered on the loop, not queued
	# behind the stalled open on dev1's only thread
	my $m2 = $d->connect('mgmt');
	is(mgmt_line("size /dev1/t\r\n", $m2), "/dev1/t 4\r\n",
	   'cached: sideband size of a dev1 file in memory answered');
	is(mgmt_line("MD5 /dev1/t\r\n", $m2), '/dev1/t MD5=' . md5_hex('tttt') . "\r\n",
	   'cached: sideband MD5 of a small dev1 file in memory answered');
	ok(!readable($first), 'cached: … before the stalled GET they would have queued behind');
	close $m2;
	$r = TestDaemon::read_response($queued, timeout => 10);
	is($r && $r->{status}, 503, 'deadline: a GET queued behind the stalled dev1 longer than '
				     . '--io-deadline → 503');
	is(mgmt_line('', $m), "ERROR: /dev1/s1 timed out waiting for its device\r\n",
	   'deadline: a sideband MD5 queued as long → ERROR … timed out waiting for its device');
	$r = TestDaemon::read_response($first, timeout => 10);
	ok($r && $r->{status} == 200 && $r->{body} eq 'stalled 0',
	   'deadline: the request already started is never cut short → 200');
	close $_ for $first, $queued, $m;
}
set_faults();
{
	my $r = $d->roundtrip("GET /dev1/s1 HTTP/1.1\r\nHost: t\r\n\r\n");
	is($r && $r->{status}, 200, 'deadline: dev1 serves normally once the disk recovers');
}
is($d->stop('QUIT'), 0, 'daemon with --io-deadline exits 0');

done_testing();
