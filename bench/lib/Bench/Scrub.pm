# Bench/Scrub.pm: --only=scrub: how long one scrub pass of a 1,000-file device takes
# against (bytes / rate), whether it finds every damaged file, and what it costs a GET
# benchmark on the same device running at the same time.
package Bench;
use strict;
use warnings;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);

our ($MiB, $QUICK, $ROUNDS, $TMP, $DOCROOT, $GET_LUA, %O, %KIDS);
our $SCRUB_TABLE = '';	# the scrub workload's own table

my $SCRUB_N = 1000;
my @SCRUB_BAD = (101, 302, 503, 704, 905);	# damaged: a byte in the middle, mtime kept

sub scrub_metrics {	# -> { passes, corrupt, files, bytes } of dev1, from the status listener
	my ($port) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 2) or return {};
	print $s "GET /metrics HTTP/1.0\r\n\r\n";
	local $/;
	my $t = <$s> // '';
	my %m;
	while ($t =~ /^evmogstored_scrub_(\w+?)(?:_total)?\{device="dev1"\} (\d+)$/mg) { $m{$1} = $2 }
	return \%m;
}

# Poll the status listener from a child until the first pass ends; it writes the
# seconds from $t0 (and the corrupt count) to $out.  -> pid
sub scrub_watch {
	my ($port, $t0, $limit, $out) = @_;
	my $pid = fork // die "fork: $!";
	if (!$pid) {
		my $m = {};
		while (time - $t0 < $limit) {
			$m = scrub_metrics($port);
			last if ($m->{passes} // 0) >= 1;
			sleep 0.05;
		}
		spew($out, sprintf("%.3f %d %d\n", time - $t0, $m->{passes} // 0, $m->{corrupt} // -1));
		POSIX::_exit(0);
	}
	$KIDS{$pid} = 'scrub watcher';
	return $pid;
}

sub scrub_wait {
	my ($pid, $out) = @_;
	waitpid($pid, 0);
	delete $KIDS{$pid};
	my ($secs, $passes, $corrupt) = split ' ', slurp($out);
	return { secs => $secs, passes => $passes, corrupt => $corrupt };
}

# Put the quarantined files back (same inode, record and mtime) for the next server.
sub scrub_unquarantine {
	my $q = "$DOCROOT/dev1/.quarantine";
	opendir(my $dh, $q) or return;
	for my $f (grep { /\.fid\.\d+$/ } readdir $dh) {
		(my $rel = $f) =~ s/\.\d+$//;
		$rel =~ s{_}{/}g;
		rename("$q/$f", "$DOCROOT/dev1/$rel") or die "rename $f: $!";
	}
	unlink "$DOCROOT/dev1/.scrub";
}

# One evmogstored scrubbing dev1 from the start, with wrk GETs over $list for $gdur
# seconds (none if $list is undef).  -> { secs, corrupt, get }
sub scrub_run {
	my ($name, $rate, $list, $gdur, $limit) = @_;
	my $sp = TestDaemon::free_port();
	my $out = "$TMP/scrub-watch.txt";
	unlink $out;
	my $t0 = time;
	my $s = start_evm('none', $name, '--verify-reads=yes', "--scrub-rate=$rate",
			  "--statuslisten=127.0.0.1:$sp");
	my $c0 = cpu_ns(srv_pids($s));
	my $w = scrub_watch($sp, $t0, $limit, $out);
	my $get = $list ? wrk_run($s, 64, $gdur, $GET_LUA, $list, 1) : undef;
	my $r = scrub_wait($w, $out);
	$r->{cpu_s} = (cpu_ns(srv_pids($s)) - $c0) / 1e9;
	stop_srv($s);
	scrub_unquarantine();
	$r->{get} = $get;
	return $r;
}

sub scrub_workload {
	my $size = $QUICK ? 65536 : 262144;
	my $rate_mib = $QUICK ? 8 : 16;
	local $DOCROOT = "$TMP/scrubroot";
	mkdir $DOCROOT;
	mkdir "$DOCROOT/dev1";
	my @paths = map { fidpath($_, 1) } 1 .. $SCRUB_N;
	write_file($paths[$_ - 1], $size, 7000 + $_) for 1 .. @paths;	# each its own bytes
	system('sync') if defined $O{disk};
	my $bytes = $SCRUB_N * $size;
	my $expect = $bytes / ($rate_mib * $MiB);
	logmsg(sprintf "scrub: %d files x %d KiB = %.1f MiB at %d MiB/s: bytes/rate %.1f s",
		$SCRUB_N, $size / 1024, $bytes / $MiB, $rate_mib, $expect);
	# stored files are old (young ones are left for a later pass); give each its record
	my $old = time - 3600;
	utime($old, $old, "$DOCROOT$_") for @paths;
	my $all = write_list('paths-scrub-all', @paths);
	my $a = start_evm('none', 'evm adopt', '--verify-reads=yes', '--scrub-rate=0');
	get_all($a, $all);
	stop_srv($a);
	for my $i (@SCRUB_BAD) {	# bit rot: one byte, mtime unchanged
		my $p = "$DOCROOT$paths[$i - 1]";
		open(my $fh, '+<:raw', $p) or die "$p: $!";
		sysseek($fh, $size / 2, 0);
		sysread($fh, my $c, 1);
		sysseek($fh, $size / 2, 0);
		syswrite($fh, chr(ord($c) ^ 1));
		close $fh;
		utime($old, $old, $p);
	}
	my %bad = map { $paths[$_ - 1] => 1 } @SCRUB_BAD;
	my $good = write_list('paths-scrub-good', grep { !$bad{$_} } @paths);	# GETs never meet the bad ones
	my $gdur = int($expect * 1.3) + 2;
	my $limit = $expect * 3 + 10;
	my $alone = scrub_run('evm scrub alone', "${rate_mib}M", undef, 0, $limit);
	my (@base, @both);
	for my $round (1 .. $ROUNDS) {	# interleaved: the machine drifts
		push @base, scrub_run('evm GET, no scrub', '0', $good, $gdur, 0.1);
		push @both, scrub_run('evm GET + scrub', "${rate_mib}M", $good, $gdur, $limit);
		raw(sprintf "scrub      round %d: GET %.1f req/s alone, %.1f req/s while scrubbing; pass %.2f s, %d found",
		    $round, $base[-1]{get}{rate}, $both[-1]{get}{rate}, $both[-1]{secs}, $both[-1]{corrupt});
	}
	my $base = { get => { rate => median(map { $_->{get}{rate} } @base) } };
	my $both = { secs => median(map { $_->{secs} } @both), cpu_s => median(map { $_->{cpu_s} } @both),
		     passes => (sort { $a <=> $b } map { $_->{passes} } @both)[0],
		     corrupt => (sort { $a <=> $b } map { $_->{corrupt} } @both)[0],	# the worst round
		     get => { rate => median(map { $_->{get}{rate} } @both) } };
	my $t = sprintf "Scrub of 1 device, %d files (%.1f MiB, %d damaged) at %d MiB/s: bytes/rate = %.1f s, target <= %.1f s\n",
		$SCRUB_N, $bytes / $MiB, scalar(@SCRUB_BAD), $rate_mib, $expect, $expect * 1.1;
	for my $r ([ 'scrub alone', $alone ], [ 'scrub + GET (median)', $both ]) {
		my ($n, $x) = @$r;
		$t .= sprintf "  %-22s pass %s in %6.1f s (%.2fx bytes/rate), found %d of %d damaged, server CPU %.2f s\n",
			$n, $x->{passes} >= 1 ? 'done' : 'NOT done', $x->{secs}, $x->{secs} / $expect,
			$x->{corrupt}, scalar(@SCRUB_BAD), $x->{cpu_s};
	}
	# each round's pair (the machine drifts between rounds more than within one)
	my $ratio = median(map { $both[$_]{get}{rate} / ($base[$_]{get}{rate} || 1) } 0 .. $#both);
	$t .= sprintf "  GET %d KiB (64 conns), %d round(s) x %d s, medians: %.0f req/s without scrubbing, %.0f req/s while scrubbing; median of the rounds' ratios %.3fx\n",
		$size / 1024, $ROUNDS, $gdur, $base->{get}{rate}, $both->{get}{rate}, $ratio;
	$SCRUB_TABLE = $t;
	print STDERR $t;
}

1;
