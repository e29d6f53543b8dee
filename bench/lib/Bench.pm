# Bench.pm: bench/run's options, tools, child processes and the data files it reads.
# Every bench/lib/Bench/*.pm is part of this one package: they share the run's state below.
package Bench;
use strict;
use warnings;
use Getopt::Long qw(GetOptionsFromArray);
use POSIX qw(:sys_wait_h strftime);
use Time::HiRes qw(time sleep);

our $MiB = 1 << 20;
our ($SELF, $ROOT);		# bench/run and the source tree
our (%O, %T, %ONLY);		# options, tools found, --only
our ($QUICK, $ROUNDS, $DUR, $WARM, $N4K, $N64K, $N1M, $BIG, $BIGMIB);
our ($SRV_CPU, $CLI_CPU, $NCPU) = (0, 1, 0);
our $WRK_T = 1;			# wrk threads (--cores=N: N)
our %KIDS;			# pid => name, only processes this script started
our ($TMP, $MNT, $DOCROOT, $FSDESC);
our ($NOFILE, $IDLE_N);

require Bench::Docroot;
require Bench::Servers;
require Bench::Clients;
require Bench::Workloads;
require Bench::Report;
require Bench::Profile;
require Bench::Scrub;
require Bench::Scale;

sub usage {
	print STDERR <<"EOF";
usage: bench/run [--quick] [--disk[=DIR]] [--rounds=N] [--duration=SECS]
                 [--only=LIST] [--profile] [--keep] [--out=FILE]
  --quick        1 round, 3 s runs, smaller files (under 2 minutes)
  --disk[=DIR]   docroot on disk (default DIR: bench/out/disk) instead of tmpfs
  --rounds=N     A/B rounds (default 3; --quick 1)
  --duration=S   seconds per measured run (default 10; --quick 3)
  --only=LIST    comma list of: @{[ join(',', map { $_->{name} } grep { !$_->{when} } workloads()) ]}
                 and verify (GET 64 KiB with checksum verification on, off, and on
                 while scrubbing; only when listed) and scrub (one scrub pass of a
                 1,000-file device, alone and under GET load; only when listed)
  --profile      afterwards, profile evmogstored (perf record -g, strace -c -f)
                 during GET 4 KiB and PUT 64 KiB; output in bench/out/profile/
  --keep         keep the docroot and temp dir
  --idle-conns=N idle keep-alive connections (default 10000)
  --evm-arg=ARG  extra evmogstored argument (repeatable), e.g. --evm-arg=--threads=2
  --cores=N      only GET 4 KiB and PUT 64 KiB: evmogstored at 1 loop, N loops and N
                 worker processes vs nginx with N workers, servers and clients on
                 CPUs 0..N-1 (not pinned apart)
Writes the table to stdout and to bench/out/latest.txt.
EOF
	exit $_[0];
}

# Options into %O and the sizes they imply.
sub configure {
	my @argv = @_;
	%O = (
		quick => 0, rounds => undef, duration => undef, only => '', profile => 0,
		keep => 0, disk => undef, out => "$ROOT/bench/out/latest.txt",
		evmogstored => "$ROOT/src/evmogstored", nginx => undef, 'idle-conns' => 10000,
		'evm-arg' => [], cores => 0,
	);
	GetOptionsFromArray(\@argv, \%O, 'quick', 'rounds=i', 'duration=f', 'only=s',
		'profile', 'keep', 'disk:s', 'out=s', 'evmogstored=s', 'nginx=s',
		'idle-conns=i', 'evm-arg=s@', 'cores=i', 'help|h') or usage(2);
	usage(0) if $O{help};
	$QUICK  = $O{quick};
	$ROUNDS = $O{rounds}   // ($QUICK ? 1 : 3);
	$DUR    = $O{duration} // ($QUICK ? 3 : 10);
	$WARM   = $QUICK ? 1 : 2;
	$N4K    = $QUICK ? 200 : 1000;
	$N64K   = $QUICK ? 200 : 1000;
	$N1M    = $QUICK ? 10 : 50;
	$BIG    = ($QUICK ? 64 : 256) * $MiB;
	$BIGMIB = $BIG / $MiB;
	%ONLY   = map { $_ => 1 } grep { length } split /,/, $O{only};
	if ($O{cores}) {	# the scale rows only, on CPUs 0..N-1 shared by servers and clients
		usage(2) if $O{cores} < 2;
		%ONLY = (scale => 1);
		$SRV_CPU = $CLI_CPU = '0-' . ($O{cores} - 1);
		$WRK_T = $O{cores};
	}
	my %known = map { $_->{name} => 1 } workloads();
	for (sort keys %ONLY) {
		next if $known{$_} || $_ eq 'none';
		print STDERR "bench/run: unknown workload '$_' in --only (none: only --profile)\n";
		exit 2;
	}
}

# Re-run this script pinned to the client CPU (the clients it forks inherit it).
sub pin_self {
	my @orig = @_;
	return if $ENV{EVMOG_BENCH_PINNED};
	$ENV{EVMOG_BENCH_PINNED} = 1;
	if (which('taskset')) {
		exec('taskset', '-c', $CLI_CPU, $^X, $SELF, @orig);
		die "exec taskset: $!";
	}
}

