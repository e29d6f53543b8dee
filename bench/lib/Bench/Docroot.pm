# Bench/Docroot.pm: the docroot (tmpfs or disk), its files and the wrk scripts.
package Bench;
use strict;
use warnings;

our ($MiB, %O, $QUICK, $N4K, $N64K, $N1M, $BIG, $BIGMIB, $TMP, $MNT, $DOCROOT, $FSDESC,
     $NOFILE, $IDLE_N, $ROOT);
our (@P4K, @P64K, @P1M, @PBIG);		# the files, as request paths
our (%PATH_LIST);			# '4k', '64k', '1m', 'big' => file listing those paths
our ($GET_LUA, $PUT_LUA);

# Descriptor limit for the servers and clients, and the idle test's connection count.
sub set_limits {
	my $hard = `sh -c 'ulimit -Hn'`; chomp $hard;
	$hard = 1 << 20 if $hard eq 'unlimited';
	$NOFILE = $hard < 65536 ? $hard : 65536;
	$IDLE_N = $O{'idle-conns'};
	if ($IDLE_N + 200 > $NOFILE) {
		my $n = $NOFILE - 200;
		print STDERR "bench/run: descriptor hard limit $hard: idle test uses $n connections, not $IDLE_N\n";
		$IDLE_N = $n;
	}
}

sub meminfo {
	open my $f, '<', '/proc/meminfo' or return 0;
	while (<$f>) { return $1 * 1024 if /^MemAvailable:\s+(\d+)/ }
	return 0;
}

sub fstype {
	my $d = shift;
	my $t = `stat -f -c %T '$d' 2>/dev/null`; chomp $t;
	return $t || '?';
}

# $TMP (a tmpfs of our own when root, else /dev/shm; --disk: on disk) and $DOCROOT in it.
sub make_docroot {
	if (defined $O{disk}) {
		my $d = length $O{disk} ? $O{disk} : "$ROOT/bench/out/disk";
		system('mkdir', '-p', $d) == 0 or die "mkdir $d\n";
		$TMP = `mktemp -d '$d/evmog-bench.XXXXXX'`; chomp $TMP;
		$FSDESC = "disk ($d, " . fstype($d) . ")";
	} else {
		my $avail = meminfo();
		if ($> == 0) {
			$TMP = `mktemp -d /tmp/evmog-bench.XXXXXX`; chomp $TMP;
			$MNT = "$TMP";
			my $size = int($avail * 0.6 / $MiB);
			$size = 2048 if $size < 2048;
			if (system('mount', '-t', 'tmpfs', '-o', "size=${size}m,mode=755", 'evmog-bench', $MNT) == 0) {
				$FSDESC = "tmpfs mounted on $MNT (${size} MiB)";
			} else {
				print STDERR "bench/run: mount -t tmpfs failed; using /dev/shm\n";
				undef $MNT;
				rmdir $TMP;
				undef $TMP;
			}
		}
		if (!$TMP) {
			-d '/dev/shm' && -w _ or die "bench/run: /dev/shm is not writable; use --disk\n";
			$TMP = `mktemp -d /dev/shm/evmog-bench.XXXXXX`; chomp $TMP;
			$FSDESC = "tmpfs (/dev/shm)";
		}
	}
	die "bench/run: could not create a temp dir\n" unless $TMP && -d $TMP;
	$DOCROOT = "$TMP/docroot";
	mkdir $DOCROOT or die "mkdir $DOCROOT: $!";
	mkdir "$DOCROOT/dev$_" or die "mkdir: $!" for 1 .. 4;
}

sub fidpath {	# MogileFS layout: /devN/B/MMM/TTT/BMMMTTTxxx.fid
	my ($fid, $dev) = @_;
	my $s = sprintf '%010d', $fid;
	$dev //= $fid % 4 + 1;
	return sprintf '/dev%d/%s/%s/%s/%s.fid', $dev, substr($s, 0, 1), substr($s, 1, 3),
	    substr($s, 4, 3), $s;
}

my $BLOCK;	# 1 MiB of deterministic pseudo-random bytes
sub block {
	return $BLOCK if defined $BLOCK;
	srand(20261122);
	$BLOCK = pack('L*', map { int(rand(4294967296)) } 1 .. $MiB / 4);
	return $BLOCK;
}

sub write_file {
	my ($rel, $size, $salt) = @_;
	my $p = "$DOCROOT$rel";
	(my $d = $p) =~ s{/[^/]+$}{};
	system('mkdir', '-p', $d) == 0 or die unless -d $d;
	open my $f, '>:raw', $p or die "$p: $!";
	my $b = block();
	my $left = $size;
	my $i = 0;
	while ($left > 0) {
		my $n = $left < $MiB ? $left : $MiB;
		my $chunk = $n == $MiB ? $b : substr($b, ($salt * 4099) % ($MiB - $n + 1), $n);
		substr($chunk, 0, 16) = sprintf('%08x%08x', $salt, $i++) if $n >= 16;
		print $f $chunk or die "$p: $!";
		$left -= $n;
	}
	close $f or die "$p: $!";
}

sub write_list { my ($name, @l) = @_; my $f = "$TMP/$name"; open my $h, '>', $f or die; print $h "$_\n" for @l; close $h; return $f }

# The files every GET workload reads, and the lists of their paths for wrk.
sub make_files {
	logmsg("docroot on $FSDESC: $DOCROOT");
	logmsg(sprintf "creating %d x 4 KiB, %d x 64 KiB, %d x 1 MiB, 2 x %d MiB files",
		$N4K, $N64K, $N1M, $BIGMIB);
	for my $i (1 .. $N4K)  { my $p = fidpath($i);        write_file($p, 4096, $i);   push @P4K, $p }
	for my $i (1 .. $N64K) { my $p = fidpath(1000 + $i); write_file($p, 65536, $i);  push @P64K, $p }
	for my $i (1 .. $N1M)  { my $p = fidpath(2000 + $i); write_file($p, $MiB, $i);   push @P1M, $p }
	for my $i (1 .. 2)     { my $p = fidpath(3000 + $i); write_file($p, $BIG, $i);   push @PBIG, $p }
	# As a cluster's files are: written a while ago.  A file without a checksum record
	# that is younger than a minute is served unchecked (it may still be being written,
	# doc/design.md); an older one is adopted (given a record) by its first GET, during
	# the warm-up, and checked from then on, as files PUT through evmogstored are.
	my $then = time() - 3600;
	utime($then, $then, map { "$DOCROOT$_" } @P4K, @P64K, @P1M, @PBIG) or die "utime: $!";
	system('sync') if defined $O{disk};
	$PATH_LIST{'4k'}  = write_list('paths-4k', @P4K);
	$PATH_LIST{'64k'} = write_list('paths-64k', @P64K);
	$PATH_LIST{'1m'}  = write_list('paths-1m', @P1M);
	$PATH_LIST{big}   = write_list('paths-big', @PBIG);
}

# bench/wrk/<name>.lua with done.lua's result line appended, in $TMP.
sub make_wrk_scripts {
	my $done = slurp("$ROOT/bench/wrk/done.lua");
	$GET_LUA = "$TMP/get.lua";
	spew($GET_LUA, slurp("$ROOT/bench/wrk/get.lua") . $done);
	$PUT_LUA = "$TMP/put.lua";
	spew($PUT_LUA, slurp("$ROOT/bench/wrk/put.lua") . $done);
}

sub put_body {	# same bytes as put.lua
	my $size = shift;
	return join '', map { sprintf "%015x\n", $_ } 0 .. $size / 16 - 1;
}

1;
