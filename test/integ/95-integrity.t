# 95-integrity.t: checksums at rest (issue 15): PUT stores CRC-32Cs in user.mog.sum, and
# the MD5 when the client sent Content-MD5 or with --put-checksums=full (else the first
# "MD5 <path> stored" that reads the whole file and matches the CRCs fills it in);
# a GET of a file with a flipped byte, a truncated file or a grown one never completes a 200;
# the file moves to devN/.quarantine/ (never served), the metrics and status page count it,
# and a fresh PUT of the path works.  Files without a record are adopted; a Content-Range
# PUT drops the record; "MD5 <path> stored" answers from the record only while it fits.
use strict;
use warnings;
use Test::More;
use Digest::MD5 qw(md5 md5_hex);
use MIME::Base64 qw(encode_base64);
use TestDaemon;

my $sport = TestDaemon::free_port();
my $d = TestDaemon->start(devices => [1],
	args => ["--statuslisten=127.0.0.1:$sport", '--scrub-rate=0']);
my $HAVE_ATTR = -x '/usr/bin/getfattr' && -x '/usr/bin/setfattr';

sub put {
	my ($path, $body, %o) = @_;
	my $extra = $o{range} ? "Content-Range: bytes $o{range}\r\n" : '';
	$extra .= 'Content-MD5: ' . encode_base64(md5($body), '') . "\r\n" if $o{md5};
	my $r = ($o{daemon} // $d)->roundtrip("PUT $path HTTP/1.1\r\nHost: t\r\n${extra}Content-Length: "
			      . length($body) . "\r\nConnection: close\r\n\r\n$body");
	return $r && $r->{status};
}

sub get {
	my ($path) = @_;
	return $d->roundtrip("GET $path HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
			     timeout => TestDaemon::slow(10));
}

sub status_get {
	my ($path) = @_;
	return $d->request("GET $path HTTP/1.0\r\n\r\n", port => $sport);
}

sub counter {
	my ($event) = @_;
	my $m = status_get('/metrics');
	return $m =~ /^evmogstored_integrity_events_total\{event="$event"\} (\d+)$/m ? $1 : undef;
}

sub has_record {
	my ($rel) = @_;
	my $p = $d->path($rel);
	return scalar(`getfattr --only-values -n user.mog.sum '$p' 2>/dev/null` =~ /^MOGS/);
}

# Overwrite bytes in place; keep_mtime: as bit rot does (no write(2) through the daemon).
sub flip {
	my ($rel, $off, %o) = @_;
	my $p = $d->path($rel);
	my @st = stat $p or die "$p: $!";
	open(my $fh, '+<:raw', $p) or die "$p: $!";
	sysseek($fh, $off, 0);
	sysread($fh, my $c, 1) == 1 or die "read $p at $off";
	sysseek($fh, $off, 0);
	syswrite($fh, chr(ord($c) ^ 0x20)) == 1 or die "write $p: $!";
	close $fh;
	utime($st[8], $st[9], $p) if $o{keep_mtime};
}