sub which {
	my $p = shift;
	return $p if $p =~ m{/} && -x $p;
	for (split /:/, ($ENV{PATH} // '') . ':/usr/sbin:/sbin') {
		return "$_/$p" if -x "$_/$p" && !-d _;
	}
	return undef;
}

# The tools into %T; exits 2 naming the Debian packages of missing ones.
sub find_tools {
	my @missing;
	for my $t (['wrk', 'wrk'], ['nginx', 'nginx-light'], ['taskset', 'util-linux'],
		   ['md5sum', 'coreutils']) {
		my $p = $t->[0] eq 'nginx' && $O{nginx} ? which($O{nginx}) : which($t->[0]);
		if ($p) { $T{$t->[0]} = $p } else { push @missing, "$t->[0] (Debian package $t->[1])" }
	}
	if ($O{profile}) {
		$T{perf}   = which('perf');
		$T{strace} = which('strace');
		print STDERR "bench/run: note: perf not found (apt-get install -y linux-perf); "
		    . "profiling with strace only\n" unless $T{perf};
		print STDERR "bench/run: note: strace not found (apt-get install -y strace)\n"
		    unless $T{strace};
	}
	if (@missing) {
		print STDERR "bench/run: missing tool(s): ", join(', ', @missing), "\n",
		    "bench/run: install them first, e.g.: apt-get install -y nginx-light wrk\n",
		    "bench/run: (this script never installs anything itself)\n";
		exit 2;
	}
	if (!-x $O{evmogstored}) {
		print STDERR "bench/run: $O{evmogstored} not found or not executable; build it first: make -j2\n";
		exit 2;
	}
	$NCPU = () = do { open my $f, '<', '/proc/cpuinfo' or die; grep { /^processor\s*:/ } <$f> };
	if ($NCPU < 2) {
		print STDERR "bench/run: only $NCPU CPU: server and client share CPU 0 (numbers mean little)\n";
		$CLI_CPU = 0;
	}
}

# ---- child processes and cleanup ----
my $CLEANED = 0;
sub cleanup {
	return if $CLEANED++;
	stop_pid($_) for sort keys %KIDS;
	if ($O{keep}) {
		print STDERR "bench/run: kept $TMP\n" if $TMP;
		return;
	}
	if ($MNT) {
		system('umount', $MNT) == 0 or system('umount', '-l', $MNT);
		rmdir $MNT;
	}
	system('rm', '-rf', '--one-file-system', $TMP) if $TMP && -d $TMP;
}

sub stop_pid {
	my $pid = shift;
	return unless delete $KIDS{$pid};
	kill 'TERM', $pid;
	my $t = time + 10;
	while (time < $t) {
		return if waitpid($pid, WNOHANG) != 0;
		sleep 0.05;
	}
	kill 'KILL', $pid;
	waitpid($pid, 0);
}

sub spawn {	# (name, cpu, logfile, cmd...) -> pid; raises RLIMIT_NOFILE, pins to cpu
	my ($name, $cpu, $log, @cmd) = @_;
	my $pid = fork // die "fork: $!";
	if (!$pid) {
		open STDIN, '<', '/dev/null';
		open STDOUT, '>>', $log;
		open STDERR, '>&', \*STDOUT;
		exec('sh', '-c', 'ulimit -n "$0" 2>/dev/null; exec "$@"', $NOFILE,
		    $T{taskset}, '-c', $cpu, @cmd);
		exit 127;
	}
	$KIDS{$pid} = $name;
	return $pid;
}

sub run_capture {	# (timeout, cmd...) -> output; bounded by timeout(1)
	my ($t, @cmd) = @_;
	my $pid = open(my $fh, '-|') // die "fork: $!";
	if (!$pid) {
		open STDERR, '>&', \*STDOUT;
		exec('timeout', '-k', '5', int($t), @cmd);
		exit 127;
	}
	local $/;
	my $out = <$fh> // '';
	close $fh;
	return $out;
}

sub logmsg { printf STDERR "[%s] %s\n", strftime('%H:%M:%S', localtime), join('', @_) }

sub spew { my ($f, $s) = @_; open my $h, '>', $f or die "$f: $!"; print $h $s; close $h or die }

sub slurp { my $f = shift; open my $h, '<', $f or die "$f: $!"; local $/; return <$h> }

# ---- data files ----

# Rows of a "a | b | c" file below bench/, with ${NAME} replaced by $Bench::NAME.
sub read_table {
	my ($name, @keys) = @_;
	my @rows;
	for my $line (split /\n/, slurp("$ROOT/bench/$name")) {
		next if $line =~ /^\s*(#|$)/;
		$line =~ s{\$\{(\w+)\}}{no strict "refs"; ${"Bench::$1"} // ""}ge;
		my @f = map { s/^\s+|\s+$//gr } split /\|/, $line, -1;
		push @rows, { map { $keys[$_] => $f[$_] // '' } 0 .. $#keys };
	}
	return @rows;
}

sub workloads { read_table('workloads', qw(name kind label paths conns when)) }

1;
