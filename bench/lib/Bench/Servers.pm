# Bench/Servers.pm: evmogstored and nginx on the server CPU, and what they cost.
package Bench;
use strict;
use warnings;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(time sleep);
use TestDaemon ();

our (%O, %T, %KIDS, $TMP, $DOCROOT, $NOFILE, $SRV_CPU, $ROOT);

sub wait_port {
	my ($port, $pid, $what) = @_;
	my $exited = 0;
	my $up = TestDaemon::wait_port($port, 15, sub {
		return 1 if waitpid($pid, WNOHANG) != $pid;
		$exited = 1;
		return 0;
	});
	return 1 if $up;
	if ($exited) {
		delete $KIDS{$pid};
		die "bench/run: $what exited at startup (see its log)\n";
	}
	die "bench/run: $what did not listen on 127.0.0.1:$port within 15 s\n";
}

my $SERIAL = 0;
sub start_evm {
	my ($fsync, $name, @extra) = @_;
	my $n = ++$SERIAL;
	my ($p, $q) = (TestDaemon::free_port(), TestDaemon::free_port());
	my $log = "$TMP/evmogstored-$n.log";
	my $pid = spawn("evmogstored", $SRV_CPU, $log, $O{evmogstored}, "--docroot=$DOCROOT",
	    "--httplisten=127.0.0.1:$p", "--mgmtlisten=127.0.0.1:$q", "--fsync=$fsync",
	    "--maxconns=$NOFILE", @{ $O{'evm-arg'} }, @extra);
	wait_port($p, $pid, "evmogstored");
	wait_port($q, $pid, "evmogstored sideband");
	return { kind => 'evm', name => $name // "evmogstored fsync=$fsync", pid => $pid, port => $p,
		 mport => $q, log => $log };
}

# cmogstored (optional: CMOGSTORED=/path/to/cmogstored), only for the sideband rows.
sub start_cmog {
	my $n = ++$SERIAL;
	my ($p, $q) = (TestDaemon::free_port(), TestDaemon::free_port());
	my $log = "$TMP/cmogstored-$n.log";
	my $pid = spawn('cmogstored', $SRV_CPU, $log, $ENV{CMOGSTORED}, "--docroot=$DOCROOT",
	    "--httplisten=127.0.0.1:$p", "--mgmtlisten=127.0.0.1:$q", "--maxconns=$NOFILE");
	wait_port($q, $pid, 'cmogstored sideband');
	return { kind => 'cmog', name => 'cmogstored', pid => $pid, port => $p, mport => $q, log => $log };
}

# bench/nginx.conf.in filled in for a server in $dir on $port.
sub nginx_conf {
	my ($dir, $port, $workers, @temps) = @_;
	my %v = (
		WORKERS => $workers,
		USER => $> == 0 ? "user root;\n" : '',
		NOFILE => $NOFILE, CONNS => $NOFILE - 100, DIR => $dir, PORT => $port,
		DOCROOT => $DOCROOT,
		TEMPS => join('', map { "    ${_}_temp_path $dir/${_}_temp;\n" } @temps),
	);
	(my $conf = slurp("$ROOT/bench/nginx.conf.in")) =~ s/\@(\w+)\@/$v{$1} \/\/ die "nginx.conf.in: \@$1\@"/ge;
	return $conf;
}

my $NGX_TEMP_DIRECTIVES;
sub start_nginx {
	my $workers = shift // 1;
	my $n = ++$SERIAL;
	my $dir = "$TMP/nginx-$n";
	mkdir $dir or die "mkdir $dir: $!";
	my $p = TestDaemon::free_port();
	my $conf = "$dir/nginx.conf";
	if (!$NGX_TEMP_DIRECTIVES) {	# keep only the *_temp_path directives this nginx knows
		my @ok;
		for my $t (qw(proxy fastcgi uwsgi scgi)) {
			spew($conf, nginx_conf($dir, $p, $workers, @ok, $t));
			my $out = `'$T{nginx}' -t -q -p '$dir' -e '$dir/error.log' -c '$conf' 2>&1`;
			push @ok, $t unless $out =~ /unknown directive/;
		}
		$NGX_TEMP_DIRECTIVES = \@ok;
		spew($conf, nginx_conf($dir, $p, $workers, @ok));
		my $out = `'$T{nginx}' -t -q -p '$dir' -e '$dir/error.log' -c '$conf' 2>&1`;
		if ($? != 0) {
			print STDERR "bench/run: nginx rejects the generated configuration:\n$out";
			print STDERR "bench/run: (needs the dav module: apt-get install -y nginx-light)\n"
			    if $out =~ /dav/;
			exit 2;
		}
	}
	spew($conf, nginx_conf($dir, $p, $workers, @$NGX_TEMP_DIRECTIVES));
	my $pid = spawn('nginx', $SRV_CPU, "$dir/stderr.log", $T{nginx}, '-p', $dir,
	    '-e', "$dir/error.log", '-c', $conf);
	wait_port($p, $pid, 'nginx');
	return { kind => 'ngx', name => $workers > 1 ? "nginx $workers workers" : 'nginx', pid => $pid, port => $p, log => "$dir/error.log" };
}

sub stop_srv { my $s = shift; stop_pid($s->{pid}) if $s }

sub srv_pids {	# the server's processes: nginx master + workers; evmogstored itself
	my $s = shift;
	my @p = ($s->{pid});
	if (open my $f, '<', "/proc/$s->{pid}/task/$s->{pid}/children") {
		push @p, split ' ', scalar(<$f>) // '';
	}
	return @p;
}

sub cpu_ns {	# sum of /proc/PID/task/*/schedstat field 1 (ns on CPU)
	my $sum = 0;
	for my $pid (@_) {
		for my $t (glob "/proc/$pid/task/*/schedstat") {
			open my $f, '<', $t or next;
			my $l = <$f> // next;
			$sum += (split ' ', $l)[0];
		}
	}
	return $sum;
}

sub rss_kb {
	my $sum = 0;
	for my $pid (@_) {
		open my $f, '<', "/proc/$pid/status" or next;
		while (<$f>) { $sum += $1 if /^VmRSS:\s+(\d+)/ }
	}
	return $sum;
}

1;
