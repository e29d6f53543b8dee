# 80-fault-enospc.t: disk errors injected at the syscall boundary (test/fault/faultshim.c):
# ENOSPC/EDQUOT → 507, EIO → 500 / MD5=-1 / ERR read, EMFILE → 503, and nothing left behind
# (doc/protocol.md, Commit, PUT errors, Status summary, MD5 and SHA-1).
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use TestDaemon;
use FaultShim;

# ---- the shim (test/integ/FaultShim.pm) ----
sub shim_skip_reason { FaultShim::skip_reason() }
my $why = shim_skip_reason();
plan skip_all => $why if $why;

my $fault_file = TestDaemon::new_tmpdir() . '/faults';
# --scrub-rate=0: the descriptor baseline below must not include a scrubber's pass
my $d = TestDaemon->start(devices => [1, 2], args => ['--scrub-rate=0'],
			  env => { LD_PRELOAD => $ENV{FAULTSHIM}, MOG_FAULT_FILE => $fault_file,
				   MOG_FAULT_VERBOSE => 1 });
my $gen = 0;

sub mgmt_line {
	my ($req) = @_;
	my $s = $d->connect('mgmt');
	TestDaemon::write_all($s, $req);
	my $buf = TestDaemon::rbuf($s);
	my $deadline = time + TestDaemon::slow(5);
	while (index($$buf, "\n") < 0) {
		last if !TestDaemon::fill($s, $deadline);
	}
	my $i = index($$buf, "\n");
	my $line = $i < 0 ? undef : substr($$buf, 0, $i + 1);
	close $s;
	return $line;
}

# Replace the shim's settings (atomically) and wait until the daemon has loaded them:
# the shim re-reads the file at most every 100 ms, on any wrapped call, and logs it.
sub set_faults { FaultShim::set_faults($d, $fault_file, \$gen, @_) }
sub no_faults { set_faults() }

sub injected {
	my ($re) = @_;
	my @n = $d->stderr =~ /$re/g;
	return scalar @n;
}

my $norm = \&TestDaemon::normalize;
my $EXACT_507_CLOSE = TestDaemon::exact_status(507, 'close');
my $EXACT_500_CLOSE = TestDaemon::exact_status(500, 'close');
my $EXACT_500_KEEP = TestDaemon::exact_status(500);

