# Bench/Clients.pm: the load generators on the client CPU: wrk, and this script's own
# helper modes (--helper=putbig, --helper=idle, --helper=sideband) speaking through the test harness's
# socket helpers (test/integ/TestDaemon.pm).
package Bench;
use strict;
use warnings;
use Getopt::Long qw(GetOptionsFromArray);
use IO::Socket::INET;
use Time::HiRes qw(time);
use TestDaemon ();

our ($MiB, %T, $CLI_CPU, $NOFILE, $SELF, $WRK_T);
our $RAW = '';	# per-run raw numbers, written next to the table

sub parse_result {
	my $out = shift;
	my ($l) = $out =~ /^(RESULT .*)$/m or return undef;
	my %r = $l =~ /(\w+)=([\d.]+)/g;
	return \%r;
}

sub raw { my $l = join '', @_; $RAW .= "$l\n"; print STDERR "    $l\n" }

sub wrk_run {	# -> {rate, mibs, p99_ms, cpu_s, util, errs, requests}
	my ($srv, $conns, $dur, $lua, @args) = @_;
	my @pids = srv_pids($srv);
	my $c0 = cpu_ns(@pids);
	my $out = run_capture($dur + 60, $T{taskset}, '-c', $CLI_CPU, $T{wrk}, "-t$WRK_T", "-c$conns",
	    "-d${dur}s", '--latency', '--timeout', '30s', '-s', $lua,
	    "http://127.0.0.1:$srv->{port}/", '--', @args);
	my $c1 = cpu_ns(@pids);
	my $r = parse_result($out) or die "bench/run: wrk gave no result:\n$out";
	my $secs = $r->{duration_us} / 1e6;
	my $cpu = ($c1 - $c0) / 1e9;
	my $errs = 0;
	$errs += $r->{$_} for grep { /^err_/ } keys %$r;
	return { requests => $r->{requests}, rate => $r->{requests} / $secs,
		 mibs => $r->{bytes} / $MiB / $secs, p99_ms => $r->{p99_us} / 1000,
		 cpu_s => $cpu, util => $cpu / $secs, errs => $errs, secs => $secs,
		 bytes => $r->{bytes}, status => $r->{err_status} };
}

sub helper_run {	# runs this script in helper mode on the client CPU
	my ($t, @args) = @_;
	return run_capture($t, 'sh', '-c', 'ulimit -n "$0" 2>/dev/null; exec "$@"', $NOFILE,
	    $T{taskset}, '-c', $CLI_CPU, $^X, $SELF, @args);
}

# ---- helper modes (a separate process; see helper_run) ----
sub helper_main {
	my ($mode) = shift(@_) =~ /^--helper=(\w+)/;
	my %a;
	GetOptionsFromArray(\@_, \%a, 'port=i', 'path=s', 'size=i', 'duration=f', 'chunked', 'conns=i',
	    'cmd=s', 'depth=i')
	    or exit 2;
	$| = 1;
	if ($mode eq 'putbig') { helper_putbig(%a) }
	elsif ($mode eq 'idle') { helper_idle(%a) }
	elsif ($mode eq 'sideband') { helper_sideband(%a) }
	exit 2;
}

sub write_all { my ($s, $d) = @_; return TestDaemon::write_all($s, $d) == length $d }

sub read_response {	# -> (status, close?) or ()
	my ($s) = @_;
	my $r = TestDaemon::read_response($s, timeout => 300, discard_body => 1);
	return () unless $r && $r->{status} && !$r->{incomplete};
	return ($r->{status}, scalar(($r->{headers}{connection} // '') =~ /^close/i));
}

sub helper_connect {
	my $port = shift;
	return IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp');
}

sub helper_putbig {
	my %a = @_;
	my $b = block();
	my $chunk = $a{chunked} ? sprintf('%x', length $b) . "\r\n$b\r\n" : $b;
	my $head = "PUT $a{path} HTTP/1.1\r\nHost: 127.0.0.1:$a{port}\r\n"
	    . ($a{chunked} ? "Transfer-Encoding: chunked\r\n" : "Content-Length: $a{size}\r\n") . "\r\n";
	my ($n, $bytes, $err) = (0, 0, 0);
	my $s;
	my $t0 = time;
	my $deadline = $t0 + $a{duration};
	my $hard = $t0 + $a{duration} + 90;
	local $SIG{ALRM} = sub { print "RESULT requests=$n bytes=$bytes duration_us=1 errors=1\n"; exit 1 };
	alarm($a{duration} + 100);
	do {
		$s //= helper_connect($a{port}) or do { $err++; last };
		my $ok = write_all($s, $head);
		for (1 .. $a{size} / length $b) { last unless $ok; $ok = write_all($s, $chunk) }
		$ok &&= write_all($s, "0\r\n\r\n") if $a{chunked};
		my ($code, $close) = $ok ? read_response($s) : ();
		if (!$code || $code !~ /^2/) { $err++; print STDERR "PUT: status ", $code // 'none', "\n"; last }
		$n++;
		$bytes += $a{size};
		undef $s if $close;
	} while (time < $deadline && time < $hard);
	my $t1 = time;
	printf "RESULT requests=%d bytes=%d duration_us=%.0f errors=%d\n", $n, $bytes, ($t1 - $t0) * 1e6, $err;
	exit 0;
}

# Sideband commands (--cmd=size or MD5) over the paths listed in --path, --depth lines in
# flight on one connection (written as one batch, then every reply read), until --duration.
sub helper_sideband {
	my %a = @_;
	open my $fh, '<', $a{path} or die "$a{path}: $!";
	chomp(my @paths = <$fh>);
	my $depth = $a{depth} || 64;
	my @batches;	# a few different batches, cycling through the paths
	for my $b (0 .. 15) {
		push @batches, join '', map { "$a{cmd} $paths[($b * $depth + $_) % @paths]\r\n" } 0 .. $depth - 1;
	}
	my $s = helper_connect($a{port}) or die "connect: $!";
	my ($n, $err, $i) = (0, 0, 0);
	local $SIG{ALRM} = sub { print "RESULT requests=$n duration_us=1 errors=1\n"; exit 1 };
	alarm($a{duration} + 60);
	my $t0 = time;
	my $deadline = $t0 + $a{duration};
	while (time < $deadline) {
		write_all($s, $batches[$i++ % @batches]) or do { $err++; last };
		my ($got, $buf) = (0, '');
		while ($got < $depth) {
			my $r = sysread($s, $buf, 1 << 16) or do { $err++; last };
			$got += ($buf =~ tr/\n//);
			$err++ if $buf =~ /(?:-1|ERR)/;
		}
		last if $got < $depth;
		$n += $depth;
	}
	printf "RESULT requests=%d duration_us=%.0f errors=%d\n", $n, (time - $t0) * 1e6, $err;
	exit 0;
}

sub helper_idle {
	my %a = @_;
	my @socks;
	my $req = "GET $a{path} HTTP/1.1\r\nHost: 127.0.0.1:$a{port}\r\n\r\n";
	my $deadline = time + 60;
	for (1 .. $a{conns}) {
		my $s = helper_connect($a{port}) or do { print STDERR "connect: $!\n"; last };
		write_all($s, $req) or last;
		my ($code) = read_response($s);
		last unless $code && $code == 200;
		push @socks, $s;
		last if time > $deadline;
	}
	print "READY ", scalar(@socks), "\n";
	my $rin = '';
	vec($rin, fileno(STDIN), 1) = 1;
	select($rin, undef, undef, 120);	# until the parent closes our stdin
	exit 0;
}

1;
