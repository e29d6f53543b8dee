# 36-put-durability.t: with fsync = data, a 201 means the new path survives power loss
# (issue 12, item 3).  The fault shim traces (MOG_FAULT_TRACE) every fsync, mkdirat and
# renameat below the device, so the test sees which directories were synced, and when.
# 1. A PUT that creates 0/000/001/ syncs every directory that gained an entry: dev1
#    (gained 0), 0 (gained 000), 000 (gained 001) and 001 (gained the file).
# 2. A Content-Range PUT that creates its file syncs the file's directory.
# 3. Concurrent PUTs into one directory share directory syncs (fewer fsyncs than PUTs),
#    and no PUT is answered 201 before an fsync of that directory that started after its
#    rename has returned.
use strict;
use warnings;
use Test::More;
use TestDaemon;
use FaultShim;

my $why = FaultShim::skip_reason();
plan skip_all => $why if $why;

my %env = (LD_PRELOAD => $ENV{FAULTSHIM}, MOG_FAULT_PATH => '/docroot/dev1',
	   MOG_FAULT_CALLS => 'fsync,mkdirat,renameat', MOG_FAULT_TRACE => 1);

# Trace lines of the daemon's stderr: [call, path, done].
sub traces {
	my ($d) = @_;
	my @t;
	for (split /\n/, $d->stderr) {
		push @t, [ $1, $2, defined $3 ] if m{^faultshim\[\d+\]: trace (\w+) \S*/docroot/(\S+?)( done)?$};
	}
	return @t;
}
sub synced {	# directories whose fsync completed, relative to the docroot
	my ($d) = @_;
	my %n;
	$n{ $_->[1] }++ for grep { $_->[0] eq 'fsync' && $_->[2] } traces($d);
	return \%n;
}

my $d = TestDaemon->start(devices => [1], env => \%env);
my $put = sub {
	my ($path, $extra, $body) = @_;
	return $d->roundtrip("PUT $path HTTP/1.1\r\nHost: t\r\n$extra"
			     . 'Content-Length: ' . length($body) . "\r\n\r\n$body");
};

# ---- 1. new directories ----
my $r = $put->('/dev1/0/000/001/0000001001.fid', '', 'hello');
is($r && $r->{status}, 201, 'PUT into three new directory levels: 201');
my $s = synced($d);
for my $dir ('dev1', 'dev1/0', 'dev1/0/000', 'dev1/0/000/001') {
	ok($s->{$dir}, "$dir (it gained an entry) was fsynced before the 201");
}
# a second file in the same directory: only that directory changes
$s = { %{ synced($d) } };
$r = $put->('/dev1/0/000/001/0000001002.fid', '', 'hello');
is($r && $r->{status}, 201, 'PUT into an existing directory: 201');
my $s2 = synced($d);
is(join(',', grep { ($s2->{$_} // 0) != ($s->{$_} // 0) } sort keys %$s2), 'dev1/0/000/001',
   'only the file\'s directory is synced when no directory is created');

# ---- 2. Content-Range PUT that creates its file ----
$s = { %{ synced($d) } };
$r = $put->('/dev1/0/000/001/0000001003.fid', "Content-Range: bytes 0-4/5\r\n", 'hello');
is($r && $r->{status}, 201, 'Content-Range PUT creating a file: 201');
$s2 = synced($d);
ok(($s2->{'dev1/0/000/001'} // 0) > ($s->{'dev1/0/000/001'} // 0),
   'Content-Range PUT creating a file: its directory was fsynced before the 201');
$s = { %{ synced($d) } };
$r = $put->('/dev1/0/000/001/0000001003.fid', "Content-Range: bytes 0-4/10\r\n", 'world');
is($r && $r->{status}, 201, 'Content-Range PUT into an existing file: 201');
is(synced($d)->{'dev1/0/000/001'}, $s->{'dev1/0/000/001'},
   'Content-Range PUT into an existing file: no directory sync (no entry changed)');
is($d->stop('QUIT'), 0, 'exits 0');

# ---- 3. group commit ----
my $N = 8;
$d = TestDaemon->start(devices => [1], env => { %env, MOG_FAULT_PATH => '/docroot/dev1/g',
						 MOG_FAULT_CALLS => 'fsync,renameat',
						 MOG_FAULT_DELAY_MS => 300 });
mkdir $d->path('dev1/g');
my @c = map { $d->connect } 1 .. $N;
TestDaemon::write_all($c[$_], "PUT /dev1/g/$_.fid HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello")
	for 0 .. $N - 1;
my ($ok201, $ordered) = (0, 0);
for my $i (0 .. $N - 1) {
	my $r = TestDaemon::read_response($c[$i], timeout => TestDaemon::slow(30));
	next unless $r && $r->{status} == 201;
	$ok201++;
	# at the time of the 201: a sync of g began after this file's rename, and ended
	my @t = traces($d);
	my ($ren) = grep { $t[$_][0] eq 'renameat' && $t[$_][1] eq "dev1/g/$i.fid" } 0 .. $#t;
	next unless defined $ren;
	my ($begin) = grep { $t[$_][0] eq 'fsync' && $t[$_][1] eq 'dev1/g' && !$t[$_][2] }
		      $ren + 1 .. $#t;
	next unless defined $begin;
	$ordered++ if grep { $t[$_][0] eq 'fsync' && $t[$_][1] eq 'dev1/g' && $t[$_][2] }
		      $begin + 1 .. $#t;
}
is($ok201, $N, "$N concurrent PUTs into one directory: all 201");
is($ordered, $N, 'each 201 came after an fsync of the directory begun after its rename ended');
my $nsync = grep { $_->[0] eq 'fsync' && $_->[1] eq 'dev1/g' && !$_->[2] } traces($d);
cmp_ok($nsync, '<', $N, "they shared directory syncs: $nsync fsyncs for $N PUTs");
is($d->stop('QUIT'), 0, 'exits 0');
done_testing();
