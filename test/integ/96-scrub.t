# 96-scrub.t: the scrubber (issue 15).  1,000 files PUT with records; damaged by hand in
# several ways; a restarted daemon's scrubber resumes from devN/.scrub, finds every damaged
# file after that position and nothing else; another restart scrubs from the start and finds
# the one before it.  Files without a record are adopted, never quarantined; records
# with CRCs only (PUT without Content-MD5) get their MD5 filled in.  Counts are
# checked after polling for the pass to end (generous bound): no timing assertion.
use strict;
use warnings;
use Test::More;
use Digest::MD5 qw(md5_hex);
use TestDaemon;

my $N = 1000;
my $d = TestDaemon->start(devices => [1], args => ['--scrub-rate=0', '--fsync=none']);
my $root = $d->{docroot};
my $HAVE_ATTR = -x '/usr/bin/setfattr';

sub rel { sprintf('dev1/0/000/%03d/%010d.fid', $_[0] / 100, $_[0]) }
sub body { my ($i) = @_; ($i == 700 ? 'L' x 3_000_000 : chr(65 + $i % 26) x (1000 + $i * 3)) }

{
	my $s = $d->connect('http');
	for my $i (0 .. $N - 1) {
		my $b = body($i);
		TestDaemon::write_all($s, "PUT /" . rel($i) . " HTTP/1.1\r\nHost: t\r\n"
				      . "Content-Length: " . length($b) . "\r\n\r\n$b");
		my $r = TestDaemon::read_response($s, timeout => TestDaemon::slow(10));
		$r && $r->{status} == 201 or BAIL_OUT("PUT $i: " . ($r ? $r->{status} : 'no reply'));
	}
}
$d->stop;
pass("$N files PUT");

sub flip {
	my ($i, $off, %o) = @_;
	my $p = "$root/" . rel($i);
	my @st = stat $p or die "$p: $!";
	open(my $fh, '+<:raw', $p) or die "$p: $!";
	sysseek($fh, $off, 0);
	sysread($fh, my $c, 1);
	sysseek($fh, $off, 0);
	syswrite($fh, chr(ord($c) ^ 1));
	close $fh;
	utime($st[8], $st[9], $p) if $o{keep_mtime};
}

# damaged after the resume position (file 500): found by the resumed pass
flip(700, 1_500_000, keep_mtime => 1);		# the middle of the 3 MB file, silently
flip(501, 10);
flip(999, 4000, keep_mtime => 1);		# the last file
truncate("$root/" . rel(650), 5) or die;
{ open(my $fh, '>>', "$root/" . rel(800)) or die; print $fh 'more'; close $fh }
my @after = (501, 650, 700, 800, 999);
# before it: only found by the full pass after the next restart
flip(100, 50, keep_mtime => 1);
# no record: adopted, never quarantined
my @adopt;
if ($HAVE_ATTR) {
	system('setfattr', '-x', 'user.mog.sum', "$root/" . rel(600)) == 0 or die;
	push @adopt, 600;
}
# the scrubber leaves files modified in the last minute for a later pass: make every file
# an hour old, as stored files are (the damage above kept or changed mtimes; it no longer
# matters), except one that is still being written
utime(time - 3600, time - 3600, "$root/" . rel($_)) or die for 0 .. $N - 1;
open(my $fh, '>', "$root/dev1/.scrub") or die;
print $fh "evmogstored-scrub 1\npass 0\nposition " . substr(rel(500), 5) . "\n";
close $fh;
$d->write_file('dev1/0/000/009/other.fid', 'from another node');	# after file 999
utime(time - 3600, time - 3600, "$root/dev1/0/000/009/other.fid") or die;
push @adopt, 'other';
# a file still being written (young, no record): left alone
$d->write_file('dev1/0/000/009/young.fid', 'half');

my %m;
sub metrics {
	my ($port) = @_;
	my $t = $d->request("GET /metrics HTTP/1.0\r\n\r\n", port => $port);
	%m = ($t =~ /^evmogstored_(\w+)\{[^}]*?"?(\w*)"?\} (\d+)$/mg);
	my %r;
	while ($t =~ /^evmogstored_(scrub_\w+)\{device="dev1"\} (\d+)$/mg) { $r{$1} = $2 }
	while ($t =~ /^evmogstored_integrity_events_total\{event="(\w+)"\} (\d+)$/mg) { $r{$1} = $2 }
	return \%r;
}

sub run_scrub {
	my ($passes) = @_;
	my $sport = TestDaemon::free_port();
	my $s = TestDaemon->start(devices => [], no_docroot_arg => 1,
		args => ["--docroot=$root", "--statuslisten=127.0.0.1:$sport", '--scrub-rate=20M']);
	my $r;
	TestDaemon::poll_until(sub { $r = metrics($sport); ($r->{scrub_passes_total} // 0) >= $passes },
			       TestDaemon::slow(120));
	is($r->{scrub_passes_total}, $passes, "scrub pass $passes done");
	$s->stop;
	return ($r, $s);
}

my ($r, $s) = run_scrub(1);
is($r->{scrub_corrupt_total}, scalar(@after), 'resumed pass: the damaged files after the position');
is($r->{quarantined}, scalar(@after), 'all quarantined');
is($r->{scrub_adopted_total}, scalar(@adopt), 'files without a record adopted');
ok(!-e "$root/" . rel($_), "file $_ moved away") for @after;
ok(-e "$root/" . rel(100), 'file 100 (before the position) not looked at yet');
ok($r->{scrub_files_total} >= 499 && $r->{scrub_files_total} <= 501,
   "about 500 files checked ($r->{scrub_files_total})");
like(TestDaemon::slurp("$root/dev1/.scrub"), qr/^pass 1\nposition \n/m, 'progress: pass 1 done');
like($s->stderr, qr/dev1: scrub pass 1 resumes after 0\/000\/005\/0000000500\.fid/, 'resume logged');

($r, $s) = run_scrub(2);
is($r->{scrub_corrupt_total}, 1, 'full pass: the one before the position');
ok(!-e "$root/" . rel(100), 'file 100 moved away');
is($r->{scrub_adopted_total}, 0, 'nothing left to adopt');
is($r->{scrub_files_total}, $N + 1 - @after, 'every file checked but the young one');
ok(-e "$root/dev1/0/000/009/young.fid", 'the young file without a record is left alone');
opendir(my $dh, "$root/dev1/.quarantine") or die;
is(scalar(grep { !/^\./ } readdir $dh), @after + 1, 'nothing else quarantined');
my $good = 0;
for my $i (0 .. $N - 1) {
	next if grep { $_ == $i } @after, 100;
	$good++ if (TestDaemon::slurp("$root/" . rel($i)) // '') eq body($i);
}
is($good, $N - @after - 1, 'every good file in place and intact');
SKIP: {
	skip 'getfattr not installed (attr package)', 2 unless -x '/usr/bin/getfattr';
	my $rec = `getfattr --only-values -n user.mog.sum '$root/@{[rel(5)]}' 2>/dev/null`;
	ok($rec =~ /^MOGS/ && !(ord(substr($rec, 6, 1)) & 1), 'the scrubber filled in the MD5');
	is(unpack('H*', substr($rec, 40, 16)), md5_hex(body(5)), 'the right one');
}
done_testing();
