# 30-put.t: PUT with Content-Length and the Content-MD5 header (doc/protocol.md, PUT).
use strict;
use warnings;
use Test::More;
use Digest::MD5 qw(md5_base64);
use Errno qw(EAGAIN EWOULDBLOCK);
use POSIX qw(_exit);
use Time::HiRes qw(time sleep);
use TestDaemon;

umask 027;	# H129: distinguishes 0666 & ~umask from the usual 0644
my $mnt_ok;	# H133: dev2 is a 256 KiB tmpfs, mounted before the daemon starts (needs root)
my $d = TestDaemon->start(devices => [1, 2, 666], setup => sub {
	my $mnt = $_[0]->path('dev2');
	$mnt_ok = $> == 0 && system("mount -t tmpfs -o size=256k tmpfs '$mnt' 2>/dev/null") == 0;
});
END { if ($mnt_ok && $d) { $d->kill_now; system("umount '$d->{docroot}/dev2'") } }
my $norm = \&TestDaemon::normalize;
my $EXACT_201 = TestDaemon::exact_201();
my $MD5_ABCDE = 'q1a02StAcTrMWviZhdS3hg==';

# H116
{
	my $s = $d->connect('http');
	for my $i (0 .. 3) {
		TestDaemon::write_all($s, "PUT /dev666/$i/foo$i HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\n"
				      . "Content-Length: 5\r\n\r\nBODY!");
		my $r = TestDaemon::read_response($s);
		is($r && $r->{status}, 201, "H116 PUT /dev666/$i/foo$i on one keep-alive connection → 201");
		is($d->read_file("dev666/$i/foo$i"), 'BODY!', "H116 /dev666/$i/foo$i holds BODY!");
	}
	ok(-d $d->path('dev666/3'), 'H116 directories created');
}
# H117 - H120
$d->bad("PUT /dev777/foo HTTP/1.1\r\nContent-Length: 5\r\n\r\nBODY!", 404, 'H117 PUT /dev777/foo without dev777');
ok(!-e $d->path('dev777'), 'H117 dev777 still absent');
$d->bad("PUT /dev777/foo/ HTTP/1.1\r\nContent-Length: 5\r\n\r\nBODY!", 400, 'H118 PUT /dev777/foo/');
$d->bad("PUT /foo HTTP/1.1\r\nContent-Length: 5\r\n\r\nBODY!", 400, 'H118 PUT /foo');
$d->bad("PUT /dev123/foo/ HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 400, 'H118 PUT /dev123/foo/');
$d->bad("PUT /dev/abc HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 400, 'H118 PUT /dev/abc');
$d->bad("PUT /devx/abc HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 400, 'H118 PUT /devx/abc');
$d->bad("PUT /dev1// HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 400, 'H118 PUT /dev1//');
$d->bad("PUT /// HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 400, 'H118 PUT ///');
ok(!-e $d->path('foo') && !-e $d->path('dev777') && !-e $d->path('dev123'),
   'H118 neither D/foo nor D/dev777 exists afterwards');
$d->bad("PUT /dev1 HTTP/1.1\r\nContent-Length: 5\r\n\r\nBODY!", 400, 'H119 PUT /dev1');
ok(-d $d->path('dev1'), 'H119 dev1 is still a directory');
$d->bad("PUT /dev1/../ab HTTP/1.1\r\nContent-Length: 5\r\n\r\nBODY!", 403, 'H120 PUT /dev1/../ab');
ok(!-e $d->path('ab') && !-e $d->path('dev1/ab'), 'H120 nothing created');
# H121
{
	my $r = $d->roundtrip("PUT /dev1/x HTTP/1.1\r\nContent-Length: 1\r\n\r\nx");
	is($r->{status}, 201, 'H121 PUT /dev1/x → 201');
	is($d->read_file('dev1/x'), 'x', 'H121 content');
	$r = $d->roundtrip("PUT /dev1//xy HTTP/1.1\r\nContent-Length: 1\r\n\r\ny");
	is($r->{status}, 201, 'H121 PUT /dev1//xy → 201');
	$r = $d->roundtrip("PUT /dev1/test-write/test-write-7 HTTP/1.1\r\nContent-Length: 1\r\n\r\nz");
	is($r->{status}, 201, 'H121 PUT /dev1/test-write/test-write-7 → 201');
}
# H122
{
	my ($r, $s) = $d->roundtrip("PUT /dev666/zero HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	is($norm->($r->{raw}), $EXACT_201, 'H122 Content-Length: 0 → exact 201');
	is($d->read_file('dev666/zero'), '', 'H122 empty file');
	is(TestDaemon::read_avail($s, 1), '', 'H122 nothing else readable within 1 s');
}
# H123
{
	my $all = $d->request("PUT /dev666/nolen HTTP/1.0\r\n\r\nthese bytes are not a body");
	like($norm->($all), qr{^\Q${\TestDaemon::exact_201('close')}\E}, 'H123 HTTP/1.0 PUT without length → 201 close');
	is($d->read_file('dev666/nolen'), '', 'H123 empty file regardless of the bytes that follow');
}
# H124
{
	$d->write_file('dev666/nolen11', 'old');
	my $all = $d->request("PUT /dev666/nolen11 HTTP/1.1\r\n\r\nGET /dev666/nolen11 HTTP/1.0\r\n\r\n");
	is($norm->($all), $EXACT_201 . TestDaemon::exact_200(0, 'close'),
	   'H124 HTTP/1.1 PUT without length + pipelined GET → 201, then the GET response');
	is($d->read_file('dev666/nolen11'), '', 'H124 file truncated to empty');
}
# H125
{
	my $s = $d->connect('http');
	TestDaemon::write_all($s, join '', map { "PUT /dev1/$_ HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nabcd$_" } 0, 1);
	my $a = TestDaemon::read_response($s);
	my $b = TestDaemon::read_response($s);
	is($norm->(($a // {})->{raw} // '') . $norm->(($b // {})->{raw} // ''), $EXACT_201 x 2,
	   'H125 two pipelined 5-byte PUTs → two exact 201s');
	is($d->read_file('dev1/0'), 'abcd0', 'H125 file abcd0');
	is($d->read_file('dev1/1'), 'abcd1', 'H125 file abcd1');
	is(TestDaemon::read_avail($s, 0.1), '', 'H125 nothing more within 0.1 s');
}
# H126
{
	my $s = $d->connect('http');
	my $req = "PUT /dev666/nb HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
	# Stop at EAGAIN, or after 2000.5 requests: on loopback the daemon keeps up with the writer
	# and the kernel buffers grow to megabytes, so EAGAIN alone can mean ~100000 PUTs.
	my $cap = 2000 * length($req) + 20;
	$s->blocking(0);
	my ($written, $chunk) = (0, $req x 64);
	while ($written < $cap) {
		my $off = $written % length $req;
		my $want = length($chunk) - $off;
		$want = $cap - $written if $want > $cap - $written;
		my $n = syswrite($s, $chunk, $want, $off);
		if (!defined $n) {
			last if $! == EAGAIN || $! == EWOULDBLOCK;
			die "write: $!";
		}
		$written += $n;
	}
	$s->blocking(1);
	my $complete = int($written / length $req);
	my ($got, $buf) = (0, '');
	my $deadline = time + TestDaemon::slow(60);
	while ($got < $complete && time < $deadline) {
		$buf .= TestDaemon::read_avail($s, 0.2);
		$got = () = $buf =~ m{HTTP/1\.1 201 Created\r\n}g;
	}
	$buf .= TestDaemon::read_avail($s, 0.2);
	my $n = () = $buf =~ m{HTTP/1\.1 201 Created\r\n}g;
	is($n, $complete, "H126 non-blocking zero-length PUTs until EAGAIN (or 2000.5 requests): $complete complete requests → as many 201s");
}
# H127
{
	my $old = 'a' x 65536;
	$d->write_file('dev666/h127', $old);
	my $s = $d->connect('http');
	TestDaemon::write_all($s, "PUT /dev666/h127 HTTP/1.1\r\nContent-Length: 65536\r\n\r\n" . ('b' x 32768));
	my @seen;
	for (1 .. 5) {
		my $r = $d->roundtrip("GET /dev666/h127 HTTP/1.0\r\n\r\n");
		push @seen, $r->{body};
	}
	is(scalar(grep { $_ ne $old } @seen), 0, 'H127 while the PUT is in progress, readers see the old content');
	my $pid = fork // die;
	if ($pid == 0) {
		TestDaemon::write_all($s, 'b' x 32768);
		_exit(0);
	}
	my $mixed = 0;
	my $new = 'b' x 65536;
	for (1 .. 20) {
		my $r = $d->roundtrip("GET /dev666/h127 HTTP/1.0\r\n\r\n");
		$mixed++ unless defined $r && ($r->{body} eq $old || $r->{body} eq $new);
	}
	waitpid($pid, 0);
	my $r = TestDaemon::read_response($s);
	is($r && $r->{status}, 201, 'H127 PUT over an existing file → 201');
	is($mixed, 0, 'H127 concurrent readers see either the old or the new content, never a mix');
	ok($d->read_file('dev666/h127') eq $new, 'H127 file replaced');
}
# H128
{
	my $s = $d->connect('http');
	TestDaemon::write_all($s, "PUT /dev666/h128/foo HTTP/1.1\r\nContent-Length: 10\r\n\r\n12345");
	my $pid = $d->{pid};
	my @tmp = @{ TestDaemon::poll_until(sub { my @t = $d->tmpfiles('dev666/h128'); @t ? \@t : undef }) // [] };
	is(scalar(@tmp), 1, 'H128 one temporary file while the body is incomplete');
	like($tmp[0] // '', qr/^foo\.[0-9a-f]{8}\.$pid\.tmp$/, 'H128 named <name>.<8 hex>.<pid>.tmp');
	ok(!-e $d->path('dev666/h128/foo'), 'H128 final path absent while the body is incomplete');
	is(TestDaemon::read_avail($s, 0.05), '', 'H128 no response yet');
	TestDaemon::write_all($s, '67890');
	my $r = TestDaemon::read_response($s);
	is($r && $r->{status}, 201, 'H128 201 once complete');
	is($d->read_file('dev666/h128/foo'), '1234567890', 'H128 final content');
	is(scalar($d->tmpfiles('dev666/h128')), 0, 'H128 temporary file gone');
	# replacing an existing file: the old one stays until the upload completes
	TestDaemon::write_all($s, "PUT /dev666/h128/foo HTTP/1.1\r\nContent-Length: 4\r\n\r\nne");
	TestDaemon::poll_until(sub { scalar $d->tmpfiles('dev666/h128') });
	is($d->read_file('dev666/h128/foo'), '1234567890', 'H128 existing file unchanged while the body is incomplete');
	TestDaemon::write_all($s, 'wx');
	$r = TestDaemon::read_response($s);
	is($r && $r->{status}, 201, 'H128 replacement → 201');
	is($d->read_file('dev666/h128/foo'), 'newx', 'H128 replaced');
}
# H129
{
	my $r = $d->roundtrip("PUT /dev666/m1/m2/file HTTP/1.1\r\nContent-Length: 1\r\n\r\nx");
	is($r->{status}, 201, 'H129 PUT creating directories → 201');
	is(sprintf('%04o', (stat $d->path('dev666/m1/m2/file'))[2] & 07777), '0640', 'H129 file mode 0666 & ~027');
	is(sprintf('%04o', (stat $d->path('dev666/m1/m2'))[2] & 07777), '0750', 'H129 directory mode 0777 & ~027');
	is(sprintf('%04o', (stat $d->path('dev666/m1'))[2] & 07777), '0750', 'H129 parent directory mode 0777 & ~027');
}
# H130
{
	mkdir $d->path('dev666/adir');
	$d->bad("PUT /dev666/adir HTTP/1.1\r\nContent-Length: 5\r\n\r\nBODY!", 500, 'H130 PUT onto an existing directory');
	ok(-d $d->path('dev666/adir'), 'H130 directory intact');
	$d->write_file('dev666/afile', 'keep');
	$d->bad("PUT /dev666/afile/below HTTP/1.1\r\nContent-Length: 5\r\n\r\nBODY!", 500, 'H130 PUT below a regular file');
	is($d->read_file('dev666/afile'), 'keep', 'H130 regular file intact');
}
# H131
{
	my $s = $d->connect('http');
	TestDaemon::write_all($s, "PUT /dev666/foo HTTP/1.1\r\nHost: t\r\nContent-Length: 666\r\n\r\nabcde");
	my $addr = '127.0.0.1:' . $s->sockport;
	shutdown($s, 1);
	is(TestDaemon::read_until_eof($s, 5), '', 'H131 premature EOF: no response, then EOF');
	ok(!-e $d->path('dev666/foo'), 'H131 D/dev666/foo absent');
	my $log = TestDaemon::poll_until(sub { my $e = $d->stderr; $e =~ /last_data_recv/ ? $e : undef });
	like($log // $d->stderr, qr{PUT /dev666/foo failed from \Q$addr\E after 5 bytes:}, 'H131 failure logged with peer and byte count');
	like($log // $d->stderr, qr{last_data_recv=\d+ms from \Q$addr\E for PUT /dev666/foo}, 'H131 last_data_recv logged');
	is(scalar($d->tmpfiles('dev666')), 0, 'H131 temporary file removed');
}
# H132
$d->bad("PUT /dev666/h132 HTTP/1.1\r\nContent-Length: 79228162514264337593543950336\r\n\r\n", 507,
    'H132 Content-Length of 2^96');
$d->bad("PUT /dev666/h132 HTTP/1.1\r\nContent-Length: 9223372036854775808\r\n\r\n", 507,
    'H132 Content-Length of 2^63');
ok(!-e $d->path('dev666/h132'), 'H132 no file');

# H133: a device on a 256 KiB tmpfs (needs mount(2)); EFBIG via RLIMIT_FSIZE otherwise
sub full_put {
	my ($dd, $path, $name) = @_;
	my $s = $dd->connect('http');
	my $len = 1024 * 1024;
	my $pid = fork // die;
	if ($pid == 0) {	# keep sending while the parent waits for the early 507
		TestDaemon::write_all($s, "PUT $path HTTP/1.1\r\nContent-Length: $len\r\n\r\n" . ('z' x $len));
		_exit(0);
	}
	my $r = TestDaemon::read_response($s, timeout => TestDaemon::slow(10));
	is($r && $r->{status}, 507, "H133 $name → 507");
	is($r && $r->{headers}{connection}, 'close', "H133 $name: Connection: close");
	close $s;
	kill 'KILL', $pid;
	waitpid($pid, 0);
	(my $rel = $path) =~ s{/[^/]+$}{};
	(my $leaf = $path) =~ s{.*/}{};
	ok(!-e $dd->path($path), "H133 $name: no file");
	is(scalar(grep { /^\Q$leaf\E\./ } do { opendir(my $dh, $dd->path($rel)); readdir $dh }), 0,
	   "H133 $name: no temporary file left");
	my $g = $dd->roundtrip("GET / HTTP/1.1\r\n\r\n");
	is($g && $g->{status}, 200, "H133 $name: a GET on another connection still works");
}
SKIP: {
	skip 'H133 ENOSPC: cannot mount a tmpfs here', 5 unless $mnt_ok;
	full_put($d, '/dev2/big', 'PUT larger than the free space (ENOSPC)');
}
SKIP: {
	skip 'H133 EFBIG: no prlimit(1)', 5 unless -x '/usr/bin/prlimit';
	my $e = TestDaemon->start(devices => [1], mgmt => 0, wrap => ['/usr/bin/prlimit', '--fsize=262144'],
				  sig_ignore => ['XFSZ']);
	full_put($e, '/dev1/big', 'PUT beyond RLIMIT_FSIZE (EFBIG)');
	is($e->stop('QUIT'), 0, 'H133 EFBIG daemon exits 0');
}
# H134
{
	my $len = 104857600;
	my $block = join('', map { chr(int(rand(256))) } 1 .. 65536);
	my $ctx = Digest::MD5->new;
	my $s = $d->connect('http');
	TestDaemon::write_all($s, "PUT /dev666/big HTTP/1.1\r\nContent-Length: $len\r\n\r\n");
	for my $i (1 .. $len / 65536) {
		substr($block, 0, 4, pack('N', $i));
		$ctx->add($block);
		TestDaemon::write_all($s, $block);
	}
	my $r = TestDaemon::read_response($s, timeout => TestDaemon::slow(60));
	is($r && $r->{status}, 201, 'H134 PUT of 104857600 bytes → 201');
	TestDaemon::write_all($s, "HEAD /dev666/big HTTP/1.1\r\n\r\n");
	$r = TestDaemon::read_response($s, head => 1);
	is($r && $r->{headers}{'content-length'}, $len, 'H134 HEAD reports Content-Length: 104857600');
	my $m = $d->connect('mgmt');
	TestDaemon::write_all($m, "MD5 /dev666/big\r\n");
	my $line = '';
	my $deadline = time + TestDaemon::slow(60);
	while ($line !~ /\n/ && time < $deadline) {
		my $more = TestDaemon::read_avail($m, 0.5);
		$line .= $more;
	}
	is($line, "/dev666/big MD5=" . $ctx->hexdigest . "\r\n", 'H134 sideband MD5 equals the client MD5');
	unlink $d->path('dev666/big');
}
# H135
{
	my ($r, $s) = $d->roundtrip("PUT /dev666/h135 HTTP/1.1\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
	is($norm->($r->{raw}), TestDaemon::exact_201('close'), 'H135 HTTP/1.1 PUT with Connection: close → 201 close');
	ok(TestDaemon::is_eof($s, 5), 'H135 then EOF');
}
# H136
{
	my $s = $d->connect('http');
	TestDaemon::write_all($s, "PUT /dev666/h136 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
	my $early = TestDaemon::read_avail($s, 1);	# the body goes 1 s after the head
	ok($early eq '' || $early eq "HTTP/1.1 100 Continue\r\n\r\n",
	   'H136 nothing, or exactly an interim 100 Continue, before the body');
	TestDaemon::write_all($s, 'abcde');
	my $r = TestDaemon::read_response($s, skip_1xx => 1);
	is($r && $r->{status}, 201, 'H136 Expect: 100-continue → final 201');
	is($d->read_file('dev666/h136'), 'abcde', 'H136 file correct');
}

# K177
{
	my $r = $d->roundtrip("PUT /dev666/k177 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-MD5: $MD5_ABCDE\r\n\r\nabcde");
	like($r->{raw_head}, qr{^HTTP/1\.1 201 Created\r\n}, 'K177 matching Content-MD5 → 201');
	is($d->read_file('dev666/k177'), 'abcde', 'K177 file stored');
}
# K178
{
	$d->write_file('dev666/k178old', 'previous');
	for my $t (['dev666/k178', undef], ['dev666/k178old', 'previous']) {
		my ($path, $before) = @$t;
		my ($r, $s) = $d->roundtrip("PUT /$path HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-MD5: $MD5_ABCDE\r\n\r\nabcd!");
		like($r->{raw_head}, qr{^HTTP/1\.1 400 Bad Request\r\n}, "K178 mismatching Content-MD5 → 400 (/$path)");
		my @conn = grep { lc($_->[0]) eq 'connection' } @{ $r->{header_list} };
		is(join('|', map { $_->[1] } @conn), 'keep-alive', "K178 exactly one Connection: keep-alive (/$path)");
		is($d->read_file($path), $before, defined $before ? "K178 existing file untouched" : "K178 file absent");
		TestDaemon::write_all($s, "GET /dev1/x HTTP/1.1\r\n\r\n");
		my $r2 = TestDaemon::read_response($s);
		is($r2 && $r2->{status}, 200, "K178 connection reusable (/$path)");
	}
	is(scalar($d->tmpfiles('dev666')), 0, 'K178 temporary files removed');
}
# K179
$d->bad("PUT /dev666/k179 HTTP/1.1\r\nContent-Length: 5\r\nContent-MD5: ab56b4d92b40713acc5af89985d4b786\r\n\r\nabcde",
    400, 'K179 hex Content-MD5');
$d->bad("PUT /dev666/k179 HTTP/1.1\r\nContent-Length: 5\r\nContent-MD5: q1a02StAcTrMWviZhdS3hg\r\n\r\nabcde",
    400, 'K179 unpadded Content-MD5');
$d->bad("PUT /dev666/k179 HTTP/1.1\r\nContent-Length: 5\r\nContent-MD5: q1a02StA==\r\n\r\nabcde",
    400, 'K179 short Content-MD5');
$d->bad("GET /dev1/x HTTP/1.1\r\nContent-MD5: abc\r\n\r\n", 400, 'K179 malformed Content-MD5 on GET');
ok(!-e $d->path('dev666/k179'), 'K179 no file');
# K180
{
	my $r = $d->roundtrip("PUT /dev666/k180 HTTP/1.1\r\ncontent-md5: $MD5_ABCDE\r\nContent-Length: 5\r\n\r\nabcd!");
	is($r->{status}, 400, 'K180 lower-case content-md5 with a wrong digest → 400');
	ok(!-e $d->path('dev666/k180'), 'K180 file absent');
}
# K181
{
	my $r = $d->roundtrip("PUT /dev1/test-write/test-md5 HTTP/1.0\r\nConnection: keep-alive\r\n"
			      . "Content-MD5: kDPg4wXyR8DDyA0MeEjIsw==\r\nContent-Length: 1\r\n\r\n.");
	is($r->{status}, 400, 'K181 tracker reject_bad_md5 probe → 400');
	is($r->{headers}{connection}, 'keep-alive', 'K181 probe connection stays persistent');
	ok(!-e $d->path('dev1/test-write/test-md5'), 'K181 file absent');
	my $good = md5_base64('.') . '==';
	$r = $d->roundtrip("PUT /dev1/test-write/test-md5 HTTP/1.0\r\nContent-MD5: $good\r\nContent-Length: 1\r\n\r\n.");
	is($r->{status}, 201, 'K181 the same PUT with the right digest → 201');
}

is($d->stop('QUIT'), 0, 'exits 0 on SIGQUIT');
done_testing;
