# Bench/Scale.pm: --cores=N: GET 4 KiB and PUT 64 KiB with evmogstored at 1 loop, at N
# loops and as N worker processes (1 loop each), against nginx with N workers.  Servers
# and clients share CPUs 0..N-1 (nothing is pinned to one CPU), so on a machine with
# only N CPUs the client's CPU time competes with the server's.
package Bench;
use strict;
use warnings;

our ($ROUNDS, $DUR, $WARM, $DOCROOT, $GET_LUA, $PUT_LUA, %PATH_LIST, %O, %RES);
our $SCALE_TABLE = '';	# the scale workload's own table

my $SCALE_SEQ = 0;

# One measured (or warm-up) run of test $t against $s.
sub scale_run {
	my ($s, $t, $dur) = @_;
	if ($t eq 'get4k') {
		return wrk_run($s, 64, $dur, $GET_LUA, $PATH_LIST{'4k'}, 1);
	}
	system('rm', '-rf', map { "$DOCROOT/dev$_/1" } 1 .. 4);
	my $base = 1_000_000_000 + (++$SCALE_SEQ % 100) * 1_000_000;
	return wrk_run($s, 16, $dur, $PUT_LUA, $base, 65536);
}

sub scale_workload {
	my $n = $O{cores};
	logmsg("scale: GET 4 KiB and PUT 64 KiB on CPUs 0-" . ($n - 1)
	    . ", evmogstored 1 loop / $n loops / $n workers vs nginx $n workers, $ROUNDS round(s) x $DUR s");
	my @srv = (start_evm('none', 'evm --loops=1', '--loops=1'),
		   start_evm('none', "evm --loops=$n", "--loops=$n"),
		   start_evm('none', "evm --worker-processes=$n", "--worker-processes=$n", '--loops=1'),
		   start_nginx($n));
	my @tests = (['get4k', 'GET 4 KiB'], ['put64k', 'PUT 64 KiB']);
	my %med;
	for my $t (@tests) {
		scale_run($_, $t->[0], $WARM) for @srv;
		my %runs;
		for my $round (1 .. $ROUNDS) {
			for my $s (@srv) {
				my $r = scale_run($s, $t->[0], $DUR);
				push @{ $runs{ $s->{name} } }, $r;
				raw(sprintf "%-10s %-28s round %d: %10.1f req/s cpu %6.2f s (%3.0f%%) errors %d status %d",
				    "scale-$t->[0]", $s->{name}, $round, $r->{rate}, $r->{cpu_s},
				    100 * $r->{util}, $r->{errs}, $r->{status} // 0);
			}
		}
		for my $s (@srv) {
			my @v = @{ $runs{ $s->{name} } };
			$med{ $s->{name} }{ $t->[0] } = {
				rate => median(map { $_->{rate} } @v),
				per_cpu => median(map { $_->{requests} / ($_->{cpu_s} || 1e-9) } @v),
				util => median(map { $_->{util} } @v),
				errs => 0 + grep { $_->{errs} || $_->{status} } @v,
			};
		}
	}
	system('rm', '-rf', map { "$DOCROOT/dev$_/1" } 1 .. 4);
	stop_srv($_) for @srv;

	my $t = sprintf "scale: servers and clients (wrk -t%d) share CPUs 0-%d (medians of %d round(s) x %d s)\n",
	    $n, $n - 1, $ROUNDS, $DUR;
	$t .= sprintf "  %-28s %12s %12s %6s   %12s %12s %6s\n", 'server', 'GET4K req/s', 'per CPU-s',
	    'CPU%', 'PUT64K req/s', 'per CPU-s', 'CPU%';
	for my $s (@srv) {
		my ($g, $p) = @{ $med{ $s->{name} } }{qw(get4k put64k)};
		$t .= sprintf "  %-28s %12.0f %12.0f %5.0f%%   %12.0f %12.0f %5.0f%%%s\n", $s->{name},
		    $g->{rate}, $g->{per_cpu}, 100 * $g->{util}, $p->{rate}, $p->{per_cpu}, 100 * $p->{util},
		    ($g->{errs} || $p->{errs}) ? '  ERRORS' : '';
	}
	my ($one, $many, $ngx) = map { $med{ $_->{name} } } @srv[0, 1, 3];
	for my $k (qw(get4k put64k)) {
		$t .= sprintf "  %-7s %d loops / 1 loop: %.2fx req/s, %.2fx per CPU-s; %d loops / nginx %d workers: %.2fx req/s, %.2fx per CPU-s\n",
		    $k, $n, $many->{$k}{rate} / $one->{$k}{rate}, $many->{$k}{per_cpu} / $one->{$k}{per_cpu},
		    $n, $n, $many->{$k}{rate} / $ngx->{$k}{rate}, $many->{$k}{per_cpu} / $ngx->{$k}{per_cpu};
	}
	$SCALE_TABLE = $t;
	print STDERR $t;
}

1;
