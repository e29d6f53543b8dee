# Bench/Workloads.pm: each workload of bench/workloads, run A/B against both servers.
package Bench;
use strict;
use warnings;
use Digest::MD5;
use IO::Socket::INET;
use IPC::Open2;
use Time::HiRes qw(time sleep);

our ($MiB, %O, %T, %ONLY, $ROUNDS, $DUR, $WARM, $BIG, $BIGMIB, $DOCROOT, $NOFILE, $IDLE_N,
     $SRV_CPU, $CLI_CPU, $SELF, @P4K, @PBIG, %PATH_LIST, $GET_LUA, $PUT_LUA);
our %RES;	# key -> server kind -> [ {..run..} ]
our @VERIFY;	# verification lines under the table
our $VERIFY_TABLE = '';	# the verify workload's own table

sub rec { my ($key, $kind, $r) = @_; push @{ $RES{$key}{$kind} }, $r }

sub median {
	my @v = sort { $a <=> $b } @_;
	return undef unless @v;
	return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}
sub minmax { my @v = sort { $a <=> $b } @_; return ($v[0], $v[-1]) }

sub want { my $w = shift; return !%ONLY || $ONLY{$w} }

sub get_workload {
	my ($key, $label, $list, $conns) = @_;
	logmsg("$label: $ROUNDS round(s) x $DUR s, $conns connections");
	# no scrubber: on the servers' shared CPU it would also run during nginx's rounds
	# (its cost to GETs is the scrub row's: --only=scrub)
	my $e = start_evm('none', undef, '--scrub-rate=0');
	my $n = start_nginx();
	for my $s ($e, $n) { wrk_run($s, $conns, $WARM, $GET_LUA, $list, 1) }
	for my $round (1 .. $ROUNDS) {
		for my $s ($e, $n) {
			my $r = wrk_run($s, $conns, $DUR, $GET_LUA, $list, $round);
			rec($key, $s->{kind}, $r);
			raw(sprintf "%-10s %-24s round %d: %10.1f req/s %9.1f MiB/s p99 %7.2f ms cpu %6.2f s (%3.0f%%) errors %d",
			    $key, $s->{name}, $round, $r->{rate}, $r->{mibs}, $r->{p99_ms}, $r->{cpu_s},
			    100 * $r->{util}, $r->{errs});
		}
	}
	stop_srv($_) for $e, $n;
}

my $PUTSEQ = 0;
sub put_files {	# -> list of PUT-written files under devN/1 (all from the last run)
	my @f = split /\n/, `find '$DOCROOT'/dev[1-4]/1 -type f 2>/dev/null`;
	return @f;
}

