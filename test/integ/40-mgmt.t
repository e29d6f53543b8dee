# 40-mgmt.t: sideband framing, `size` and `server aio_threads` (doc/protocol.md,
# Sideband).  Project decision: paths up to MOG_PATH_MAX = 64 bytes are accepted.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use TestDaemon;
use Digest::MD5 ();

my $d = TestDaemon->start(devices => [1, 666]);

# Printable form of a line for test descriptions.
sub show {
	my ($str) = @_;
	$str =~ s/\r/\\r/g;
	$str =~ s/\n/\\n/g;
	$str =~ s/\t/\\t/g;
	return length $str > 60 ? substr($str, 0, 57) . '...' : $str;
}

my $m = $d->connect('mgmt');
$d->write_file('foo', 'abc');
$d->write_file('dev666/sausage', '');

# N192
is(TestDaemon::ask($m, "size /foo\r\n"), "/foo 3\r\n", 'N192 size of a 3-byte file');
is(TestDaemon::ask($m, "size /missing\r\n"), "/missing -1\r\n", 'N192 size of a missing file → -1');
is(TestDaemon::ask($m, "size /dev666/sausage\r\n"), "/dev666/sausage 0\r\n", 'N192 size of an empty file → 0');
{
	# Project decision: symlinks below the docroot are refused.
	symlink($d->path('foo'), $d->path('dev1/link')) or die "symlink: $!";
	is(TestDaemon::ask($m, "size /dev1/link\r\n"), "/dev1/link -1\r\n",
	   'N192 size through a symlink → -1 (symlinks refused)');
}

# N193
{
	my $big = 2 * 1024**3 * 1020;
	open(my $fh, '>', $d->path('dev1/big')) or die $!;
	truncate($fh, $big) or die "truncate: $!";
	close $fh;
	is(TestDaemon::ask($m, "size /dev1/big\r\n"), "/dev1/big 2190433320960\r\n",
	   'N193 size of a 2190433320960-byte sparse file (64-bit)');
}

# N194
{
	my $st = (stat $d->path('dev1'))[7];
	is(TestDaemon::ask($m, "size /dev1\r\n"), "/dev1 $st\r\n", "N194 size of a directory → st_size ($st)");
}

# N195
for my $l ("  hello  \r\n", "hello\r\n", "\thello\r\n", "hello world\r\n") {
	is(TestDaemon::ask($m, $l), "ERROR: unknown command: hello\r\n", 'N195 \'' . show($l) . '\' → unknown command: hello');
}
is(TestDaemon::ask($m, "size bad\r\n"), "ERROR: unknown command: size\r\n", 'N195 size bad → unknown command: size');
is(TestDaemon::ask($m, "WTF\r\n"), "ERROR: unknown command: WTF\r\n", 'N195 WTF → unknown command: WTF');
is(TestDaemon::ask($m, "size /a_b\r\n"), "ERROR: unknown command: size\r\n",
   'N195 size with a character outside the path set → unknown command: size');
is(TestDaemon::ask($m, "size  /foo\r\n"), "ERROR: unknown command: size\r\n", 'N195 two spaces → unknown command: size');

# N196
for my $p ('/..', '/a/..', '/a/../b', '/../x', '/dev1/../foo') {
	is(TestDaemon::ask($m, "size $p\r\n"), "ERROR: uri invalid (contains ..)\r\n", "N196 size $p → uri invalid");
}

# N197 (with the project's 64-byte limit)
{
	my $p37 = '/dev16777215/0/000/000/0123456789.fid';
	is(length $p37, 37, 'N197 the 37-byte path is 37 bytes');
	is(TestDaemon::ask($m, "size $p37\r\n"), "$p37 -1\r\n", 'N197 37-byte path → -1');
	is(TestDaemon::ask($m, "size $p37-\r\n"), "$p37- -1\r\n",
	   'N197 38-byte path → -1 (project limit is 64, not 37)');
	my $p64 = '/dev1/' . ('a' x 54) . '.fid';
	is(length $p64, 64, 'N197 64-byte path is 64 bytes');
	$d->write_file($p64, 'x' x 7);
	is(TestDaemon::ask($m, "size $p64\r\n"), "$p64 7\r\n", 'N197 64-byte path (MOG_PATH_MAX) is accepted and stat()ed');
	is(TestDaemon::ask($m, "MD5 $p64\r\n"), "$p64 MD5=" . '04adb4e2f055c978c9bb101ee1bc5cd4' . "\r\n",
	   'N197 64-byte path accepted by MD5 too');
	is(TestDaemon::ask($m, "size ${p64}x\r\n"), "ERROR: uri invalid (contains ..)\r\n",
	   'N197 65-byte path → uri invalid (contains ..)');
	is(TestDaemon::ask($m, "MD5 ${p64}x\r\n"), "ERROR: uri invalid (contains ..)\r\n",
	   'N197 65-byte MD5 path → uri invalid (contains ..)');
	my $long = '/' . ('b' x 300);
	is(TestDaemon::ask($m, "size $long\r\n"), "ERROR: uri invalid (contains ..)\r\n",
	   'N197 301-byte path → uri invalid (contains ..)');
}

