# 85-fence.t: a device whose requests keep failing with EIO is marked failing
# (--fence-eio): its usage reports no free space, so the tracker stops placing
# files there, while reads that work keep working and other devices are untouched.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time);
use TestDaemon;
use FaultShim;

my $why = FaultShim::skip_reason();
plan skip_all => $why if $why;
my $shim = $ENV{FAULTSHIM};

my $d = TestDaemon->start(devices => [1, 2], status => 1,
			  env => { LD_PRELOAD => $shim, MOG_FAULT_PATH => '/dev1/bad',
				   MOG_FAULT_CALLS => 'open,openat,openat2', MOG_FAULT_ERRNO => 'EIO' });
my $status_port = $d->{status_port};
$d->write_file('dev1/good', 'good');
$d->write_file('dev2/f', 'two');

sub usage_of {
	my ($dev) = @_;
	my $r = $d->roundtrip("GET /$dev/usage HTTP/1.0\r\n\r\n");
	return {} unless $r && $r->{status} == 200;
	return { $r->{body} =~ /^(\w+): (\S+)$/mg };
}
sub status_get {
	my ($path) = @_;
	return $d->request("GET $path HTTP/1.0\r\n\r\n", port => $status_port);
}

my $u = usage_of('dev1');
ok($u->{available} > 0, 'fence: dev1 starts with free space');
like(status_get('/health'), qr{\r\n\r\nok\n$}, 'fence: /health ok at first');

# 30 requests, 25 of them failing with EIO: far above the default 10 %
my ($n500, $n200) = (0, 0);
for my $i (1 .. 30) {
	my $path = $i <= 25 ? "/dev1/bad$i" : '/dev1/good';
	my $r = $d->roundtrip("GET $path HTTP/1.1\r\n\r\n");
	$n500++ if $r && $r->{status} == 500;
	$n200++ if $r && $r->{status} == 200;
}
is($n500, 25, 'fence: GETs whose open fails with EIO → 500');
is($n200, 5, 'fence: the other GETs on that device → 200');

# the EIO share is checked every 10 s
my $fenced = TestDaemon::poll_until(sub { (usage_of('dev1')->{available} // '') eq '0' },
				    TestDaemon::slow(25));
ok($fenced, 'fence: within a check interval dev1/usage reports available: 0');
$u = usage_of('dev1');
is($u->{use}, '100%', 'fence: use: 100%');
is($u->{used}, $u->{total}, 'fence: used equals total (the tracker sees no free space)');
ok($u->{total} > 0, 'fence: total is still the real size (non-zero, so the tracker reads it)');
like($d->stderr, qr/dev1: \d+ of \d+ requests failed with EIO in 5 minutes: marked failing/,
     'fence: the log says why');
my $m = status_get('/metrics');
like($m, qr/^evmogstored_device_failing\{device="dev1"\} 1$/m, 'fence: metrics show dev1 failing');
like($m, qr/^evmogstored_device_failing\{device="dev2"\} 0$/m, 'fence: dev2 is not');
like($m, qr/^evmogstored_device_errors_total\{device="dev1",class="EIO"\} 25$/m,
     'fence: the 25 EIO failures are counted');
like(status_get('/health'), qr{^HTTP/1\.1 503 .*dev1: failing}s, 'fence: /health 503 names dev1');

my $r = $d->roundtrip("GET /dev1/good HTTP/1.1\r\n\r\n");
ok($r && $r->{status} == 200 && $r->{body} eq 'good', 'fence: reads that work keep working');
$r = $d->roundtrip("PUT /dev1/newfile HTTP/1.1\r\nContent-Length: 2\r\n\r\nok");
is($r && $r->{status}, 201, 'fence: the device is not refused outright (the tracker decides)');
my $u2 = usage_of('dev2');
ok($u2->{available} > 0, 'fence: dev2 still reports free space');
$r = $d->roundtrip("GET /dev2/f HTTP/1.1\r\n\r\n");
ok($r && $r->{status} == 200, 'fence: dev2 serves');
is($d->stop('QUIT'), 0, 'fence: daemon exits 0');

# --fence-eio=0 turns it off
my $e = TestDaemon->start(devices => [1], args => ['--fence-eio=0'],
			  env => { LD_PRELOAD => $shim, MOG_FAULT_PATH => '/dev1/bad',
				   MOG_FAULT_CALLS => 'open,openat,openat2', MOG_FAULT_ERRNO => 'EIO' });
$d = $e;
$d->roundtrip("GET /dev1/bad$_ HTTP/1.1\r\n\r\n") for 1 .. 25;
sleep(TestDaemon::slow(11));
is(usage_of('dev1')->{available} > 0 ? 'free' : 'full', 'free',
   'fence: with --fence-eio=0 the device is never fenced');
is($e->stop('QUIT'), 0, 'fence: daemon exits 0');
done_testing();
