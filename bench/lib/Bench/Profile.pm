# Bench/Profile.pm: --profile: perf and strace of both servers under GET 4 KiB and PUT 64 KiB.
package Bench;
use strict;
use warnings;

our ($QUICK, %T, %KIDS, $ROOT, $DOCROOT, %PATH_LIST, $GET_LUA, $PUT_LUA);

sub profile {
	my $dir = "$ROOT/bench/out/profile";
	system('mkdir', '-p', $dir);
	my $pdur = $QUICK ? 3 : 5;
	for my $w ([ 'get4k', 64, $GET_LUA, $PATH_LIST{'4k'}, 1 ], [ 'put64k', 16, $PUT_LUA, 1_500_000_000, 65536 ]) {
		my ($name, $conns, $lua, @args) = @$w;
		for my $mk ('evm', 'ngx') {
			my $s = $mk eq 'evm' ? start_evm('none') : start_nginx();
			wrk_run($s, $conns, 1, $lua, @args);
			my $tag = "$name-$mk";
			if ($T{perf}) {
				my $data = "$dir/perf-$tag.data";
				my $ppid = fork // die;
				if (!$ppid) {
					open STDOUT, '>', "$dir/perf-$tag.log"; open STDERR, '>&', \*STDOUT;
					exec($T{perf}, 'record', '-g', '-o', $data, '-p', join(',', srv_pids($s)), '--', 'sleep', $pdur + 1);
					exit 127;
				}
				$KIDS{$ppid} = 'perf';
				sleep 0.5;
				my $r = wrk_run($s, $conns, $pdur, $lua, @args);
				waitpid($ppid, 0); delete $KIDS{$ppid};
				system("'$T{perf}' report -i '$data' --stdio --no-children --sort sym --percent-limit 0.7 > '$dir/perf-$tag-self.txt' 2>/dev/null");
				system("'$T{perf}' report -i '$data' --stdio --children --sort sym -g none --percent-limit 3 > '$dir/perf-$tag-children.txt' 2>/dev/null");
				system("'$T{perf}' report -i '$data' --stdio --no-children --sort comm,dso > '$dir/perf-$tag-dso.txt' 2>/dev/null");
				spew("$dir/perf-$tag-rate.txt", sprintf("%.1f req/s under perf\n", $r->{rate}));
				logmsg("profile: perf $tag done ($dir/perf-$tag-self.txt)");
			}
			if ($T{perf}) {	# context switches and CPU per request
				my $sf = "$dir/perfstat-$tag.txt";
				my $ppid = fork // die;
				if (!$ppid) {
					open STDOUT, '>', '/dev/null'; open STDERR, '>', '/dev/null';
					exec($T{perf}, 'stat', '-x', ',', '-o', $sf, '-e', 'task-clock,context-switches,cpu-migrations',
					    '-p', join(',', srv_pids($s)), '--', 'sleep', $pdur + 1);
					exit 127;
				}
				$KIDS{$ppid} = 'perf';
				sleep 0.5;
				my $r = wrk_run($s, $conns, $pdur, $lua, @args);
				waitpid($ppid, 0); delete $KIDS{$ppid};
				my %v;
				if (open my $h, '<', $sf) { while (<$h>) { my @f = split /,/; $v{ $f[2] } = $f[0] if @f > 2 } }
				my $n = $r->{requests} || 1;
				my $line = sprintf "%s: %d requests, %.1f req/s; per request: %.2f context switches, %.2f migrations, %.1f us on CPU\n",
				    $tag, $r->{requests}, $r->{rate}, ($v{'context-switches'} // 0) / $n,
				    ($v{'cpu-migrations'} // 0) / $n, ($v{'task-clock'} // 0) * 1000 / $n;
				open my $h, '>>', $sf; print $h $line; close $h;
				logmsg("profile: $line");
			}
			if ($T{strace}) {
				my $sf = "$dir/strace-$tag.txt";
				my $spid = fork // die;
				if (!$spid) {
					open STDOUT, '>', '/dev/null'; open STDERR, '>', "$dir/strace-$tag.log";
					exec($T{strace}, '-c', '-f', '-o', $sf, map { ('-p', $_) } srv_pids($s));
					exit 127;
				}
				$KIDS{$spid} = 'strace';
				sleep 1;
				my $r = wrk_run($s, $conns, 3, $lua, @args);
				kill 'INT', $spid;
				waitpid($spid, 0); delete $KIDS{$spid};
				open my $h, '>>', $sf; printf $h "\nrequests completed during the trace: %d\n", $r->{requests}; close $h;
				logmsg("profile: strace $tag done ($sf, $r->{requests} requests)");
			}
			stop_srv($s);
			system('rm', '-rf', map { "$DOCROOT/dev$_/1" } 1 .. 4);
		}
	}
}

1;