# N198, N199
is(TestDaemon::ask($m, "\r\n"), "\r\n", 'N198 empty line → empty line');
is(TestDaemon::ask($m, " \r\n"), "\r\n", 'N198 line of one space → empty line');
is(TestDaemon::ask($m, "\t \t\r\n"), "\r\n", 'N198 line of blanks and tabs → empty line');
is(TestDaemon::ask($m, "\n"), "\r\n", 'N199 LF-only empty line → empty line');
is(TestDaemon::ask($m, "size /foo\n"), "/foo 3\r\n", 'N199 LF-only terminator accepted');
is(TestDaemon::ask($m, "size /a\rsize /b\r\n"), "ERROR: unknown command: size\r\n",
   'N199 bare CR inside a line → unknown command');

# N200
{
	$d->write_file('0.fid', '');
	my $bad = 0;
	for my $i (0 .. 199) {
		my $got = TestDaemon::ask($m, "size /$i.fid\r\n") // 'EOF';
		if ($got ne "/$i.fid 0\r\n") {
			diag("request $i: got '" . show($got) . "'") unless $bad++;
		}
		rename($d->path("$i.fid"), $d->path(($i + 1) . '.fid')) or die "rename: $!";
	}
	is($bad, 0, 'N200 200 sequential size requests while the file is renamed each time');
}

# N201
is(TestDaemon::ask($m, "bad command\r\n"), "ERROR: unknown command: bad\r\n", 'N201 bad command → unknown: bad');
is(TestDaemon::ask($m, "  bad command\r\n"), "ERROR: unknown command: bad\r\n", 'N201 "  bad command" → unknown: bad');
is(TestDaemon::ask($m, "size /foo bar\r\n"), "ERROR: unknown command: size\r\n", 'N201 size /foo bar → unknown: size');
is(TestDaemon::ask($m, "size /dev1/foo\r\n"), "/dev1/foo -1\r\n", 'N201 then size of a missing file still answered');

# N202
{
	my $s = $d->connect('mgmt');
	my $req = join '', map { "size /dev1/p$_\r\n" } 0 .. 199;
	$d->write_file("dev1/p$_", 'x' x $_) for 0 .. 199;
	TestDaemon::write_all($s, $req);
	my $want = join '', map { "/dev1/p$_ $_\r\n" } 0 .. 199;
	my $got = '';
	my $deadline = time + TestDaemon::slow(10);
	while (length $got < length $want && time < $deadline) {
		# read slowly: at most 64 bytes per read, with short pauses
		my $rin = '';
		vec($rin, fileno($s), 1) = 1;
		select(my $rout = $rin, undef, undef, 1) or next;
		sysread($s, $got, 64, length $got) or last;
		sleep 0.001;
	}
	is($got, $want, 'N202 200 pipelined size requests read slowly → all answers in order');
	is(TestDaemon::read_avail($s, 0.1), '', 'N202 nothing more');
}

# N203
{
	my $s = $d->connect('mgmt');
	my $line = 'size /' . ('a' x (400 * 1024)) . "\r\n";
	TestDaemon::write_all($s, $line);
	my $r = TestDaemon::read_until_eof($s, TestDaemon::slow(5));
	is($r, '', 'N203 400 KiB line → connection closed without a reply');
	my $n = $d->connect('mgmt');
	is(TestDaemon::ask($n, "size /missing\r\n"), "/missing -1\r\n", 'N203 a new connection answers normally');
	is(TestDaemon::ask($m, "size /foo\r\n"), "/foo 3\r\n", 'N203 older connection unaffected');
}

# N204
{
	my $s = $d->connect('mgmt');
	my $req = "size /missing\r\n";
	for my $c (split //, substr($req, 0, -1)) {
		TestDaemon::write_all($s, $c);
		sleep 0.01;
	}
	my $early = TestDaemon::read_avail($s, 0.05);
	TestDaemon::write_all($s, "\n");
	is($early, '', 'N204 no reply to an incomplete line');
	is(TestDaemon::read_line($s), "/missing -1\r\n", 'N204 line written one byte every 10 ms → one answer');
	is(TestDaemon::read_avail($s, 0.1), '', 'N204 exactly one answer');
}