# A PUT that must fail with $code and close, leaving nothing at the path and no temp file.
sub put_fails {
	my ($raw, $code, $name, %o) = @_;
	my ($r, $s) = $d->roundtrip($raw);
	is($r && $norm->($r->{raw}), TestDaemon::exact_status($code, 'close'),
	   "$name → exact $code, Connection: close");
	ok(TestDaemon::is_eof($s, 5), "$name: then the connection is closed");
	close $s;
	if ($o{path}) {
		ok(!-e $d->path($o{path}), "$name: nothing at $o{path}");
	}
	my @t = $d->tmpfiles($o{dir} // 'dev1');
	is("@t", '', "$name: no *.tmp left in " . ($o{dir} // 'dev1'));
}

sub get_ok {
	my ($path, $body, $name, $s) = @_;
	$s //= $d->connect('http');
	TestDaemon::write_all($s, "GET $path HTTP/1.1\r\nHost: t\r\n\r\n");
	my $r = TestDaemon::read_response($s);
	ok($r && $r->{status} == 200 && $r->{body} eq $body, "$name: GET $path → 200 with its bytes")
		or diag(explain($r));
	return $s;
}

$d->write_file('dev1/keep', 'keep1');
$d->write_file('dev2/keep', 'keep2');
$d->write_file('dev1/x', 'xxxx');
$d->write_file('dev1/del-me', 'bye');
$d->write_file('dev1/sub/.keep', '');
my $big_len = 600 * 1024;
$d->write_file('dev1/big', 'b' x $big_len);

# warm up (first GET on each device, a sideband round), then the descriptor baseline
close get_ok('/dev1/keep', 'keep1', 'warm-up');
close get_ok('/dev2/keep', 'keep2', 'warm-up');
no_faults();
my $fd_base;
TestDaemon::poll_until(sub { my $n = $d->fd_count; my $same = defined $fd_base && $n == $fd_base;
			     $fd_base = $n; $same }, 2);
ok(defined $fd_base && $fd_base > 0, "daemon descriptor baseline: $fd_base");

my $body4k = 'a' x 4096;

# ---- ENOSPC / EDQUOT while writing a PUT body ----
set_faults(PATH => '/dev1/', CALLS => 'write,pwrite', ERRNO => 'ENOSPC');
put_fails("PUT /dev1/enospc HTTP/1.1\r\nHost: t\r\nContent-Length: 4096\r\n\r\n$body4k", 507,
	  'fault: ENOSPC during PUT → 507', path => 'dev1/enospc');
ok(injected(qr/write #\d+: fail with ENOSPC/) >= 1, 'fault: ENOSPC during PUT: the shim failed a write');
put_fails("PUT /dev1/sub/enospc HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 507,
	  'fault: ENOSPC during PUT in a subdirectory → 507', path => 'dev1/sub/enospc',
	  dir => 'dev1/sub');
put_fails("PUT /dev1/chunked HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	  507, 'fault: ENOSPC during chunked PUT → 507', path => 'dev1/chunked');
{
	my ($r, $s) = $d->roundtrip("PUT /dev1/part HTTP/1.1\r\nContent-Range: bytes 0-9/*\r\n"
				    . "Content-Length: 10\r\n\r\n0123456789");
	is($r && $norm->($r->{raw}), $EXACT_507_CLOSE,
	   'fault: ENOSPC during partial PUT (pwrite) → exact 507, Connection: close');
	ok(TestDaemon::is_eof($s, 5), 'fault: ENOSPC during partial PUT: then closed');
	ok(injected(qr/pwrite #\d+: fail with ENOSPC/) >= 1, 'fault: the shim failed a pwrite');
	ok(!-s $d->path('dev1/part'), 'fault: ENOSPC during partial PUT: no byte written');
}
# a PUT over an existing file leaves the old content
put_fails("PUT /dev1/keep HTTP/1.1\r\nContent-Length: 3\r\n\r\nnew", 507,
	  'fault: ENOSPC during PUT over an existing file → 507');
is($d->read_file('dev1/keep'), 'keep1', 'fault: ENOSPC during PUT: the old file is untouched');
# other requests keep working while the disk is full
{
	my $s = get_ok('/dev1/keep', 'keep1', 'fault: ENOSPC: other files on dev1 still served');
	get_ok('/dev2/keep', 'keep2', 'fault: ENOSPC: dev2 still served, same connection', $s);
	TestDaemon::write_all($s, "DELETE /dev1/del-me HTTP/1.1\r\n\r\n");
	my $r = TestDaemon::read_response($s);
	is($r && $r->{status}, 204, 'fault: ENOSPC: DELETE on dev1 still works → 204');
	ok(!-e $d->path('dev1/del-me'), 'fault: ENOSPC: DELETE removed the file');
	TestDaemon::write_all($s, "GET /dev1/usage HTTP/1.1\r\n\r\n");
	$r = TestDaemon::read_response($s);
	ok($r && $r->{status} == 200 && $r->{body} =~ /^available: \d+$/m,
	   'fault: ENOSPC: GET /dev1/usage still served (in-memory copy)');
	is(mgmt_line("size /dev1/keep\r\n"), "/dev1/keep 5\r\n", 'fault: ENOSPC: sideband size still works');
	close $s;
}
# a large upload: the disk fills after two writes while the client is still sending; the
# 507 may be followed by a reset (doc/protocol.md, PUT errors), but nothing may stay behind
set_faults(PATH => '/dev1/', CALLS => 'write', ERRNO => 'ENOSPC', AFTER => 2);
{
	my $s = $d->connect('http');
	my $len = 4 * 1024 * 1024;
	TestDaemon::write_all($s, "PUT /dev1/large HTTP/1.1\r\nContent-Length: $len\r\n\r\n");
	my $chunk = 'L' x 65536;
	for (1 .. 8) {
		last if TestDaemon::write_all($s, $chunk) < length $chunk;
	}
	my $r = TestDaemon::read_response($s, timeout => 5);
	ok(!defined $r || ($r->{status} // 0) == 507,
	   'fault: ENOSPC in the middle of a large PUT → 507 (or a reset), never a success')
		or diag(explain($r));
	ok(TestDaemon::is_eof($s, 5), 'fault: ENOSPC in a large PUT: connection closed');
	close $s;
	ok(!-e $d->path('dev1/large'), 'fault: ENOSPC in a large PUT: nothing at dev1/large');
	my @t;
	TestDaemon::poll_until(sub { @t = $d->tmpfiles('dev1'); !@t }, 2);
	is("@t", '', 'fault: ENOSPC in a large PUT: the partly written temp file is removed');
}
set_faults(PATH => '/dev1/', CALLS => 'write,pwrite', ERRNO => 'EDQUOT');
put_fails("PUT /dev1/edquot HTTP/1.1\r\nContent-Length: 4096\r\n\r\n$body4k", 507,
	  'fault: EDQUOT during PUT → 507', path => 'dev1/edquot');
set_faults(PATH => '/dev1/', CALLS => 'write', ERRNO => 'EIO');
put_fails("PUT /dev1/eio-write HTTP/1.1\r\nContent-Length: 4096\r\n\r\n$body4k", 500,
	  'fault: EIO during PUT write → 500', path => 'dev1/eio-write');

# ---- errors while creating the temp file or its directories ----
set_faults(PATH => '/dev1/', CALLS => 'openat,openat2', ERRNO => 'ENOSPC');
put_fails("PUT /dev1/enospc-open HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 507,
	  'fault: ENOSPC creating the PUT temp file → 507', path => 'dev1/enospc-open');
set_faults(PATH => '/dev1/', CALLS => 'mkdirat', ERRNO => 'ENOSPC');
put_fails("PUT /dev1/newdir/f HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 507,
	  'fault: ENOSPC creating a PUT directory → 507', path => 'dev1/newdir');
set_faults(PATH => '/dev1/', CALLS => 'mkdirat', ERRNO => 'EACCES');
put_fails("PUT /dev1/newdir/f HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 403,
	  'fault: EACCES creating a PUT directory → 403', path => 'dev1/newdir');

# ---- commit failures: fdatasync, rename, directory fsync ----
set_faults(PATH => '/dev1/', CALLS => 'fdatasync', ERRNO => 'EIO');
put_fails("PUT /dev1/sync HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 500,
	  'fault: EIO on fdatasync during PUT → 500', path => 'dev1/sync');
ok(injected(qr/fdatasync #\d+: fail with EIO/) >= 1, 'fault: the shim failed an fdatasync');
set_faults(PATH => '/dev1/', CALLS => 'fdatasync', ERRNO => 'ENOSPC');
put_fails("PUT /dev1/sync HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 507,
	  'fault: ENOSPC on fdatasync during PUT → 507', path => 'dev1/sync');
set_faults(PATH => '/dev1/', CALLS => 'renameat', ERRNO => 'EIO');
put_fails("PUT /dev1/ren HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 500,
	  'fault: EIO on rename during PUT → 500', path => 'dev1/ren');
put_fails("PUT /dev1/keep HTTP/1.1\r\nContent-Length: 3\r\n\r\nnew", 500,
	  'fault: EIO on rename over an existing file → 500');
is($d->read_file('dev1/keep'), 'keep1', 'fault: EIO on rename: the old file is untouched');
set_faults(PATH => '/dev1', CALLS => 'fsync', ERRNO => 'EIO');	# the fd is dev1 itself
put_fails("PUT /dev1/dsync HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 500,
	  'fault: EIO on the directory fsync during PUT → 500');
ok(injected(qr/fsync #\d+: fail with EIO/) >= 1, 'fault: the shim failed a directory fsync');

# ---- DELETE errors ----
set_faults(PATH => '/dev1/x', CALLS => 'unlinkat', ERRNO => 'EIO');
{
	my ($r, $s) = $d->roundtrip("DELETE /dev1/x HTTP/1.1\r\n\r\n");
	is($r && $norm->($r->{raw}), $EXACT_500_KEEP, 'fault: EIO on unlink → DELETE 500, keep-alive');
	get_ok('/dev1/x', 'xxxx', 'fault: EIO on unlink: connection kept, file still there', $s);
	close $s;
}

# ---- EIO / EACCES opening a file for GET and sideband digests ----
set_faults(PATH => '/dev1/x', CALLS => 'open,openat,openat2', ERRNO => 'EIO');
{
	my ($r, $s) = $d->roundtrip("GET /dev1/x HTTP/1.1\r\nHost: t\r\n\r\n");
	is($r && $norm->($r->{raw}), $EXACT_500_KEEP, 'fault: EIO on open → GET 500, keep-alive');
	get_ok('/dev2/keep', 'keep2', 'fault: EIO on open: the connection stays usable', $s);
	TestDaemon::write_all($s, "HEAD /dev1/x HTTP/1.1\r\n\r\n");
	$r = TestDaemon::read_response($s, head => 1);
	is($r && $r->{status}, 500, 'fault: EIO on open → HEAD 500');
	close $s;
	ok(injected(qr/openat2? #\d+: fail with EIO/) >= 1, 'fault: the shim failed an open');
	is(mgmt_line("MD5 /dev1/x\r\n"), "/dev1/x MD5=-1\r\n", 'fault: EIO on open → sideband MD5=-1');
	is(mgmt_line("SHA-1 /dev1/x fsck\r\n"), "/dev1/x SHA-1=-1\r\n",
	   'fault: EIO on open → sideband fsck SHA-1=-1');
}
set_faults(PATH => '/dev1/x', CALLS => 'open,openat,openat2', ERRNO => 'EACCES');
{
	my ($r, $s) = $d->roundtrip("GET /dev1/x HTTP/1.1\r\nHost: t\r\n\r\n");
	is($r && $norm->($r->{raw}), TestDaemon::exact_status(403),
	   'fault: EACCES on open → GET 403, keep-alive');
	close $s;
}

# ---- EIO while reading for a digest ----
set_faults(PATH => '/dev1/big', CALLS => 'read,pread', ERRNO => 'EIO');
is(mgmt_line("MD5 /dev1/big\r\n"), "ERR read /dev1/big at 0 failed\r\n",
   'fault: EIO on read during sideband MD5 → ERR read … at 0');
ok(injected(qr/pread #\d+: fail with EIO/) >= 1, 'fault: the shim failed a pread');
set_faults(PATH => '/dev1/big', CALLS => 'read,pread', ERRNO => 'EIO', AFTER => 1);
{
	my $line = mgmt_line("MD5 /dev1/big fsck\r\n") // '';
	my ($at) = $line =~ m{^ERR read /dev1/big at (\d+) failed\r\n\z};
	ok(defined $at && $at > 0 && $at < $big_len,
	   'fault: EIO on the second read of an fsck MD5 → ERR read at the bytes read so far')
		or diag("got: $line");
}
get_ok('/dev1/big', 'b' x $big_len, 'fault: EIO on pread: GET (sendfile) still serves the file');

# ---- EIO in sendfile: the body cannot be completed, the connection must drop ----
set_faults(PATH => '/dev1/big', CALLS => 'sendfile', ERRNO => 'EIO');
{
	my $s = $d->connect('http');
	TestDaemon::write_all($s, "GET /dev1/big HTTP/1.1\r\n\r\n");
	my $r = TestDaemon::read_response($s, timeout => 5);
	ok($r && $r->{status} == 200 && $r->{incomplete},
	   'fault: EIO in sendfile → 200 head, body cut short');
	ok(TestDaemon::is_eof($s, 5), 'fault: EIO in sendfile → connection closed (never padded)');
	close $s;
}

# ---- EMFILE: descriptor exhaustion on open ----
set_faults(PATH => '/dev1/', CALLS => 'open,openat,openat2', ERRNO => 'EMFILE');
{
	my ($r, $s) = $d->roundtrip("GET /dev1/keep HTTP/1.1\r\nHost: t\r\n\r\n", timeout => 10);
	# no idle connection to shed: 503 (doc/evmogstored.8, --maxconns)
	is($r && $r->{status}, 503, 'fault: EMFILE on open → GET 503');
	close $s;
	put_fails("PUT /dev1/emfile HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 503,
		  'fault: EMFILE on open → PUT 503', path => 'dev1/emfile');
	close get_ok('/dev2/keep', 'keep2', 'fault: EMFILE on dev1: the daemon keeps serving dev2');
	is(mgmt_line("size /dev2/keep\r\n"), "/dev2/keep 5\r\n",
	   'fault: EMFILE on dev1: the sideband keeps working');
}

# ---- faults off: everything back to normal, no descriptor leaked ----
no_faults();
close get_ok('/dev1/keep', 'keep1', 'fault: after the faults dev1 serves again');
{
	my $r = $d->roundtrip("PUT /dev1/after HTTP/1.1\r\nContent-Length: 5\r\n\r\nafter");
	is($r && $r->{status}, 201, 'fault: after the faults PUT works again → 201');
	is($d->read_file('dev1/after'), 'after', 'fault: after the faults the PUT content is right');
}
my $fd_now;
TestDaemon::poll_until(sub { ($fd_now = $d->fd_count) == $fd_base }, TestDaemon::slow(5));
is($fd_now, $fd_base, 'fault: daemon descriptor count back to its baseline (no fd leaked)')
	or diag(join "\n", map { "$_ -> " . (readlink("/proc/$d->{pid}/fd/$_") // '?') }
			    sort { $a <=> $b } grep { /^\d+$/ } do {
				opendir(my $dh, "/proc/$d->{pid}/fd"); readdir $dh });
my @t = ($d->tmpfiles('dev1'), $d->tmpfiles('dev1/sub'), $d->tmpfiles('dev2'));
is("@t", '', 'fault: no *.tmp anywhere at the end');
is($d->stop('QUIT'), 0, 'daemon exits 0 after the faults');

done_testing();
