# 41-digest.t: sideband MD5 and SHA-1, the fsck queue, and digests of large files not
# delaying other connections (doc/protocol.md, MD5 and SHA-1).
use strict;
use warnings;
use Test::More;
use Digest::MD5 qw(md5_hex);
use Time::HiRes qw(time sleep);
use TestDaemon;

my $d = TestDaemon->start(devices => [1, 666]);

sub sparse {
	my ($rel, $len, $last) = @_;
	my $p = $d->path($rel);
	open(my $fh, '>:raw', $p) or die "$p: $!";
	if (defined $last) {
		truncate($fh, $len - 1) or die "truncate: $!";
		sysseek($fh, $len - 1, 0);
		syswrite($fh, $last) == 1 or die "write: $!";
	} else {
		truncate($fh, $len) or die "truncate: $!";
	}
	close $fh or die "$p: $!";
}

my $M100 = '56bb745c25f52e8378a9ca49b7cfd27f';	# 100 MiB sparse file ending in '.'
my $big = '/dev666/big.fid';
sparse($big, 104857600, '.');
my $m = $d->connect('mgmt');
$d->write_file('foo', '   ');
$d->write_file('dev1/foo', '   ');

# O210 - O215
my $MD5_3SP = '628631f07321b22d8c176c200c855e1b';
my $SHA_3SP = '088fb1a4ab057f4fcf7d487006499060c7fe5773';
is(TestDaemon::ask($m, "MD5 /foo\r\n"), "/foo MD5=$MD5_3SP\r\n", 'O210 MD5 of three spaces');
is(TestDaemon::ask($m, "MD5 /missing\r\n"), "/missing MD5=-1\r\n", 'O210 MD5 of a missing file → -1');
is(TestDaemon::ask($m, "MD5 /dev1/foo\n"), "/dev1/foo MD5=$MD5_3SP\r\n", 'O210 LF-only MD5 request');
{
	symlink($d->path('dev1/foo'), $d->path('dev1/link')) or die "symlink: $!";
	is(TestDaemon::ask($m, "MD5 /dev1/link\r\n"), "/dev1/link MD5=-1\r\n",
	   'O210 MD5 through a symlink → -1 (symlinks refused)');
	is(TestDaemon::ask($m, "SHA-1 /dev1/link\r\n"), "/dev1/link SHA-1=-1\r\n",
	   'O212 SHA-1 through a symlink → -1 (symlinks refused)');
}
for my $r (qw(fsck create_close replicate Fsck x_1)) {
	is(TestDaemon::ask($m, "MD5 /foo $r\r\n"), "/foo MD5=$MD5_3SP\r\n", "O211 MD5 /foo $r → same answer");
	is(TestDaemon::ask($m, "SHA-1 /foo $r\r\n"), "/foo SHA-1=$SHA_3SP\r\n", "O212 SHA-1 /foo $r → same answer");
}
is(TestDaemon::ask($m, "MD5 /missing fsck\r\n"), "/missing MD5=-1\r\n", 'O211 fsck MD5 of a missing file → -1');
is(TestDaemon::ask($m, "SHA-1 /foo\r\n"), "/foo SHA-1=$SHA_3SP\r\n", 'O212 SHA-1 of three spaces');
is(TestDaemon::ask($m, "SHA-1 /missing\r\n"), "/missing SHA-1=-1\r\n", 'O212 SHA-1 of a missing file → -1');
is(TestDaemon::ask($m, "SHA-1 /missing fsck\r\n"), "/missing SHA-1=-1\r\n", 'O212 fsck SHA-1 of a missing file → -1');
{
	my $empty_md5 = 'd41d8cd98f00b204e9800998ecf8427e';
	$d->write_file('dev1/empty', '');
	is(TestDaemon::ask($m, "MD5 /dev1/empty\r\n"), "/dev1/empty MD5=$empty_md5\r\n", 'O210 MD5 of an empty file');
	is(TestDaemon::ask($m, "SHA-1 /dev1/empty\r\n"), "/dev1/empty SHA-1=da39a3ee5e6b4b0d3255bfef95601890afd80709\r\n",
	   'O212 SHA-1 of an empty file');
}
for my $t (['md5 /foo', 'md5'], ['SHA-256 /foo', 'SHA-256'], ['Sha-1 /foo', 'Sha-1'],
	   ['SHA1 /foo', 'SHA1']) {
	is(TestDaemon::ask($m, "$t->[0]\r\n"), "ERROR: unknown command: $t->[1]\r\n", "O213 $t->[0] → unknown command: $t->[1]");
}
is(TestDaemon::ask($m, "MD5 /dev1\r\n"), "ERR read /dev1 at 0 failed\r\n", 'O214 MD5 of a directory → ERR read /dev1 at 0 failed');
is(TestDaemon::ask($m, "SHA-1 /dev1\r\n"), "ERR read /dev1 at 0 failed\r\n", 'O214 SHA-1 of a directory → ERR read');
is(TestDaemon::ask($m, "MD5 /dev1 fsck\r\n"), "ERR read /dev1 at 0 failed\r\n", 'O214 fsck MD5 of a directory → ERR read');
is(TestDaemon::ask($m, "MD5 /foo fsck extra\r\n"), "ERROR: unknown command: MD5\r\n", 'O215 MD5 /foo fsck extra → unknown command: MD5');
is(TestDaemon::ask($m, "MD5 /foo a-b\r\n"), "ERROR: unknown command: MD5\r\n", 'O215 MD5 /foo a-b → unknown command: MD5');
is(TestDaemon::ask($m, "SHA-1 /foo a-b\r\n"), "ERROR: unknown command: SHA-1\r\n", 'O215 SHA-1 /foo a-b → unknown command: SHA-1');
is(TestDaemon::ask($m, "MD5 /../foo\r\n"), "ERROR: uri invalid (contains ..)\r\n", 'O215 MD5 /../foo → uri invalid');
is(TestDaemon::ask($m, "MD5 /foo\r\n"), "/foo MD5=$MD5_3SP\r\n", 'O215 connection still answers');

