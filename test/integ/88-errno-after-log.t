# 88-errno-after-log.t: what a failed PUT counts does not depend on logging (issue 12, item 7).
# The daemon's stderr is /dev/full, so every log line fails with ENOSPC.  A PUT whose
# write() or fdatasync() fails with EIO must still be answered 500 (not 507, which is what
# the ENOSPC of the log write would give) and be counted as EIO (which feeds fencing).
use strict;
use warnings;
use Test::More;
use TestDaemon;
use FaultShim;

my $why = FaultShim::skip_reason();
plan skip_all => $why if $why;
my $shim = $ENV{FAULTSHIM};

for my $call ('write', 'fdatasync') {
	my $d = TestDaemon->start(devices => [1], status => 1,
				  wrap => ['sh', '-c', 'exec "$@" 2>/dev/full', 'sh'],
				  env => { LD_PRELOAD => $shim, MOG_FAULT_PATH => '/dev1/',
					   MOG_FAULT_CALLS => $call, MOG_FAULT_ERRNO => 'EIO' });
	my $r = $d->roundtrip("PUT /dev1/0/000/000/0000000001.fid HTTP/1.1\r\nHost: t\r\n"
			      . "Content-Length: 5\r\n\r\nhello");
	is($r && $r->{status}, 500, "$call fails with EIO, logging fails with ENOSPC: 500");
	# a loop thread counts the request just after sending its reply: scrape until counted
	my $m;
	TestDaemon::poll_until(sub {
		$m = $d->request("GET /metrics HTTP/1.0\r\n\r\n", port => $d->{status_port});
		$m =~ /^evmogstored_device_errors_total\{device="dev1",class="EIO"\} [1-9]/m;
	}, TestDaemon::slow(5));
	like($m, qr/^evmogstored_device_errors_total\{device="dev1",class="EIO"\} 1$/m,
	     "$call EIO: counted as EIO");
	like($m, qr/^evmogstored_device_errors_total\{device="dev1",class="ENOSPC"\} 0$/m,
	     "$call EIO: not counted as ENOSPC");
	is($d->stop('QUIT'), 0, "$call EIO: exits 0");
}
done_testing();
