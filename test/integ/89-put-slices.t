# 89-put-slices.t: a large PUT body does not monopolise its device's only thread
# (issue 12, item 5).  With --threads=1 and every write() of the upload slowed down by the
# fault shim (so the client is always ahead and the socket never runs dry), a sideband
# `size` on the same device must be answered while the PUT is still in progress: the
# body is read in slices and the PUT goes back to the queue between them.  Checked by
# order (the size answer comes first, the PUT's file is not there yet), not by timing.
use strict;
use warnings;
use Test::More;
use POSIX qw(_exit);
use Time::HiRes qw(sleep);
use TestDaemon;
use FaultShim;

my $why = FaultShim::skip_reason();
plan skip_all => $why if $why;

my $MB = 1024 * 1024;
my $LEN = 48 * $MB;
my $d = TestDaemon->start(devices => [1], args => ['--threads=1'],
			  env => { LD_PRELOAD => $ENV{FAULTSHIM}, MOG_FAULT_PATH => '/dev1/0/',
				   MOG_FAULT_CALLS => 'write', MOG_FAULT_DELAY_MS => 10 });
$d->write_file('dev1/sz', 'hello');
mkdir $d->path('dev1/0');
my $dir = $d->path('dev1/0');

my $put = $d->connect;
my $pid = fork // die "fork: $!";
if ($pid == 0) {	# the uploader: as fast as the daemon takes it
	my $chunk = 'x' x $MB;
	TestDaemon::write_all($put, "PUT /dev1/0/big.fid HTTP/1.1\r\nHost: t\r\nContent-Length: $LEN\r\n\r\n");
	TestDaemon::write_all($put, $chunk) for 1 .. $LEN / $MB;
	_exit(0);
}

# the upload is under way: its temp file has grown past 2 MiB
my $tmp_size = sub { my ($f) = glob("$dir/big.fid.*.tmp"); $f ? (-s $f // 0) : 0 };
ok(TestDaemon::poll_until(sub { $tmp_size->() > 2 * $MB }, TestDaemon::slow(20)),
   'the PUT is writing its temp file');

my $m = $d->connect('mgmt');
TestDaemon::write_all($m, "size /dev1/sz\r\n");
my $line = TestDaemon::read_line($m, TestDaemon::slow(60));
my $progress = $tmp_size->();
my $done = -e "$dir/big.fid";
is($line, "/dev1/sz 5\r\n", 'the sideband size on the same device is answered');
ok(!$done && $progress < $LEN, "... while the PUT is still in progress ($progress of $LEN bytes"
   . ' written, not renamed yet)');
is(TestDaemon::read_avail($put, 0.01), '', '... and before the PUT is answered');

waitpid($pid, 0);
my $r = TestDaemon::read_response($put, timeout => TestDaemon::slow(60));
is($r && $r->{status}, 201, 'the PUT completes: 201');
is(-s "$dir/big.fid", $LEN, 'the whole body is stored');
is($d->stop('QUIT'), 0, 'exits 0');
done_testing();