# O222
is(TestDaemon::ask($m, "MD5 //foo\r\n"), "//foo MD5=$MD5_3SP\r\n", 'O222 MD5 //foo echoes the path byte for byte');
is(TestDaemon::ask($m, "SHA-1 /dev1//foo fsck\r\n"), "/dev1//foo SHA-1=$SHA_3SP\r\n", 'O222 SHA-1 /dev1//foo echoed byte for byte');

# O216
{
	my (@names, %want);
	for my $i (1 .. 100) {
		my $body = join '', map { chr(int rand 256) } 1 .. (1 + int rand 300);
		my $n = sprintf('/dev1/0/000/000/%010d.fid', $i);
		$d->write_file($n, $body);
		push @names, $n;
		$want{$n} = md5_hex($body);
	}
	my $req = join '', map { "MD5 $_\r\n" } @names;
	my $want = join '', map { "$_ MD5=$want{$_}\r\n" } @names;
	my $s = $d->connect('mgmt');
	my $bad = 0;
	my $rounds = TestDaemon::valgrind() ? 5 : 50;
	for my $round (1 .. $rounds) {
		TestDaemon::write_all($s, $req);
		my $got = '';
		while (length $got < length $want) {
			my $l = TestDaemon::read_line($s) // last;
			$got .= $l;
		}
		$bad++ if $got ne $want;
	}
	is($bad, 0, "O216 $rounds rounds of 100 pipelined MD5s → 100 correct answers in order each");
}

# O217
is(TestDaemon::ask($m, "MD5 $big\r\n", TestDaemon::slow(30)), "$big MD5=$M100\r\n", 'O217 MD5 of 100 MiB sparse file ending in "."');
is(TestDaemon::ask($m, "MD5 $big fsck\r\n", TestDaemon::slow(30)), "$big MD5=$M100\r\n", 'O217 same with fsck');

