# 24-get-memory.t: GET and HEAD of a small file already in memory are answered on the event
# loop, without a device pool, on ext4-or-whatever below the test directory and on tmpfs
# (which refuses preadv2(RWF_NOWAIT)); /metrics counts where each was served
# (evmogstored_http_get_served_total{via="memory"|"pool"}).
use strict;
use warnings;
use File::Temp qw(tempdir);
use Test::More;
use TestDaemon;

my $T = TestDaemon::slow(5);
my $shm = -d '/dev/shm' && -w '/dev/shm' && `stat -f -c %T /dev/shm 2>/dev/null` =~ /^tmpfs/
	? tempdir('evmog-shm-XXXXXX', DIR => '/dev/shm', CLEANUP => 1) : undef;
my $d = TestDaemon->start(devices => [1], status => 1, setup => sub {
	# dev2 on tmpfs: a device directory may be a symlink to its mount point
	symlink($shm, "$_[0]{docroot}/dev2") or die "symlink: $!" if $shm;
});
my $st = $d->connect('status');

sub served_once {
	TestDaemon::write_all($st, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	my $r = TestDaemon::read_response($st, timeout => $T);
	my %v = map { $_ => ($r->{body} =~ /^evmogstored_http_get_served_total\{via="$_"\} (\d+)$/m
			     ? $1 : undef) } qw(memory pool);
	return \%v;
}

# The counts once two scrapes agree: a loop thread (--loops) counts a request just after
# sending its last byte, so the one answered last may be counted a moment later.
sub served {
	my ($v, $prev);
	TestDaemon::poll_until(sub {
		$prev = $v;
		$v = served_once();
		return $prev && join(',', map { $_ // '-' } @$prev{qw(memory pool)})
			eq join(',', map { $_ // '-' } @$v{qw(memory pool)});
	}, $T);
	return $v;
}

sub get {
	my ($s, $m, $path) = @_;
	TestDaemon::write_all($s, "$m $path HTTP/1.1\r\nHost: x\r\n\r\n");
	return TestDaemon::read_response($s, timeout => $T, head => $m eq 'HEAD');
}

my $v = served();
is_deeply($v, { memory => 0, pool => 0 }, 'get_served_total: both series, at 0');

my $body = join('', map { chr(($_ * 7) & 255) } 0 .. 4095);
for my $dev ('dev1', $shm ? 'dev2' : ()) {
	my $s = $d->connect('http');
	# one file PUT through the daemon, one written behind its back
	TestDaemon::write_all($s, "PUT /$dev/put HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n$body");
	is(TestDaemon::read_response($s, timeout => $T)->{status}, 201, "$dev: PUT 201");
	$d->write_file("$dev/plain", $body);
	for my $f ("/$dev/put", "/$dev/plain") {
		my $r = get($s, 'GET', $f);	# the first may open the file on the pool
		is($r->{body}, $body, "GET $f: the body");
		my $before = served();
		for my $i (1, 2) {
			$r = get($s, 'GET', $f);
			ok($r->{status} == 200 && $r->{body} eq $body, "GET $f again ($i): 200, the body");
		}
		$r = get($s, 'HEAD', $f);
		is($r->{headers}{'content-length'}, 4096, "HEAD $f: Content-Length");
		my $after = served();
		SKIP: {
			# valgrind answers openat2 with ENOSYS: every GET goes to a pool
			skip('under valgrind (no openat2): the memory path is never taken', 2)
				if TestDaemon::valgrind();
			is($after->{memory} - $before->{memory}, 3,
			   "$f: the repeated GETs and the HEAD were served from memory")
				or diag(explain($before, $after));
			is($after->{pool} - $before->{pool}, 0, "$f: none went to a pool");
		}
	}
	close $s;
}
diag('/dev/shm is not a writable tmpfs: only the test directory\'s filesystem checked') unless $shm;

# a file too large for the loop's buffer goes to the pool
{
	my $big = 'x' x (256 * 1024);
	$d->write_file('dev1/big', $big);
	my $s = $d->connect('http');
	my $before = served();
	is(get($s, 'GET', '/dev1/big')->{body}, $big, 'GET of 256 KiB: the body');
	my $after = served();
	is($after->{pool} - $before->{pool}, 1, '256 KiB: sent by a pool thread');
}

is($d->stop, 0, 'clean exit');
done_testing();