sub put64_workload {
	my $conns = 16;
	my $size = 65536;
	my $dur = $DUR;
	logmsg("PUT 64 KiB: $ROUNDS round(s) x $dur s, $conns connections, fresh paths");
	my $body_md5 = Digest::MD5::md5_hex(put_body($size));
	my $en = start_evm('none');
	my $ed = start_evm('data');
	my $n = start_nginx();
	my %v;	# name -> {runs, files, bad}
	for my $round (0 .. $ROUNDS) {	# round 0: warm-up
		for my $s ($en, $n, $ed) {
			my $base = 1_000_000_000 + (++$PUTSEQ % 100) * 1_000_000;
			system('rm', '-rf', map { "$DOCROOT/dev$_/1" } 1 .. 4);
			my $r = wrk_run($s, $conns, $round ? $dur : $WARM, $PUT_LUA, $base, $size);
			# verify: every 2xx response has its file, sizes and content of a sample
			my @f = put_files();
			my @tmp = grep { !/\.fid$/ } @f;
			my @fid = grep { /\.fid$/ } @f;
			my $ok2xx = $r->{requests} - $r->{status};
			my $bad = 0;
			my @why;
			if (@fid < $ok2xx || @fid > $r->{requests} + $conns) {
				$bad++;
				push @why, sprintf('%d files for %d responses', scalar @fid, $r->{requests});
			}
			if (@tmp) { $bad++; push @why, scalar(@tmp) . ' leftover temp files' }
			my $step = int(@fid / 50) || 1;
			for (my $i = 0; $i < @fid; $i += $step) {
				if (-s $fid[$i] != $size) { $bad++; push @why, "$fid[$i]: size " . (-s _); last }
			}
			if (@fid) {
				open my $h, '<:raw', $fid[-1] or die;
				local $/;
				my $got = Digest::MD5::md5_hex(<$h> // '');
				if ($got ne $body_md5) { $bad++; push @why, "$fid[-1]: wrong content" }
			}
			$bad++, push @why, "$r->{status} error statuses" if $r->{status};
			next unless $round;
			my $kind = $s->{kind} eq 'ngx' ? 'ngx' : 'evm';
			if ($s->{name} =~ /data/) { rec('put64k_data', 'evm', $r) } else { rec('put64k', $kind, $r) }
			$v{ $s->{name} }{runs}++;
			$v{ $s->{name} }{files} += @fid;
			$v{ $s->{name} }{bad} += $bad;
			push @{ $v{ $s->{name} }{why} }, @why;
			raw(sprintf "%-10s %-24s round %d: %10.1f req/s cpu %6.2f s (%3.0f%%) errors %d; %d files%s",
			    'put64k', $s->{name}, $round, $r->{rate}, $r->{cpu_s}, 100 * $r->{util}, $r->{errs},
			    scalar @fid, $bad ? ' VERIFY FAILED: ' . join('; ', @why) : ', verified');
		}
	}
	system('rm', '-rf', map { "$DOCROOT/dev$_/1" } 1 .. 4);
	stop_srv($_) for $en, $ed, $n;
	for my $name (sort keys %v) {
		push @VERIFY, sprintf('PUT 64 KiB %-24s %d run(s), %d files written, %s', $name,
		    $v{$name}{runs}, $v{$name}{files},
		    $v{$name}{bad} ? 'VERIFY FAILED: ' . join('; ', @{ $v{$name}{why} }[0 .. 2])
		    : 'count = 2xx responses (+ in flight), 50 sizes and 1 MD5 checked: ok');
	}
}

sub putbig_run {
	my ($s, $path, $chunked, $dur) = @_;
	my @pids = srv_pids($s);
	my $c0 = cpu_ns(@pids);
	my $out = helper_run($dur + 120, '--helper=putbig', "--port=$s->{port}", "--path=$path",
	    "--size=$BIG", "--duration=$dur", $chunked ? ('--chunked') : ());
	my $c1 = cpu_ns(@pids);
	my $r = parse_result($out) or die "bench/run: PUT client gave no result:\n$out";
	die "bench/run: PUT $path failed: $out" if $r->{errors};
	my $secs = $r->{duration_us} / 1e6;
	my $cpu = ($c1 - $c0) / 1e9;
	return { requests => $r->{requests}, mibs => $r->{bytes} / $MiB / $secs, cpu_s => $cpu,
		 util => $cpu / $secs, errs => 0, secs => $secs, bytes => $r->{bytes} };
}

sub big_md5 {	# expected MD5 of what the PUT helper sends
	my $ctx = Digest::MD5->new;
	$ctx->add(block()) for 1 .. $BIG / $MiB;
	return $ctx->hexdigest;
}

sub put256_workload {
	logmsg("PUT $BIGMIB MiB: $ROUNDS round(s) x $DUR s, 1 connection, Content-Length and chunked");
	my $want = big_md5();
	my $e = start_evm('none');
	my $n = start_nginx();
	for my $mode (0, 1) {
		my $key = $mode ? 'put256m_chunked' : 'put256m';
		my %path = (evm => fidpath(9001, 1), ngx => fidpath(9002, 1));
		for my $round (0 .. $ROUNDS) {
			for my $s ($e, $n) {
				my $r = putbig_run($s, $path{ $s->{kind} }, $mode, $round ? $DUR : $WARM);
				next unless $round;
				rec($key, $s->{kind}, $r);
				raw(sprintf "%-15s %-24s round %d: %8.1f MiB/s (%d PUTs) cpu %6.2f s (%3.0f%%)",
				    $key, $s->{name}, $round, $r->{mibs}, $r->{requests}, $r->{cpu_s}, 100 * $r->{util});
			}
		}
		for my $s ($e, $n) {	# verify the last file each server wrote
			my $f = "$DOCROOT$path{ $s->{kind} }";
			open my $h, '<:raw', $f or do { push @VERIFY, "PUT $BIGMIB MiB $s->{name}: $f missing"; next };
			my $got = Digest::MD5->new->addfile($h)->hexdigest;
			push @VERIFY, sprintf 'PUT %d MiB %-8s %-24s size %d, MD5 %s', $BIGMIB,
			    $mode ? 'chunked' : 'C-L', $s->{name}, -s $f, $got eq $want ? 'ok' : "WRONG ($got)";
			unlink $f;
		}
	}
	stop_srv($_) for $e, $n;
}

sub idle_workload {
	logmsg("idle: $IDLE_N keep-alive connections after one GET each, $ROUNDS round(s), fresh servers");
	for my $round (1 .. $ROUNDS) {
		for my $kind ('evm', 'ngx') {
			# no scrubber here: this row measures connections, and a scrub pass listing
			# a directory of the PUT rows' files (one scandir of ~400,000 names) grows
			# RSS by 3-5 MiB during the measurement (317-517 B/conn instead of ~120)
			my $s = $kind eq 'evm' ? start_evm('none', undef, '--scrub-rate=0') : start_nginx();
			wrk_run($s, 64, 1, $GET_LUA, $PATH_LIST{'4k'}, 1);	# warm: buffers, threads, caches
			sleep 0.3;
			my @pids = srv_pids($s);
			my $rss0 = rss_kb(@pids);
			my $pid = open2(my $from, my $to, 'sh', '-c', 'ulimit -n "$0" 2>/dev/null; exec "$@"',
			    $NOFILE, $T{taskset}, '-c', $CLI_CPU, 'timeout', '-k', '5', '180',
			    $^X, $SELF, '--helper=idle', "--port=$s->{port}", "--conns=$IDLE_N",
			    "--path=$P4K[0]");
			my $line = <$from> // '';
			my ($n) = $line =~ /^READY (\d+)/;
			sleep 1;
			my $rss1 = rss_kb(@pids);
			close $to;
			waitpid($pid, 0);
			close $from;
			if (!$n) {
				print STDERR "bench/run: idle client failed: $line";
				stop_srv($s);
				next;
			}
			my $per = ($rss1 - $rss0) * 1024 / $n;
			rec('idle', $s->{kind}, { per => $per, rss0 => $rss0, rss1 => $rss1, n => $n });
			raw(sprintf "%-10s %-24s round %d: %d conns, VmRSS %d -> %d KiB: %.0f B/conn",
			    'idle', $s->{name}, $round, $n, $rss0, $rss1, $per);
			stop_srv($s);
		}
	}
}

sub md5_workload {
	my $path = $PBIG[0];
	my $file = "$DOCROOT$path";
	my $reps = int(512 / $BIGMIB) || 1;	# at least 512 MiB per measurement
	logmsg("MD5: sideband MD5 of $BIGMIB MiB x $reps vs md5sum, $ROUNDS round(s), both on CPU $SRV_CPU");
	my $e = start_evm('none');
	my ($digest_e, $digest_m) = ('', '');
	for my $round (0 .. $ROUNDS) {
		# evmogstored
		my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $e->{mport}, Timeout => 60)
		    or die "sideband: $!";
		my @pids = srv_pids($e);
		my $c0 = cpu_ns(@pids);
		my $t0 = time;
		for (1 .. $reps) {
			print $sock "MD5 $path\r\n";
			my $l = <$sock> // die "sideband closed\n";
			($digest_e) = $l =~ /MD5=([0-9a-f]{32})/ or die "sideband: $l";
		}
		my $t1 = time;
		my $c1 = cpu_ns(@pids);
		close $sock;
		# md5sum
		my @tm0 = times;
		my $t2 = time;
		for (1 .. $reps) {
			my $out = run_capture(120, $T{taskset}, '-c', $SRV_CPU, $T{md5sum}, $file);
			($digest_m) = $out =~ /^([0-9a-f]{32})/ or die "md5sum: $out";
		}
		my $t3 = time;
		my @tm1 = times;
		next unless $round;
		my $bytes = $reps * $BIG / $MiB;
		my $ce = ($c1 - $c0) / 1e9;
		my $cm = ($tm1[2] + $tm1[3]) - ($tm0[2] + $tm0[3]);
		rec('md5', 'evm', { mibs => $bytes / ($t1 - $t0), cpu_s => $ce, util => $ce / ($t1 - $t0), secs => $t1 - $t0 });
		rec('md5', 'ngx', { mibs => $bytes / ($t3 - $t2), cpu_s => $cm, util => $cm / ($t3 - $t2), secs => $t3 - $t2 });
		raw(sprintf "%-10s round %d: sideband %.1f MiB/s (cpu %.2f s), md5sum %.1f MiB/s (cpu %.2f s)",
		    'md5', $round, $bytes / ($t1 - $t0), $ce, $bytes / ($t3 - $t2), $cm);
	}
	push @VERIFY, "MD5 $path: sideband $digest_e, md5sum $digest_m: "
	    . ($digest_e eq $digest_m ? 'equal' : 'DIFFERENT');
	stop_srv($e);
}


