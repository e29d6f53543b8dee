# 70-tracker-flow.t: a file's life as the MogileFS tracker and clients drive it, replayed
# in raw bytes against two nodes on 127.0.0.1 and 127.0.0.2 (the parts that need no real
# tracker).  Every reply the tracker would check is asserted.
use strict;
use warnings;
use Test::More;
use Digest::MD5 qw(md5 md5_hex md5_base64);
use IO::Socket::INET;
use Socket qw(IPPROTO_TCP TCP_NODELAY);
use Time::HiRes qw(time sleep);
use TestDaemon;

# TestDaemon binds 127.0.0.1 only: give it no listeners and pass our own addresses.
sub port_at {
	my ($host) = @_;
	my $l = IO::Socket::INET->new(LocalAddr => $host, LocalPort => 0, Proto => 'tcp',
				      Listen => 1, ReuseAddr => 1) or die "port_at $host: $!";
	my $p = $l->sockport;
	close $l;
	return $p;
}

sub conn {
	my ($d, $which) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => $d->{host}, PeerPort => $d->{"${which}_port"},
				      Proto => 'tcp') or return undef;
	binmode $s;
	setsockopt($s, IPPROTO_TCP, TCP_NODELAY, 1);
	return $s;
}

sub start_at {
	my ($host) = @_;
	my ($hp, $mp) = (port_at($host), port_at($host));
	my $d = TestDaemon->start(devices => [1, 2], http => 0, mgmt => 0,
				  args => ["--httplisten=$host:$hp", "--mgmtlisten=$host:$mp"],
				  env => { MOG_DISK_USAGE_INTERVAL => 1, MOG_IOSTAT_CMD => undef });
	@$d{qw(host http_port mgmt_port)} = ($host, $hp, $mp);
	for my $which (qw(http mgmt)) {
		TestDaemon::poll_until(sub { my $s = conn($d, $which); close $s if $s; $s || !$d->alive },
				       TestDaemon::slow(10));
		die "no $which listener on $host; stderr:\n" . $d->stderr unless $d->alive;
	}
	return $d;
}

sub line { TestDaemon::read_line(@_) }

# One request on $s, one response back.
sub rt {
	my ($s, $req, %o) = @_;
	TestDaemon::write_all($s, $req);
	return TestDaemon::read_response($s, %o) // { status => 'none', headers => {}, body => '' };
}

