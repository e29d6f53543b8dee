# 99-scrub-hung-disk.t: a scrubber stuck on a hung disk must not hold up the event loop
# (doc/design.md "one rule").  Every open of dev1/.scrub* (the scrubber's saved position)
# takes 3 s, injected by test/fault/faultshim.c.  While dev1's scrubber waits in those
# opens, GETs of dev2 files, the sideband and /metrics on the one loop (--loops=1) are
# answered in well under the stall; each response is waited for at most 1.5 s, half the
# stall, so a loop held up by the scrubber fails the test.  Then, with the write of
# dev1/.scrub.new hung for 60 s, SIGQUIT still ends the daemon: it leaves the stuck
# scrubber behind after 2 s instead of waiting for the disk.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use TestDaemon;
use FaultShim;

my $why = FaultShim::skip_reason();
$why //= 'latency comparison is meaningless under valgrind' if TestDaemon::valgrind();
plan skip_all => $why if $why;

my $STALL_MS = 3000;
my $WAIT = 1.5;

sub daemon {
	my ($path, $stall_ms) = @_;
	return TestDaemon->start(
		devices => [1, 2], status => 1,
		args => ['--loops=1', '--scrub-rate=100M'],
		setup => sub {
			my ($self) = @_;
			# an hour old, as stored files are: the scrubber reads them (and saves its
			# position after the first one)
			for my $i (0 .. 9) {
				my $p = "$self->{docroot}/dev1/f$i";
				open(my $fh, '>:raw', $p) or die "$p: $!";
				print $fh "scrubbed $i\n" x 100;
				close $fh or die "$p: $!";
				utime(time - 3600, time - 3600, $p) or die "$p: $!";
			}
			my $p = "$self->{docroot}/dev2/g";
			open(my $fh, '>:raw', $p) or die "$p: $!";
			print $fh 'served';
			close $fh or die "$p: $!";
		},
		env => { LD_PRELOAD => $ENV{FAULTSHIM}, MOG_FAULT_PATH => $path,
			 MOG_FAULT_CALLS => 'open,openat,openat2', MOG_FAULT_DELAY_MS => $stall_ms,
			 MOG_FAULT_VERBOSE => 1 });
}

my $d = daemon('/dev1/.scrub', $STALL_MS);

# seconds to the response to $raw on a new connection to $which, or undef after $WAIT
sub answered_in {
	my ($which, $raw, $check) = @_;
	my $t0 = time;
	my $s = $d->connect($which);
	TestDaemon::write_all($s, $raw);
	my $ok;
	if ($which eq 'mgmt') {
		my $line = TestDaemon::read_line($s, $WAIT);
		$ok = defined $line && $check->($line);
	} else {
		my $r = TestDaemon::read_response($s, timeout => $WAIT);
		$ok = $r && $check->($r);
	}
	close $s;
	return $ok ? time - $t0 : undef;
}

my @probes = (
	['GET dev2', 'http', "GET /dev2/g HTTP/1.1\r\nHost: t\r\n\r\n",
	 sub { $_[0]{status} == 200 && $_[0]{body} eq 'served' }],
	['sideband size', 'mgmt', "size /dev2/g\r\n", sub { $_[0] eq "/dev2/g 6\r\n" }],
	['/metrics', 'status', "GET /metrics HTTP/1.0\r\n\r\n",
	 sub { $_[0]{status} == 200 && $_[0]{body} =~ /^evmogstored_scrub_files_total/m }],
);

# Probe in turn until the scrubber has met the stall twice (its first save and the one at
# the end of the pass) and both stalls are over, or 20 s.
my %worst;
my %late;
my $end = time + 20;
while (time < $end) {
	for my $p (@probes) {
		my ($name, $which, $raw, $check) = @$p;
		my $t = answered_in($which, $raw, $check);
		if (defined $t) {
			$worst{$name} = $t if !defined $worst{$name} || $t > $worst{$name};
		} else {
			$late{$name}++;
		}
	}
	my $stalls = () = $d->stderr =~ /^faultshim\[\d+\]: openat #\d+: delay $STALL_MS ms$/mg;
	last if $stalls >= 2 && $d->stderr =~ /dev1: scrub pass 1 done/;
	sleep 0.05;
}
my $stalls = () = $d->stderr =~ /^faultshim\[\d+\]: openat #\d+: delay $STALL_MS ms$/mg;
cmp_ok($stalls, '>=', 2, "the scrubber's opens of dev1/.scrub* stalled ($stalls times)")
	or diag($d->stderr);
like($d->stderr, qr/dev1: scrub pass 1 done: 10 files/, 'the pass ended once the stalls were over');
for my $p (@probes) {
	my $name = $p->[0];
	is($late{$name} // 0, 0, sprintf("%s: every answer within %.1f s while the scrubber is stalled "
					 . "(slowest %.3f s)", $name, $WAIT, $worst{$name} // -1));
}
is($d->stop('QUIT'), 0, 'exits 0');

# only the position's write hangs (not the read of the saved one at the pass's start)
$d = daemon('/dev1/.scrub.new', 60_000);
ok(TestDaemon::poll_until(sub { $d->stderr =~ /^faultshim\[\d+\]: openat #\d+: delay 60000 ms$/m }, 10),
   'the scrubber is stuck writing dev1/.scrub.new') or diag($d->stderr);
sleep 0.5;	# the loop's scrub timer has run since (every 0.25 s)
ok(defined answered_in('http', "GET /dev2/g HTTP/1.1\r\nHost: t\r\n\r\n",
		       sub { $_[0]{status} == 200 }), 'GET dev2 answered meanwhile');
my $t0 = time;
is($d->stop('QUIT'), 0, 'SIGQUIT with the scrubber stuck: exits 0');
my $took = time - $t0;
cmp_ok($took, '<', 20, sprintf('... without waiting for the 60 s stall (%.1f s)', $took));
done_testing();
