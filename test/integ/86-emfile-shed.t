# 86-emfile-shed.t: out of descriptors when a request opens its file (issue 12, item 1).
# Under RLIMIT_NOFILE = 64 (--maxconns=64) the table is filled with idle keep-alive HTTP
# clients.  The accept path is not involved (every client is already accepted): the
# descriptor shortage is met by the open() of a HEAD (loop fast path, then pool) and of a
# PUT (pool).  While no connection has been idle for 5 s the request gets 503 (not 500);
# once they have, idle connections are shed and the request succeeds, and the idle
# clients see EOF.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use TestDaemon;

plan skip_all => 'descriptor counts are not meaningful under valgrind' if TestDaemon::valgrind();
plan skip_all => 'prlimit(1) (util-linux) not available'
	unless system('prlimit --version >/dev/null 2>&1') == 0;

my $LIMIT = 64;
my $BODY = 'hello';
my $GET = "GET /dev1/f HTTP/1.1\r\nHost: t\r\n\r\n";
# --scrub-rate=0: a scrubber's pass holds its device directory open (longer while the
# device is busy), which would move the descriptor count under the test's feet
my $d = TestDaemon->start(devices => [1], mgmt => 0,
			  wrap => ['prlimit', "--nofile=$LIMIT:$LIMIT"],
			  args => ["--maxconns=$LIMIT", '--scrub-rate=0']);
$d->write_file('dev1/f', $BODY);

# Descriptors below the limit in use (one inherited from the harness may be above it).
sub fds {
	opendir(my $dh, "/proc/$d->{pid}/fd") or return undef;
	my $n = grep { /^\d+$/ && $_ < $LIMIT } readdir $dh;
	closedir $dh;
	return $n;
}

# The daemon's descriptor count once two readings 100 ms apart agree.
sub stable_fds {
	my $n;
	TestDaemon::poll_until(sub {
		my $a = fds();
		sleep 0.1;
		my $b = fds();
		$n = $b if defined $a && defined $b && $a == $b;
		defined $n;
	}, 5);
	return $n // -1;
}

# Idle keep-alive clients until the daemon's table is full (each served one GET first,
# the last one only connected: its GET would need a descriptor too).  Returns them.
sub fill {
	my @idle;
	my $t0 = time;
	# quickly: the first ones must not be idle for 5 s before the table is full.  A
	# count read while background work (the usage file) held a descriptor for a moment
	# stops the loop one short: it goes on until the stable count says full.
	while (@idle < $LIMIT && time - $t0 < 30) {
		if ((fds() // $LIMIT) >= $LIMIT - 1) {
			last if stable_fds() >= $LIMIT - 1;
			next;
		}
		my $s = $d->connect;
		TestDaemon::write_all($s, $GET);
		my $r = TestDaemon::read_response($s, timeout => 3);
		last unless $r && $r->{status} == 200;
		push @idle, $s;
	}
	push @idle, $d->connect;
	# full, and not because of a descriptor background work is about to close
	TestDaemon::poll_until(sub { stable_fds() >= $LIMIT }, 5);
	return @idle;
}

# last_io has a resolution of one second: 7 s of silence is more than 5 s for the daemon
sub wait_idle { my $t = time; sleep 0.1 while time - $t < 7 }

my $a = $d->connect;	# the active client
TestDaemon::write_all($a, $GET);
is(TestDaemon::read_response($a)->{status}, 200, 'the active client is served');
my $HEAD = "HEAD /dev1/f HTTP/1.1\r\nHost: t\r\n\r\n";

my @idle = fill();
is(fds(), $LIMIT, scalar(@idle) . " idle clients fill the table ($LIMIT descriptors)")
	or diag(join("\n", map { "$_ -> " . (readlink($_) // '?') } glob("/proc/$d->{pid}/fd/*")), $d->stderr);
TestDaemon::write_all($a, $HEAD);
my $r = TestDaemon::read_response($a, head => 1);
is($r && $r->{status}, 503, 'EMFILE, nobody idle for 5 s yet: HEAD gets 503, not 500');
is(scalar(() = $d->stderr =~ /expired \d+ idle/g), 0, 'nobody was shed');

wait_idle();
TestDaemon::write_all($a, $HEAD);
$r = TestDaemon::read_response($a, head => 1);
is($r && $r->{status}, 200, 'EMFILE, ' . scalar(@idle) . ' clients idle > 5 s: HEAD gets 200');
is(scalar(grep { TestDaemon::is_eof($_, 3) } @idle), scalar(@idle), 'the idle clients got EOF');
like($d->stderr, qr/expired \d+ idle connections \(>5 sec\)/, 'the shedding is logged');
close $_ for @idle;

@idle = fill();
is(fds(), $LIMIT, scalar(@idle) . ' idle clients fill the table again');
my $PUT = "PUT /dev1/0/000/000/0000000001.fid HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello";
TestDaemon::write_all($a, $PUT);
$r = TestDaemon::read_response($a);
is($r && $r->{status}, 503, 'EMFILE, nobody idle for 5 s yet: PUT gets 503');
ok(TestDaemon::is_eof($a, 3), 'the PUT body was not read: the connection closes');
$a = $d->connect;
wait_idle();
TestDaemon::write_all($a, $PUT);
$r = TestDaemon::read_response($a);
is($r && $r->{status}, 201, 'EMFILE, ' . scalar(@idle) . ' clients idle > 5 s: PUT gets 201');
is($d->read_file('dev1/0/000/000/0000000001.fid'), 'hello', 'the file is stored');
is(scalar(grep { TestDaemon::is_eof($_, 3) } @idle), scalar(@idle), 'the idle clients got EOF');
close $_ for @idle;
is($d->stop('QUIT'), 0, 'exits 0');
done_testing();