# O218: fsck of the same file from six connections
{
	my @c = map { $d->connect('mgmt') } 1 .. 6;
	TestDaemon::write_all($_, "MD5 $big fsck\r\n") for @c;
	my @got = map { TestDaemon::read_line($_, TestDaemon::slow(60)) // 'timeout' } @c;
	is_deeply(\@got, [("$big MD5=$M100\r\n") x 6], 'O218 six connections fsck the same large file → six identical correct answers');
}

# O219
{
	my @c = map { $d->connect('mgmt') } 1 .. 6;
	TestDaemon::write_all($_, "MD5 $big fsck\r\n" x 3) for @c;
	my @got;
	for my $c (@c) {
		push @got, map { TestDaemon::read_line($c, TestDaemon::slow(90)) // 'timeout' } 1 .. 3;
	}
	is_deeply(\@got, [("$big MD5=$M100\r\n") x 18], 'O219 six connections × three pipelined fsck → 18 identical answers');
}

# O220
{
	my $first = $d->connect('mgmt');
	TestDaemon::write_all($first, "MD5 $big fsck\r\n");
	for (1 .. 5) {
		my $c = $d->connect('mgmt');
		TestDaemon::write_all($c, "MD5 $big fsck\r\n");
		close $c;
	}
	is(TestDaemon::read_line($first, TestDaemon::slow(60)), "$big MD5=$M100\r\n",
	   'O220 first fsck client answered although five queued clients disconnected');
	my $later = $d->connect('mgmt');
	is(TestDaemon::ask($later, "MD5 $big fsck\r\n", TestDaemon::slow(60)), "$big MD5=$M100\r\n",
	   'O220 the fsck queue still works after the disconnects');
	is(TestDaemon::ask($m, "size $big\r\n"), "$big 104857600\r\n", 'O220 size still answered');
}

# Non-fsck digests are not queued: several at once all answer.
{
	my @c = map { $d->connect('mgmt') } 1 .. 4;
	TestDaemon::write_all($_, "MD5 $big\r\n") for @c;
	my @got = map { TestDaemon::read_line($_, TestDaemon::slow(60)) // 'timeout' } @c;
	is_deeply(\@got, [("$big MD5=$M100\r\n") x 4], 'O218 four concurrent non-fsck MD5s of the large file');
}

# O221 and the issue: a 1 GiB digest must not delay other connections.
{
	my ($gib, $want) = (1024**3, 'cd573cfaace07e7949bc0c46028904ff');
	if (TestDaemon::valgrind()) {	# valgrind digests at a few MB/s
		$gib = 64 * 1024**2;
		my $ctx = Digest::MD5->new;
		$ctx->add("\0" x 1048576) for 1 .. 64;
		$want = $ctx->hexdigest;
	}
	my $huge = '/dev1/huge.fid';
	sparse($huge, $gib);
	$d->write_file('dev1/small', 'hello');
	for my $reason ('', ' fsck') {
		my $dig = $d->connect('mgmt');
		my $t0 = time;
		TestDaemon::write_all($dig, "MD5 $huge$reason\r\n");
		my ($slow, $max, $ok, $early_digest) = (0, 0, 0, 0);
		for my $i (1 .. 100) {
			my $c = $d->connect('mgmt');
			my $t = time;
			my $path = $i % 2 ? '/dev1/small' : $big;	# same filesystem as the digest
			my $r = TestDaemon::ask($c, "size $path\r\n", 5);
			my $dt = time - $t;
			$max = $dt if $dt > $max;
			$slow++ if $dt >= 1;
			$ok++ if defined $r && $r eq ($i % 2 ? "/dev1/small 5\r\n" : "$big 104857600\r\n");
			close $c;
			sleep 0.002;	# spread the requests over the first part of the digest
		}
		my $sizes_done = time - $t0;
		TestDaemon::fill($dig, time + 0.01);	# keeps what it reads for TestDaemon::read_line()
		$early_digest = length ${ TestDaemon::rbuf($dig) } > 0;
		my $id = "O221 1 GiB MD5$reason";
		is($ok, 100, "$id: 100 size requests on other connections all answered correctly");
		is($slow, 0, sprintf('%s: every size answer within 1 s (max %.3f s)', $id, $max));
		ok(!$early_digest, sprintf('%s: all 100 sizes done (%.2f s) before the digest finished', $id, $sizes_done))
			unless TestDaemon::valgrind();
		my $got = TestDaemon::read_line($dig, TestDaemon::slow(120));
		is($got, "$huge MD5=$want\r\n", "$id: the digest itself is correct");
	}
}

is($d->stop('QUIT'), 0, 'O220 SIGQUIT afterwards → exit 0');
done_testing;