sub keepalive { ($_[0]{headers}{connection} // '') eq 'keep-alive' }

my $A = start_at('127.0.0.1');
my $B = eval { start_at('127.0.0.2') };
plan skip_all => "cannot use 127.0.0.2: $@" unless $B;
my @nodes = ([A => $A], [B => $B]);

# 1. mogadm check (T269)
for my $n (@nodes) {
	my ($name, $d) = @$n;
	my $s = conn($d, 'http');
	my $r = rt($s, "GET / HTTP/1.1\r\nHost: $d->{host}\r\n\r\n");
	is($r->{status}, 200, "T269 $name: GET / → 200 (mogadm check)");
	is($r->{body}, '', "T269 $name: GET / body empty");
	my $u;
	TestDaemon::poll_until(sub {
		$r = rt($s, "GET //dev1/usage HTTP/1.1\r\nHost: $d->{host}\r\n\r\n");
		$r->{status} eq '200';
	});
	is($r->{status}, 200, "T269 $name: GET //dev1/usage → 200");
	my %kv = map { split /:\s+/, $_, 2 } split /\n/, $r->{body};
	ok(!grep({ ($kv{$_} // '') !~ /^\d+$/ } qw(time used total available)),
	   "T269 $name: time, used, total, available are plain numbers");
}

# 2. Monitor round: usage, write test, bad-MD5 probe, watch.
for my $n (@nodes) {
	my ($name, $d) = @$n;
	my $s = conn($d, 'http');	# http_get_port: one pooled keep-alive connection
	for my $dev (1, 2) {
		my $r = rt($s, "GET /dev$dev/usage HTTP/1.0\r\nConnection: keep-alive\r\nHost: $d->{host}:$d->{http_port}\r\n\r\n");
		is($r->{status}, 200, "T270 $name monitor: GET /dev$dev/usage → 200");
		ok(keepalive($r), "T270 $name monitor: usage response keeps the HTTP/1.0 connection");
		my %st;
		for my $l (split /\r?\n/, $r->{body}) {
			$st{$1} = $2 if $l =~ /^(\w+)\s*:\s*(.+)$/;	# Worker::Monitor's parse
		}
		ok($st{used} && $st{total}, "T270 $name monitor: dev$dev used ($st{used}) and total ($st{total}) non-zero");
		ok(int($st{total} / 1024) - int($st{used} / 1024) > 100,
		   "T270 $name monitor: dev$dev mb_free above min_free_space");
	}
	my $w = conn($d, 'http');
	for my $dev (1, 2) {
		my $r = rt($w, "MKCOL /dev$dev/test-write/ HTTP/1.1\r\nHost: $d->{host}\r\nContent-Length: 0\r\n\r\n");
		is($r->{status}, 400, "T270 $name: MKCOL /dev$dev/test-write/ → 400");
		ok(!-e $d->path("dev$dev/test-write"), "T270 $name: MKCOL created nothing");
		$w = conn($d, 'http') unless keepalive($r);
		my $k = int rand 100;
		my $body = sprintf('time=%d rand=%d', time, int rand 1e9);
		$r = rt($w, "PUT /dev$dev/test-write/test-write-$k HTTP/1.1\r\nHost: $d->{host}\r\n"
			  . "Connection: keep-alive\r\nContent-Length: " . length($body)
			  . "\r\nContent-Type: application/octet-stream\r\n\r\n$body");
		like($r->{status}, qr/^2\d\d$/, "T270 $name: write-test PUT to dev$dev → 2xx");
		ok(keepalive($r), "T270 $name: write-test PUT keeps the connection");
		$r = rt($s, "GET /dev$dev/test-write/test-write-$k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
		is($r->{status}, 200, "T270 $name: write-test GET → 200");
		is($r->{body}, $body, "T270 $name: write-test GET returns what was written");
		$r = rt($w, "PUT /dev$dev/test-write/test-md5 HTTP/1.1\r\nHost: $d->{host}\r\nConnection: keep-alive\r\n"
			  . "Content-MD5: kDPg4wXyR8DDyA0MeEjIsw==\r\nContent-Length: 1\r\n\r\n.");
		is($r->{status}, 400, "T270 $name: bad Content-MD5 probe on dev$dev → 400 (reject_bad_md5)");
		ok(keepalive($r), "T270 $name: bad-MD5 400 keeps the connection");
		ok(!-e $d->path("dev$dev/test-write/test-md5"), "T270 $name: rejected body not committed");
		$r = rt($w, "HEAD /dev$dev/test-write/test-write-$k HTTP/1.1\r\nHost: $d->{host}\r\n\r\n", head => 1);
		is($r->{status}, 200, "T270 $name: connection usable after the 400");
	}
}
{
	my %w = map { $_->[0] => conn($_->[1], 'mgmt') } @nodes;
	TestDaemon::write_all($_, "watch\n") for values %w;
	for my $name (sort keys %w) {
		my $buf = TestDaemon::rbuf($w{$name});
		my $round;
		my $deadline = time + TestDaemon::slow(4);
		while (1) {
			if ($$buf =~ s/^(.*?\n)?\.\n//s) {	# IOStatWatcher's round extraction
				$round = $1 // '';
				last;
			}
			my $r = TestDaemon::fill($w{$name}, $deadline);
			last if !$r;
		}
		unlike($$buf, qr/^ERR/, "T270 $name watch: no ERR");
		my %util = defined $round ? $round =~ /^(\d+)\t(\S+)$/mg : ();
		is_deeply([sort keys %util], [1, 2], "T270 $name watch: a round naming devices 1 and 2");
	}
}

my %files;	# path → content, for the checks at the end

# 3.1 Normal upload (NewHTTPFile), create_close HEAD check and checksumverify.
for my $t (['empty', '/dev1/0/000/000/0000000001.fid', ''],
	   ['something', '/dev1/0/000/000/0000000003.fid', 'something'],
	   ['DATA', '/dev2/0/000/000/0000000004.fid', 'DATA'],
	   ['fid 2147483632', '/dev1/2/147/483/2147483632.fid', 'hi']) {
	my ($what, $path, $body) = @$t;
	my $id = $what eq 'empty' ? 'T271' : $what eq 'DATA' ? 'T276' : $what =~ /^fid/ ? 'T282' : 'T272';
	my $m = conn($A, 'http');
	(my $dir = $path) =~ s{[^/]+$}{};
	my @parts = $dir =~ m{^(/dev\d+/[^/]+/)([^/]+/)([^/]+/)$};
	my $acc = '';
	for my $p (@parts) {	# vivify_directories
		$acc .= $p;
		my $r = rt($m, "MKCOL $acc HTTP/1.1\r\nHost: $A->{host}\r\nContent-Length: 0\r\n\r\n");
		is($r->{status}, 400, "$id MKCOL $acc → 400 (no MKCOL needed)");
		$m = conn($A, 'http') unless keepalive($r);
	}
	my $s = conn($A, 'http');
	TestDaemon::write_all($s, "PUT $path HTTP/1.0\r\nContent-length: " . length($body) . "\r\n\r\n$body");
	my $first = line($s, 6);
	like($first // '', qr{^HTTP/\d\.\d 2\d\d }, "$id upload '$what': first line is 2xx");
	is($first, "HTTP/1.1 201 Created\r\n", "$id upload '$what': exactly HTTP/1.1 201 Created");
	TestDaemon::read_until_eof($s, 5);	# HTTP/1.0 without keep-alive: the node closes
	ok(!$s->connected || TestDaemon::is_eof($s, 0.1), "$id upload '$what': connection closed");
	my $h = conn($A, 'http');
	my $r = rt($h, "HEAD $path HTTP/1.1\r\nHost: $A->{host}\r\nConnection: keep-alive\r\n\r\n", head => 1);
	is($r->{status}, 200, "$id create_close HEAD '$what' → 200");
	is($r->{headers}{'content-length'}, length $body, "$id create_close HEAD '$what': Content-Length " . length $body);
	my $mg = conn($A, 'mgmt');
	TestDaemon::write_all($mg, "MD5 $path\r\n");
	is(line($mg), "$path MD5=" . md5_hex($body) . "\r\n", "$id checksumverify: sideband MD5 of '$what'");
	$r = rt($h, "GET $path HTTP/1.1\r\nHost: $A->{host}\r\n\r\n");
	is($r->{body}, $body, "$id get_file_data '$what' returns the uploaded bytes");
	is(md5_hex($r->{body}), md5_hex($body), "$id digest_http equals digest_mgmt for '$what'") if $id eq 'T276';
	$files{$path} = $body;
}

# 3.2 Large-file upload: empty PUT, then Content-Range PUTs, read back with Range GETs.
my $big_path = '/dev2/0/000/000/0000000005.fid';
my $big_body = join '', map { "$_\n" } 0 .. 1000;
{
	$A->write_file($big_path, 'stale bytes from an earlier attempt');
	my $s = conn($A, 'http');
	my $r = rt($s, "PUT $big_path HTTP/1.1\r\nTE: deflate,gzip;q=0.3\r\nConnection: TE, keep-alive\r\n"
		   . "Host: $A->{host}:$A->{http_port}\r\nUser-Agent: libwww-perl/6\r\n\r\n");
	like($r->{status}, qr/^2\d\d$/, 'T273 largefile: empty PUT without Content-Length → 2xx');
	is(-s $A->path($big_path), 0, 'T273 largefile: file truncated to 0 bytes');
	my ($off, $bad, $reused) = (0, 0, 1);
	while ($off < length $big_body) {
		my $piece = substr($big_body, $off, 997);
		my $end = $off + length($piece) - 1;
		$r = rt($s, "PUT $big_path HTTP/1.1\r\nConnection: TE, keep-alive\r\nHost: $A->{host}\r\n"
			  . "Content-Range: bytes $off-$end/*\r\nContent-Length: " . length($piece) . "\r\n\r\n$piece");
		$bad++ unless $r->{status} =~ /^2\d\d$/;
		if (!keepalive($r)) { $reused = 0; $s = conn($A, 'http') }
		$off = $end + 1;
	}
	is($bad, 0, 'T273 largefile: every Content-Range PUT → 2xx');
	ok($reused, 'T273 largefile: one keep-alive connection for all writes');
	$r = rt($s, "HEAD $big_path HTTP/1.1\r\nHost: $A->{host}\r\n\r\n", head => 1);
	is($r->{headers}{'content-length'}, length $big_body, 'T273 largefile: HEAD size equals the bytes written');
	my ($got, $pos) = ('', 0);
	while (1) {
		my $last = $pos + 1023;
		$r = rt($s, "GET $big_path HTTP/1.1\r\nHost: $A->{host}\r\nRange: bytes=$pos-$last\r\n\r\n");
		last if $r->{status} ne '206';
		$got .= $r->{body};
		$pos += length $r->{body};
		last if !length $r->{body};
	}
	is($r->{status}, 416, 'T273 largefile: Range GET past the end → 416');
	is($got, $big_body, 'T273 largefile: Range GETs read back the lines 0..1000');
	$files{$big_path} = $big_body;
}

# 5. Replication A → B (Worker::Replicate::http_copy), pooled connections reused.
{
	my $src = conn($A, 'http');
	my $dst = conn($B, 'http');
	my ($src_reused, $dst_reused) = (1, 1);
	for my $t ([$big_path, '/dev1/0/000/000/0000000005.fid', 1],
		   ['/dev1/0/000/000/0000000003.fid', '/dev2/0/000/000/0000000003.fid', 1],
		   ['/dev1/0/000/000/0000000001.fid', '/dev2/0/000/000/0000000001.fid', 0]) {
		my ($spath, $dpath, $with_md5) = @$t;
		my $len = length $files{$spath};
		my $r = rt($src, "GET $spath HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
		like($r->{status}, qr/^2\d\d$/, "T285 replicate GET $spath from A → 2xx");
		is($r->{headers}{'content-length'}, $len, "T285 replicate GET: Content-Length $len");
		ok(keepalive($r), 'T285 replicate GET: Connection: keep-alive');
		if (!keepalive($r)) { $src_reused = 0; $src = conn($A, 'http') }
		my $body = $r->{body};
		my $head = "PUT $dpath HTTP/1.0\r\nConnection: keep-alive\r\nContent-length: $len\r\n"
			 . ($with_md5 ? 'Content-MD5: ' . md5_base64($body) . "==\r\n" : '') . "\r\n";
		TestDaemon::write_all($dst, $head);
		my $half = int($len / 2);
		TestDaemon::write_all($dst, substr($body, 0, $half));	# pieces, as read
		TestDaemon::write_all($dst, substr($body, $half));
		$r = TestDaemon::read_response($dst) // { headers => {}, status => 'none' };
		like($r->{status}, qr/^2\d\d$/, "T285 replicate PUT $dpath to B → 2xx");
		ok(keepalive($r), 'T285 replicate PUT: Connection: keep-alive (connection pooled)');
		is($r->{headers}{'content-length'}, 0, 'T285 replicate PUT: Content-Length: 0');
		if (!keepalive($r)) { $dst_reused = 0; $dst = conn($B, 'http') }
		$files{"B$dpath"} = $body;
	}
	ok($src_reused && $dst_reused, 'T285 the same source and destination connections served every copy');

	# a corrupted copy: destination rejects it (reject_bad_md5) and keeps the old replica
	my $dpath = '/dev1/0/000/000/0000000005.fid';
	my $body = $files{$big_path};
	my $bad = $body;
	substr($bad, 10, 1) = 'X';
	my $r = rt($dst, "PUT $dpath HTTP/1.0\r\nConnection: keep-alive\r\nContent-length: " . length($bad)
		   . "\r\nContent-MD5: " . md5_base64($body) . "==\r\n\r\n$bad");
	is($r->{status}, 400, 'T285 replicate PUT with mismatching Content-MD5 → 400');
	ok(keepalive($r), 'T285 the 400 keeps the pooled connection');
	is($B->read_file($dpath), $body, 'T285 the existing replica is untouched');

	# both replicas fetched with a plain HTTP client
	my $ra = $A->roundtrip("GET $big_path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	my $sb = conn($B, 'http');
	my $rb = rt($sb, "GET $dpath HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	is($ra->{body}, $big_body, 'T273 replica on A reads back');
	is($rb->{body}, $big_body, 'T273 replica on B reads back the same bytes');
}

# 7. Fsck: HEAD sizes and queued fsck digests on both copies (T277 with 100 MiB).
{
	my $size = TestDaemon::valgrind() ? 8 * 1048576 : 104857600;
	my $block = join '', map { chr(int rand 256) } 1 .. 65536;
	my $ctx = Digest::MD5->new;
	$ctx->add($block) for 1 .. $size / 65536;
	my $want = $ctx->hexdigest;
	my $path = '/dev2/0/000/000/0000000006.fid';
	for my $n (@nodes) {
		my ($name, $d) = @$n;
		my $s = conn($d, 'http');
		TestDaemon::write_all($s, "PUT $path HTTP/1.0\r\nContent-length: $size\r\n\r\n");
		TestDaemon::write_all($s, $block) for 1 .. $size / 65536;
		is(line($s, TestDaemon::slow(30)), "HTTP/1.1 201 Created\r\n", "T277 $name: $size-byte upload → 201");
		my $r = rt(conn($d, 'http'), "HEAD $path HTTP/1.1\r\nHost: x\r\n\r\n", head => 1);
		is($r->{headers}{'content-length'}, $size, "T277 $name: HTTPFile->size = $size");
	}
	for my $p ($path, $big_path, '/dev1/0/000/000/0000000005.fid') {
		my $w = $p eq $path ? $want : md5_hex($big_body);
		for my $n (@nodes) {
			my ($name, $d) = @$n;
			next if $p eq $big_path && $name eq 'B';
			next if $p eq '/dev1/0/000/000/0000000005.fid' && $name eq 'A';
			my $mg = conn($d, 'mgmt');
			TestDaemon::write_all($mg, "MD5 $p fsck\r\n");
			my $got = line($mg, TestDaemon::slow(60)) // '';
			like($got, qr/^\Q$p\E MD5=[0-9a-f]{32,128}\r\n\z/, "T278 $name: fsck reply has the tracker's shape");
			is($got, "$p MD5=$w\r\n", "T277 $name: MD5 $p fsck equals the client MD5");
		}
	}
	# digest_http on A
	my $s = conn($A, 'http');
	TestDaemon::write_all($s, "GET $path HTTP/1.0\r\n\r\n");
	my $r = TestDaemon::read_response($s, timeout => TestDaemon::slow(60));
	is(md5_hex($r->{body} // ''), $want, 'T277 A: digest_http equals the client MD5');
}

# 6. Deletion on both nodes.
for my $t ([$A, 'A', $big_path], [$B, 'B', '/dev1/0/000/000/0000000005.fid'],
	   [$A, 'A', '/dev2/0/000/000/0000000006.fid'], [$B, 'B', '/dev2/0/000/000/0000000006.fid']) {
	my ($d, $name, $path) = @$t;
	my $s = conn($d, 'http');
	my $r = rt($s, "DELETE $path HTTP/1.1\r\nHost: $d->{host}\r\nConnection: keep-alive\r\n\r\n");
	is($r->{status}, 204, "T274 $name: DELETE $path → 204");
	ok(keepalive($r), "T274 $name: DELETE keeps the connection");
	$r = rt($s, "DELETE $path HTTP/1.1\r\nHost: $d->{host}\r\n\r\n");
	is($r->{status}, 404, "T274 $name: second DELETE → 404 (also counts as done)");
	$r = rt($s, "GET $path HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	is($r->{status}, 404, "T274 $name: GET after delete → 404");
	(my $dir = $path) =~ s{/[^/]+$}{};
	ok(-d $d->path($dir), "T274 $name: the directory stays");
	my $mg = conn($d, 'mgmt');
	TestDaemon::write_all($mg, "MD5 $path\r\n");
	is(line($mg), "$path MD5=-1\r\n", "T277 $name: digest_mgmt after delete → -1");
}

# 9. Sideband shutdown (T283) on B; SIGQUIT for A.
{
	my $mg = conn($B, 'mgmt');
	my $t0 = time;
	TestDaemon::write_all($mg, "shutdown\n");
	ok(TestDaemon::is_eof($mg, TestDaemon::slow(2)), sprintf('T283 B: shutdown → EOF (%.2f s)', time - $t0));
	ok(TestDaemon::poll_until(sub { !$B->alive }, TestDaemon::slow(4)), 'T283 B: process gone within 4 s');
	is($B->stop('QUIT'), 0, 'T283 B: exit 0');
	is($A->stop('QUIT'), 0, 'T283 A: SIGQUIT → exit 0');
}

done_testing;