# N205
for my $i (1 .. 3) {
	my $s = $d->connect('mgmt');
	is(TestDaemon::ask($s, "size /foo\r\n"), "/foo 3\r\n", "N205 fresh connection $i answers");
	close $s;
}

# N206
{
	my $s = $d->connect('mgmt');
	$d->write_file('b', 'bb');
	TestDaemon::write_all($s, "size /a\r\nsize /b\r\nsiz");
	is(TestDaemon::read_line($s), "/a -1\r\n", 'N206 first of split pipeline');
	is(TestDaemon::read_line($s), "/b 2\r\n", 'N206 second of split pipeline');
	is(TestDaemon::read_avail($s, 0.1), '', 'N206 no reply to the partial third line');
	TestDaemon::write_all($s, "e /c\r\n");
	is(TestDaemon::read_line($s), "/c -1\r\n", 'N206 third answered once complete');
}

# N207
{
	my $l = '  hello' . (' ' x (496 - 2 - 7)) . "\r\n";
	is(length $l, 496, 'N207 line is 496 bytes');
	my $s = $d->connect('mgmt');
	is(TestDaemon::ask($s, $l), "ERROR: unknown command: hello\r\n", 'N207 496-byte line (unknown command) is answered');
	my $b = (' ' x 494) . "\r\n";
	is(TestDaemon::ask($s, $b), "\r\n", 'N207 496-byte blank line is answered');
	is(TestDaemon::ask($s, "size /foo\r\n"), "/foo 3\r\n", 'N207 connection still works');
}

# N208
for my $t (['server foo = 1', 'server'], ['shutdown now', 'shutdown'], ['ShutDown', 'ShutDown'],
	   ['watch extra', 'watch'], ['SIZE /x', 'SIZE'], ['shutdowngraceful', 'shutdowngraceful']) {
	is(TestDaemon::ask($m, "$t->[0]\r\n"), "ERROR: unknown command: $t->[1]\r\n",
	   "N208 '$t->[0]' → unknown command: $t->[1]");
}
ok($d->alive, 'N208 daemon still running after near-miss shutdown commands');

# N222 (path echo)
for my $p ('//foo', '/./foo', '//dev1//..x') {
	(my $rel = $p) =~ s{^/+}{};
	my $want = $p eq '//dev1//..x' ? "ERROR: uri invalid (contains ..)\r\n"
		 : "$p 3\r\n";
	is(TestDaemon::ask($m, "size $p\r\n"), $want, "N222 size $p echoed byte for byte");
}
is(TestDaemon::ask($m, "MD5 //foo\r\n"), "//foo MD5=900150983cd24fb0d6963f7d28e17f72\r\n", 'N222 MD5 //foo echoed byte for byte');

# N209
{
	my $s = $d->connect('mgmt');
	TestDaemon::write_all($s, "WATCH\r\n");
	my $buf = '';
	my $deadline = time + TestDaemon::slow(5);
	while ($buf !~ /(?:^|\n)\.\n/ && time < $deadline) {
		$buf .= TestDaemon::read_avail($s, 0.2);
	}
	like($buf, qr/^(?:\d+\t\S+\n)*\.\n/, 'N209 WATCH (upper case) is accepted: a round arrives');
	unlike($buf, qr/ERROR/, 'N209 WATCH is not an unknown command');
}