# Sideband size and MD5 of the 4 KiB files, pipelined: server CPU per command (no nginx
# peer; cmogstored as a column when CMOGSTORED names its binary).
sub sideband_workload {
	my $depth = 64;
	my @srv = (start_evm('none'));
	push @srv, start_cmog() if $ENV{CMOGSTORED};
	logmsg("sideband: size and MD5 of 4 KiB files, $depth pipelined on 1 connection, $ROUNDS round(s) x $DUR s");
	my %v;	# cmd -> kind -> [ { rate, us } ]
	for my $round (0 .. $ROUNDS) {	# round 0: warm-up
		for my $cmd ('size', 'MD5') {
			for my $s (@srv) {
				my @pids = srv_pids($s);
				my $c0 = cpu_ns(@pids);
				my $dur = $round ? $DUR : $WARM;
				my $out = helper_run($dur + 90, '--helper=sideband', "--port=$s->{mport}",
				    "--path=$PATH_LIST{'4k'}", "--cmd=$cmd", "--duration=$dur", "--depth=$depth");
				my $c1 = cpu_ns(@pids);
				my $r = parse_result($out) or die "bench/run: sideband client gave no result:\n$out";
				die "bench/run: sideband $cmd on $s->{name}: errors in the replies\n" if $r->{errors};
				next unless $round;
				my $secs = $r->{duration_us} / 1e6;
				my $cpu = ($c1 - $c0) / 1e9;
				my $x = { rate => $r->{requests} / $secs, us => $cpu * 1e6 / ($r->{requests} || 1),
					  util => $cpu / $secs };
				push @{ $v{$cmd}{ $s->{kind} } }, $x;
				raw(sprintf "%-10s %-24s %-4s round %d: %10.1f cmd/s, %.2f us server CPU per command (%3.0f%%)",
				    'sideband', $s->{name}, $cmd, $round, $x->{rate}, $x->{us}, 100 * $x->{util});
			}
		}
	}
	stop_srv($_) for @srv;
	my $t = sprintf "sideband, %d pipelined on 1 connection, 4 KiB files (medians of %d round(s) x %d s)\n",
		$depth, $ROUNDS, $DUR;
	$t .= sprintf "  %-28s %12s %14s%s\n", 'command', 'evm cmd/s', 'evm us CPU/cmd',
		$ENV{CMOGSTORED} ? sprintf(' %12s %14s', 'cmog cmd/s', 'cmog us CPU/cmd') : '';
	for my $cmd ('size', 'MD5') {
		my @cols;
		for my $kind ('evm', $ENV{CMOGSTORED} ? ('cmog') : ()) {
			my @x = @{ $v{$cmd}{$kind} // [] };
			push @cols, sprintf ' %12.0f %14.2f', median(map { $_->{rate} } @x) // 0,
				median(map { $_->{us} } @x) // 0;
		}
		$t .= sprintf "  %-28s%s\n", $cmd eq 'size' ? 'sideband size, pipelined' : 'sideband MD5 4 KiB, pipelined',
			join '', @cols;
	}
	$VERIFY_TABLE .= $t;
	print STDERR $t;
}

# GET every path of the list once (files written by this script have no checksum
# record: the first whole read gives them one, which is not what is measured).
sub get_all {
	my ($srv, $list) = @_;
	open my $fh, '<', $list or die "$list: $!";
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$srv->{port}") or die "connect: $!";
	while (my $path = <$fh>) {
		chomp $path;
		print $s "GET $path HTTP/1.1\r\nHost: b\r\n\r\n";
		my $head = '';
		$head .= getc($s) // die "GET $path: EOF" until $head =~ /\r\n\r\n\z/;
		my ($len) = $head =~ /Content-Length: (\d+)/i or die "GET $path: $head";
		read($s, my $body, $len) == $len or die "GET $path: short body";
	}
}

# GET 64 KiB with verification on, off, and on while every device is scrubbed.
sub verify_workload {
	my $conns = 64;
	logmsg("GET 64 KiB, checksum verification on/off/on+scrub: $ROUNDS round(s) x $DUR s");
	# stored files are old: young ones (modified in the last minute) are neither
	# adopted nor scrubbed, as they may still be being written
	my $old = time - 3600;
	utime($old, $old, $_) for split /\n/, `find '$DOCROOT' -type f`;
	my @s = (start_evm('none', 'evm verify=on', '--verify-reads=yes', '--scrub-rate=0'),
		 start_evm('none', 'evm verify=off', '--verify-reads=no', '--scrub-rate=0'));
	get_all($s[0], $PATH_LIST{'64k'});		# adopt: every file gets its record first
	push @s, start_evm('none', 'evm verify=on scrub=10M', '--verify-reads=yes',
			   '--scrub-rate=10M');
	my @key = qw(on off scrub);
	wrk_run($_, $conns, $WARM, $GET_LUA, $PATH_LIST{'64k'}, 1) for @s;
	for my $round (1 .. $ROUNDS) {
		for my $i (0 .. $#s) {
			my $r = wrk_run($s[$i], $conns, $DUR, $GET_LUA, $PATH_LIST{'64k'}, $round);
			rec('verify64k', $key[$i], $r);
			raw(sprintf "%-10s %-24s round %d: %10.1f req/s %9.1f MiB/s p99 %7.2f ms cpu %6.2f s (%3.0f%%) errors %d",
			    'verify64k', $s[$i]{name}, $round, $r->{rate}, $r->{mibs}, $r->{p99_ms},
			    $r->{cpu_s}, 100 * $r->{util}, $r->{errs});
		}
	}
	stop_srv($_) for @s;
	my %med;
	for my $k (@key) {
		my @v = @{ $RES{verify64k}{$k} };
		$med{$k} = { rate => median(map { $_->{rate} } @v),
			     per_cpu => median(map { $_->{requests} / ($_->{cpu_s} || 1e-9) } @v) };
	}
	my $t = sprintf "GET 64 KiB, verification (medians of %d round(s) x %d s)\n", $ROUNDS, $DUR;
	$t .= sprintf "  %-22s %10.0f req/s %10.0f req per CPU-second\n", "verify=$_",
		$med{$_}{rate}, $med{$_}{per_cpu} for @key;
	$t .= sprintf "  on/off: %.3fx req/s, %.3fx per CPU-second; on+scrub/on: %.3fx req/s\n",
		$med{on}{rate} / $med{off}{rate}, $med{on}{per_cpu} / $med{off}{per_cpu},
		$med{scrub}{rate} / $med{on}{rate};
	$VERIFY_TABLE = $t;
	print STDERR $t;
}

# Every workload of bench/workloads that --only selects, in order.
sub run_plan {
	my %kinds = (
		get    => sub { get_workload($_[0]{name}, $_[0]{label}, $PATH_LIST{ $_[0]{paths} }, $_[0]{conns}) },
		put64  => \&put64_workload,
		put256 => \&put256_workload,
		idle   => \&idle_workload,
		md5    => \&md5_workload,
		sideband => \&sideband_workload,
		verify => \&verify_workload,
		scrub  => \&scrub_workload,
		scale  => \&scale_workload,
	);
	for my $w (workloads()) {
		my $run = $kinds{ $w->{kind} } or die "bench/workloads: unknown kind '$w->{kind}'\n";
		next if $w->{when} eq 'listed' ? !$ONLY{ $w->{name} } : !want($w->{name});
		$run->($w);
	}
}

1;