# A corrupt file's GET: never a complete 200 with the bad bytes.
sub never_complete_200 {
	my ($path, $bad, $name) = @_;
	my $r = get($path);
	my $complete_bad = $r && ($r->{status} // 0) == 200 && !$r->{incomplete} && $r->{body} eq $bad;
	ok(!$complete_bad, "$name: no complete 200 with the bad bytes")
		or diag("status $r->{status}, " . length($r->{body}) . " body bytes");
	return $r;
}

sub quarantined {
	my ($rel) = @_;
	(my $flat = $rel) =~ s{^dev1/}{};
	$flat =~ s{/}{_}g;
	opendir(my $dh, $d->path('dev1/.quarantine')) or return ();
	return grep { /^\Q$flat\E\.\d+$/ } readdir $dh;
}

my %body = (
	small => 'hello, world',				# one block: the loop's fast path
	mid => join('', map { chr(($_ * 7) & 255) } 0 .. 299_999),	# the first 256 KiB piece
	big => join('', map { chr(($_ * 13) & 255) } 0 .. 1_048_575),	# sent before the bad block
	grown => 'x' x 70_000,
	short => 'y' x 200_000,
);
for my $k (sort keys %body) {
	is(put("/dev1/0/$k.fid", $body{$k}), 201, "PUT $k");
	my $r = get("/dev1/0/$k.fid");
	ok($r->{status} == 200 && $r->{body} eq $body{$k}, "GET $k before damage: 200, same bytes");
}
is(counter('written'), scalar(keys %body), 'every whole-file PUT stored a record');
is(counter('corrupt'), 0, 'nothing corrupt yet');
SKIP: {
	skip 'getfattr not installed (attr package)', 1 unless $HAVE_ATTR;
	ok(has_record('dev1/0/big.fid'), 'the record is in user.mog.sum');
}

# the damage
flip('dev1/0/small.fid', 3, keep_mtime => 1);	# cached CRC: the loop sees the mismatch
flip('dev1/0/mid.fid', 150_000);
flip('dev1/0/big.fid', 900_000, keep_mtime => 1);	# 200 head already sent when found
truncate($d->path('dev1/0/short.fid'), 100_000) or die "truncate: $!";
{
	open(my $fh, '>>:raw', $d->path('dev1/0/grown.fid')) or die;
	print $fh 'tail';
	close $fh;
}
my %bad = map { $_ => $d->read_file("dev1/0/$_.fid") } keys %body;
for my $k (sort keys %body) {
	never_complete_200("/dev1/0/$k.fid", $bad{$k}, "GET $k after damage");
	ok(!-e $d->path("dev1/0/$k.fid"), "$k: gone from its path");
	my @q = quarantined("dev1/0/$k.fid");
	is(scalar(@q), 1, "$k: one file in dev1/.quarantine/");
	is($d->read_file("dev1/.quarantine/$q[0]"), $bad{$k}, "$k: the damaged bytes kept there")
		if @q;
	my $r = get("/dev1/.quarantine/$q[0]") if @q;
	ok($r && $r->{status} =~ /^4/, "$k: the quarantined copy is never served") if @q;
}
my $r = get('/dev1/.quarantine');
is($r->{status}, 404, 'GET /dev1/.quarantine → 404');
$d->write_file('dev1/.quarantine/0-9.fid', 'q');
$r = get('/dev1/.quarantine/0-9.fid');
is($r->{status}, 404, 'GET /dev1/.quarantine/0-9.fid → 404 (it exists)');
is(counter('corrupt'), 5, 'metrics: 5 corrupt');
is(counter('quarantined'), 5, 'metrics: 5 quarantined');
like(status_get('/'), qr{<td id="integrity-quarantined">5</td>}, 'status page: 5 quarantined');
like($d->stderr, qr{dev1/0/big\.fid: CRC-32C mismatch; moved to dev1/\.quarantine/}, 'logged');
like($d->stderr, qr{dev1/0/short\.fid: size differs}, 'truncation logged');

for my $k (sort keys %body) {
	is(put("/dev1/0/$k.fid", $body{$k}), 201, "fresh PUT of $k");
	$r = get("/dev1/0/$k.fid");
	ok($r->{status} == 200 && $r->{body} eq $body{$k}, "GET $k again: 200, good bytes");
}
is(counter('quarantined'), 5, 'nothing good quarantined');

# Files without a record are adopted only when modified over a minute ago (a younger
# one may still be being written).
sub age { my $p = $d->path($_[0]); utime(time - 3600, time - 3600, $p) or die "utime $p: $!" }

# a file another node wrote (no record): served, and adopted on its first whole read
$d->write_file('dev1/0/other.fid', $body{mid});
$r = get('/dev1/0/other.fid');
ok($r->{status} == 200 && $r->{body} eq $body{mid}, 'file just written, no record: 200');
is(counter('adopted'), 0, 'not adopted while young');
age('dev1/0/other.fid');
$r = get('/dev1/0/other.fid');
ok($r->{status} == 200 && $r->{body} eq $body{mid}, 'file without a record: 200');
is(counter('adopted'), 1, 'adopted on the first whole read');
flip('dev1/0/other.fid', 299_999);
never_complete_200('/dev1/0/other.fid', $d->read_file('dev1/0/other.fid'), 'adopted file flipped');
is(scalar(quarantined('dev1/0/other.fid')), 1, 'adopted file quarantined once damaged');

# a Content-Range PUT drops the record; the next whole read makes a new one
is(put('/dev1/0/mid.fid', 'ZZZZ', range => '10-13/300000'), 201, 'Content-Range PUT');
SKIP: {
	skip 'getfattr not installed (attr package)', 1 unless $HAVE_ATTR;
	ok(!has_record('dev1/0/mid.fid'), 'the record is gone');
}
(my $patched = $body{mid}) =~ s/^(.{10}).{4}/$1ZZZZ/s;
age('dev1/0/mid.fid');
$r = get('/dev1/0/mid.fid');
ok($r->{status} == 200 && $r->{body} eq $patched, 'patched file: 200, not quarantined');
is(counter('adopted'), 2, 'and adopted again');

# a record removed by hand: the file is adopted again, never quarantined
SKIP: {
	skip 'setfattr not installed (attr package)', 2 unless $HAVE_ATTR;
	my $p = $d->path('dev1/0/grown.fid');
	system('setfattr', '-x', 'user.mog.sum', $p) == 0 or die 'setfattr failed';
	age('dev1/0/grown.fid');
	$r = get('/dev1/0/grown.fid');
	ok($r->{status} == 200 && $r->{body} eq $body{grown}, 'record removed: 200');
	ok(has_record('dev1/0/grown.fid'), 'record made again');
}

# the sideband: "MD5 <path>" reads the file; "MD5 <path> stored" may use the record
my $s = $d->connect('mgmt');
my $want = md5_hex($body{big});
TestDaemon::write_all($s, "MD5 /dev1/0/big.fid stored\r\n");
is(TestDaemon::read_line($s), "/dev1/0/big.fid MD5=$want\r\n", 'MD5 ... stored: the recorded MD5');
flip('dev1/0/big.fid', 5);
my $now_md5 = md5_hex($d->read_file('dev1/0/big.fid'));
TestDaemon::write_all($s, "MD5 /dev1/0/big.fid stored\r\n");
is(TestDaemon::read_line($s), "/dev1/0/big.fid MD5=$now_md5\r\n",
   'MD5 ... stored after a write: the record no longer fits, the file is read');
TestDaemon::write_all($s, "MD5 /dev1/0/big.fid\r\n");
is(TestDaemon::read_line($s), "/dev1/0/big.fid MD5=$now_md5\r\n", 'plain MD5 reads the file');
TestDaemon::write_all($s, "MD5 /dev1/0/big.fid storedx\r\n");
is(TestDaemon::read_line($s), "/dev1/0/big.fid MD5=$now_md5\r\n", 'another reason word: read');

# The MD5 in the record (hex), 'unknown' (CRCs only: flag 1 at byte 6), or 'none'.
sub rec_md5 {
	my ($rel, $daemon) = @_;
	my $p = ($daemon // $d)->path($rel);
	my $v = `getfattr --only-values -n user.mog.sum '$p' 2>/dev/null`;
	return 'none' unless $v =~ /^MOGS/;
	return (ord(substr($v, 6, 1)) & 1) ? 'unknown' : unpack('H*', substr($v, 40, 16));
}

sub md5_line {
	my ($path, $how) = @_;
	TestDaemon::write_all($s, "MD5 $path$how\r\n");
	return TestDaemon::read_line($s);
}

# --put-checksums=crc (the default): the MD5 only when the client sent it
my $crc_body = join('', map { chr(($_ * 11) & 255) } 0 .. 199_999);
for my $k (qw(crc fill fillbad)) {
	is(put("/dev1/0/$k.fid", $crc_body), 201, "PUT $k without Content-MD5");
}
is(put('/dev1/0/md5.fid', $crc_body, md5 => 1), 201, 'PUT with Content-MD5');
SKIP: {
	skip 'getfattr not installed (attr package)', 2 unless $HAVE_ATTR;
	is(rec_md5('dev1/0/crc.fid'), 'unknown', 'no Content-MD5: a record with the CRCs only');
	is(rec_md5('dev1/0/md5.fid'), md5_hex($crc_body), 'Content-MD5: the record keeps it');
}
my $q0 = counter('quarantined');
flip('dev1/0/crc.fid', 130_000, keep_mtime => 1);
never_complete_200('/dev1/0/crc.fid', $d->read_file('dev1/0/crc.fid'), 'CRC-only record, flipped');
is(scalar(quarantined('dev1/0/crc.fid')), 1, 'CRC-only record: the flip is found, quarantined');
is(counter('quarantined'), $q0 + 1, 'counted');

# "MD5 <path> stored" on a CRC-only record reads the file, answers the true MD5 and keeps it
is(md5_line('/dev1/0/fill.fid', ' stored'), "/dev1/0/fill.fid MD5=" . md5_hex($crc_body) . "\r\n",
   'MD5 ... stored, CRC-only record: the true MD5');
SKIP: {
	skip 'getfattr not installed (attr package)', 1 unless $HAVE_ATTR;
	is(rec_md5('dev1/0/fill.fid'), md5_hex($crc_body), 'and the record has it now');
}
{	# silent, to the nanosecond (touch -r): the record still fits the file
	my ($p, $ref) = ($d->path('dev1/0/fill.fid'), "$d->{dir}/mtime.ref");
	system('touch', '-r', $p, $ref) == 0 or die 'touch failed';
	flip('dev1/0/fill.fid', 7);
	system('touch', '-r', $ref, $p) == 0 or die 'touch failed';
}
is(md5_line('/dev1/0/fill.fid', ' stored'), "/dev1/0/fill.fid MD5=" . md5_hex($crc_body) . "\r\n",
   'MD5 ... stored answers from the record');
# a damaged file never lends its MD5 to the record
flip('dev1/0/fillbad.fid', 100_000, keep_mtime => 1);
my $bad_md5 = md5_hex($d->read_file('dev1/0/fillbad.fid'));
is(md5_line('/dev1/0/fillbad.fid', ' stored'), "/dev1/0/fillbad.fid MD5=$bad_md5\r\n",
   'MD5 ... stored, CRC-only record, damaged file: the MD5 of what is there');
SKIP: {
	skip 'getfattr not installed (attr package)', 1 unless $HAVE_ATTR;
	is(rec_md5('dev1/0/fillbad.fid'), 'unknown', 'not kept: the bytes do not match the CRCs');
}
$d->stop;

# put_checksums = full (--put-checksums=full): every whole-file PUT stores its MD5
my $cf = TestDaemon::new_tmpdir() . '/evmogstored.conf';
open(my $cfh, '>', $cf) or die "$cf: $!";
print $cfh "put_checksums = full\n";
close $cfh or die;
my $f = TestDaemon->start(devices => [1], args => ['--scrub-rate=0', "--config=$cf"]);
is(put('/dev1/0/full.fid', $crc_body, daemon => $f), 201, 'put_checksums = full: PUT');
SKIP: {
	skip 'getfattr not installed (attr package)', 1 unless $HAVE_ATTR;
	is(rec_md5('dev1/0/full.fid', $f), md5_hex($crc_body), 'the MD5 stored without Content-MD5');
}
$f->stop;
my ($rc, undef, $err) = TestDaemon::run_cli(['--put-checksums=md5']);
is($rc, 1, '--put-checksums=md5: exit 1');
like($err, qr/failed to parse --put-checksums=md5 \(expected crc or full\)/, 'and says why');
done_testing();