# P223 - P225
{
	my $s = $d->connect('mgmt');
	my $before = $d->pid_threads;
	ok($before, "P223 thread count readable ($before)");
	is(TestDaemon::ask($s, "WTF\r\n"), "ERROR: unknown command: WTF\r\n", 'P223 WTF → unknown command');
	is(TestDaemon::ask($s, "server aio_threads = 1\r\n"), "\r\n", 'P223 server aio_threads = 1 → empty line');
	# default 10 threads per device pool, 2 devices; N applies per pool (project decision)
	my $base = $before - 20;
	my $one = TestDaemon::poll_until(sub { ($d->pid_threads // 0) == $base + 2 });
	ok($one, "P223 thread count dropped from $before to " . ($base + 2) . ' (1 per device pool)')
		or diag('now ' . $d->pid_threads);
	is(TestDaemon::ask($s, "server aio_threads=6\r\n"), "\r\n", 'P223 server aio_threads=6 → empty line');
	my $six = TestDaemon::poll_until(sub { ($d->pid_threads // 0) == $base + 12 });
	ok($six, 'P223 thread count rose to ' . ($base + 12) . ' (6 per device pool)')
		or diag('now ' . $d->pid_threads);
	$six = $base + 12;
	is(TestDaemon::ask($s, "WTF\r\n"), "ERROR: unknown command: WTF\r\n", 'P223 WTF answered again');
	like($d->stderr, qr/server aio_threads=1\b/, 'P223 logs server aio_threads=1');

	is(TestDaemon::ask($s, "server aio_threads = 0\r\n"), "\r\n", 'P224 aio_threads = 0 → empty line');
	is(TestDaemon::ask($s, "server aio_threads = 1000\r\n"), "\r\n", 'P224 aio_threads = 1000 → empty line');
	is(TestDaemon::ask($s, "server aio_threads = 101\r\n"), "\r\n", 'P224 aio_threads = 101 → empty line');
	sleep 0.3;	# a change would show within this time (it did above)
	is($d->pid_threads, $six, 'P224 ignored values do not change the thread count');

	is(TestDaemon::ask($s, "SERVER AIO_THREADS = 20\r\n"), "\r\n", 'P225 SERVER AIO_THREADS = 20 → empty line');
	my $twenty = TestDaemon::poll_until(sub { ($d->pid_threads // 0) == $base + 40 });
	ok($twenty, 'P225 upper-case form takes effect (20 per device pool)') or diag('now ' . $d->pid_threads);
	is(TestDaemon::ask($s, "server aio_threads = x\r\n"), "ERROR: unknown command: server\r\n",
	   'P225 non-numeric value → unknown command: server');
	is(TestDaemon::ask($s, "server aio_threads =\r\n"), "ERROR: unknown command: server\r\n",
	   'P225 missing value → unknown command: server');
	is(TestDaemon::ask($s, "server aio_threads = 3\r\n"), "\r\n", 'P225 server aio_threads = 3 (one space) → empty line');
	is(TestDaemon::ask($s, "size /foo\r\n"), "/foo 3\r\n", 'P225 connection still serves size');
}

is($d->stop('QUIT'), 0, 'N exit status 0 after SIGQUIT');

# P223 on a docroot without any device yet: the docroot pool (scans, paths outside
# devices) takes the size, so the change is still visible in the thread count
{
	my $e = TestDaemon->start(devices => []);
	my $s = $e->connect('mgmt');
	my $before = $e->pid_threads;
	is(TestDaemon::ask($s, "server aio_threads = 12\r\n"), "\r\n", 'P223 no device: aio_threads = 12 → empty line');
	# the docroot pool starts with 4 threads
	ok(TestDaemon::poll_until(sub { ($e->pid_threads // 0) == $before + 8 }),
	   'P223 no device: the docroot pool grew from 4 to 12 threads')
		or diag("before $before, now " . $e->pid_threads);
	is(TestDaemon::ask($s, "server aio_threads = 2\r\n"), "\r\n", 'P223 no device: aio_threads = 2 → empty line');
	ok(TestDaemon::poll_until(sub { ($e->pid_threads // 0) == $before - 2 }),
	   'P223 no device: the docroot pool shrank to 2 threads')
		or diag("before $before, now " . $e->pid_threads);
	is($e->stop('QUIT'), 0, 'P223 no device: exit 0');
}
# Pipelined lines answered from memory (cached size and small digests) are sent together;
# a line that needs a pool thread (a large file's MD5), an error and a miss between them
# keep every answer in order.
{
	my $d = TestDaemon->start(devices => [1]);
	$d->write_file('dev1/small', 'tiny');
	$d->write_file('dev1/large', 'L' x (300 * 1024));
	my $s = $d->connect('mgmt');
	TestDaemon::write_all($s, "size /dev1/small\r\nMD5 /dev1/large\r\nsize /dev1/large\r\n"
		. "bogus\r\nsize /dev1/nope\r\nMD5 /dev1/small\r\n\r\nsize /dev1/small\r\n");
	my @want = ("/dev1/small 4\r\n",
		    '/dev1/large MD5=' . Digest::MD5::md5_hex('L' x (300 * 1024)) . "\r\n",
		    '/dev1/large ' . (300 * 1024) . "\r\n", "ERROR: unknown command: bogus\r\n",
		    "/dev1/nope -1\r\n", '/dev1/small MD5=' . Digest::MD5::md5_hex('tiny') . "\r\n",
		    "\r\n", "/dev1/small 4\r\n");
	my @got = map { TestDaemon::read_line($s) // '' } @want;
	is_deeply(\@got, \@want, 'pipelined size, MD5 (memory and pool), unknown, blank: answers in order');
	close $s;
	is($d->stop('QUIT'), 0, 'pipelined: exit 0');
}
done_testing;
