# Bench/Report.pm: the table of evmogstored/nginx ratios, its rows and targets from
# bench/targets, written to stdout and bench/out/latest.txt.
package Bench;
use strict;
use warnings;
use POSIX qw(strftime);

our ($MiB, %O, %T, $QUICK, $ROUNDS, $DUR, $NCPU, $SRV_CPU, $CLI_CPU, $FSDESC, $ROOT, %RES,
     @VERIFY, $RAW, $VERIFY_TABLE, $SCRUB_TABLE, $SCALE_TABLE, $WRK_T);

sub fmtv {
	my $v = shift;
	return '-' unless defined $v;
	return sprintf('%.0f', $v) if abs($v) >= 100;
	return sprintf('%.1f', $v) if abs($v) >= 10;
	return sprintf('%.2f', $v);
}
sub cell {
	my @v = @_;
	return '-' unless @v;
	my ($lo, $hi) = minmax(@v);
	return fmtv(median(@v)) if @v == 1;
	return sprintf '%s [%s-%s]', fmtv(median(@v)), fmtv($lo), fmtv($hi);
}


# The table for the results in %RES; $elapsed: seconds the workloads took.
sub report {
	my ($elapsed) = @_;
	my @TAB;
	my @SPEC = map { [ @$_{qw(key label unit field percpu op target on)} ] }
	    read_table('targets', qw(key label unit field percpu op target on));
	my @MET;
	for my $sp (@SPEC) {
		my ($key, $label, $unit, $f, $percpu, $op, $tgt, $on) = @$sp;
		my $ev = $key eq 'put64k_data' ? $RES{put64k_data}{evm} : $RES{$key}{evm};
		my $nv = $key eq 'put64k_data' ? $RES{put64k}{ngx} : $RES{$key}{ngx};
		next unless $ev || $nv;
		my @e = map { $_->{$f} } @{ $ev // [] };
		my @n = map { $_->{$f} } @{ $nv // [] };
		my ($me, $mn) = (median(@e), median(@n));
		my $ratio = defined $me && $mn ? $me / $mn : undef;
		my (@ec, @nc, $rc, @eu, @nu);
		if ($percpu) {
			@ec = map { $_->{cpu_s} ? $_->{$f} * $_->{secs} / $_->{cpu_s} : 0 } @{ $ev // [] };
			@nc = map { $_->{cpu_s} ? $_->{$f} * $_->{secs} / $_->{cpu_s} : 0 } @{ $nv // [] };
			my ($a, $b) = (median(@ec), median(@nc));
			$rc = defined $a && $b ? $a / $b : undef;
			@eu = map { 100 * $_->{util} } @{ $ev // [] };
			@nu = map { 100 * $_->{util} } @{ $nv // [] };
		}
		my ($tstr, $met) = ('', '');
		if ($op) {
			my $x = $on eq 'cpu' ? $rc : $on eq 'evm' ? $me : $ratio;
			$tstr = $op eq 'abs<=' ? "evm <= $tgt B" : sprintf('%s %.2fx%s', $op, $tgt, $on eq 'cpu' ? ' /CPU' : '');
			$met = !defined $x ? '?' : ($op =~ />=/ ? $x >= $tgt : $x <= $tgt) ? 'yes' : 'NO';
			push @MET, [ $label, $met ];
		}
		push @TAB, [ $label, $unit, cell(@e), cell(@n), defined $ratio ? sprintf('%.2f', $ratio) : '-',
			$percpu ? cell(@ec) : '', $percpu ? cell(@nc) : '', defined $rc ? sprintf('%.2f', $rc) : '',
			$percpu ? fmtv(median(@eu)) : '', $percpu ? fmtv(median(@nu)) : '', $tstr, $met ];
		if ($key eq 'put64k_data' && $RES{put64k}{evm}) {	# fsync=data against fsync=none
			my @z = map { $_->{rate} } @{ $RES{put64k}{evm} };
			my $r = median(@e) / median(@z);
			my @zc = map { $_->{rate} * $_->{secs} / $_->{cpu_s} } @{ $RES{put64k}{evm} };
			my $r2 = median(@ec) / median(@zc);
			my $m = $r >= 0.80 ? 'yes' : 'NO';
			push @MET, [ 'PUT 64KiB data/none', $m ];
			push @TAB, [ '  fsync=data / fsync=none', 'ratio', '', '', sprintf('%.2f', $r), '', '',
				sprintf('%.2f', $r2), '', '', '>= 0.80x', $m ];
		}
	}

	if ($RES{idle} && ($RES{idle}{evm} || $RES{idle}{ngx})) {
		my %d = map { my $k = $_; $k => [ map { median(map { $_->{$k} } @{ $RES{idle}{$_} // [] }) } 'evm', 'ngx' ] } 'rss0', 'rss1';
		push @VERIFY, sprintf 'idle: VmRSS (median) evmogstored %s -> %s KiB, nginx master+worker %s -> %s KiB',
		    map { fmtv($_) } $d{rss0}[0], $d{rss1}[0], $d{rss0}[1], $d{rss1}[1];
	}

	my @HDR = ('workload', 'unit', 'evmogstored med [min-max]', 'nginx med [min-max]', 'ratio',
		'evm per CPU-s', 'nginx per CPU-s', 'ratio/CPU', 'evm CPU%', 'ngx CPU%', 'target', 'met');
	my @W = map { length $_ } @HDR;
	for my $r (@TAB) { for my $i (0 .. $#$r) { $W[$i] = length $r->[$i] if length $r->[$i] > $W[$i] } }
	# ratios and CPU% right-aligned, the rest left-aligned
	my $fmt = join('  ', map { my $i = $_; ($i == 4 || $i == 7 || $i == 8 || $i == 9) ? "%$W[$i]s" : "%-$W[$i]s" } 0 .. $#W);
	$fmt =~ s/\s+$//;
	$fmt .= "\n";

	my $cpu_model = do { open my $f, '<', '/proc/cpuinfo'; my ($m) = map { /^model name\s*:\s*(.*)/ ? $1 : () } <$f>; $m // '?' };
	my $ngx_ver = `'$T{nginx}' -v 2>&1`; $ngx_ver =~ s/^nginx version:\s*//; chomp $ngx_ver;
	my $wrk_ver = (split ' ', `'$T{wrk}' -v 2>&1`)[1] // '?';
	my $evm_ver = `'$O{evmogstored}' --version 2>&1`; ($evm_ver) = split /\n/, $evm_ver; $evm_ver //= '?';
	my $git = `cd '$ROOT' && git describe --always --dirty 2>/dev/null`; chomp $git;
	my $loadavg = do { open my $f, '<', '/proc/loadavg'; (split ' ', <$f> // '')[0] // '?' };
	my $out = '';
	$out .= sprintf "evmogstored vs nginx: %s, %s mode, %d round(s) x %s s (A/B interleaved), %.0f s total\n",
	    strftime('%Y-%m-%d %H:%M %Z', localtime), $QUICK ? 'quick' : 'full', $ROUNDS, $DUR, $elapsed;
	$out .= sprintf "machine: %d CPU(s) %s, kernel %s; load avg at end %s\n", $NCPU, $cpu_model,
	    (POSIX::uname())[2], $loadavg;
	$out .= sprintf "servers on CPU %s, clients (wrk -t%d, perl) on CPU %s; docroot %s\n", $SRV_CPU, $WRK_T, $CLI_CPU, $FSDESC;
	$out .= sprintf "extra evmogstored arguments: %s\n", join(' ', @{ $O{'evm-arg'} }) if @{ $O{'evm-arg'} };
	$out .= sprintf "%s (git %s); nginx %s (%s, sendfile, tcp_nopush); wrk %s\n", $evm_ver, $git || '?', $ngx_ver, $O{cores} ? "$O{cores} workers" : "1 worker", $wrk_ver;
	$out .= "ratio = evmogstored / nginx of medians (p99 and idle: lower is better); per CPU-s = work / server CPU seconds\n";
	$out .= "(schedstat, all threads/processes); CPU% = server CPU seconds / run seconds; throughput targets are judged per CPU-s\n\n";
	if (@TAB) {	# --cores=N has only its own table
		$out .= sprintf $fmt, @HDR;
		$out .= sprintf $fmt, map { '-' x $_ } @W;
		$out .= sprintf $fmt, @$_ for @TAB;
	}
	$out .= "\nverification and notes:\n" . join('', map { "  $_\n" } @VERIFY) if @VERIFY;
	my $nmet = grep { $_->[1] eq 'yes' } @MET;
	$out .= sprintf "\ntargets met: %d of %d\n", $nmet, scalar @MET if @MET;
	$out .= "\n$VERIFY_TABLE" if $VERIFY_TABLE ne '';
	$out .= "\n$SCRUB_TABLE" if $SCRUB_TABLE ne '';
	$out .= "\n$SCALE_TABLE" if $SCALE_TABLE ne '';

	if (@TAB || $VERIFY_TABLE ne '' || $SCRUB_TABLE ne '' || $SCALE_TABLE ne '') {	# --only=none (just --profile) leaves latest.txt alone
		print $out;
		(my $outdir = $O{out}) =~ s{/[^/]+$}{};
		system('mkdir', '-p', $outdir);
		spew($O{out}, $out);
		(my $rawf = $O{out}) =~ s/(\.txt)?$/-runs.txt/;
		spew($rawf, $RAW);
		logmsg("table written to $O{out}, per-run numbers to $rawf");
	}

}

1;
