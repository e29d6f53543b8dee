# 90-metrics.t: metrics: the status listener's GET /metrics (Prometheus text format 0.0.4),
# checked by a strict format checker written here (and by promtool when installed), then
# counters moving by exact amounts after known requests; /health, HEAD, 404, bad methods.
use strict;
use warnings;
use Test::More;
use POSIX qw(_exit);
use Time::HiRes qw(time sleep);
use TestDaemon;

my $PROMTOOL = -x '/usr/bin/promtool' ? '/usr/bin/promtool' : undef;

# ---------------------------------------------------------------------------------------
# The strict checker.  check_exposition($text) returns (\@errors, \%families); each family
# is { type, help, samples => [ [sample name, {labels}, value string, series key] ] }.
my $NAME_RE = qr/[a-zA-Z_:][a-zA-Z0-9_:]*/;
my $LABEL_RE = qr/[a-zA-Z_][a-zA-Z0-9_]*/;
my $FLOAT_RE = qr/^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|NaN|[+-]Inf)$/;
my %TYPES = map { $_ => 1 } qw(counter gauge histogram summary untyped);

sub num {
	my ($v) = @_;
	return 9**9**9 if $v eq '+Inf';
	return -9**9**9 if $v eq '-Inf';
	return 'nan' if $v eq 'NaN';
	return $v + 0;
}

# Parses '{a="x",b="y"}' content; returns (\%labels, \@order) or an error string.
sub parse_labels {
	my ($s) = @_;
	my (%l, @order);
	my $pos = 0;
	while ($pos < length $s) {
		my $rest = substr($s, $pos);
		$rest =~ /^($LABEL_RE)="((?:[^"\\\n]|\\[\\"n])*)"/ or return "bad label syntax at '$rest'";
		my ($k, $raw, $len) = ($1, $2, length $&);
		return "label name '$k' is reserved (__ prefix)" if $k =~ /^__/;
		return "duplicate label '$k'" if exists $l{$k};
		(my $v = $raw) =~ s/\\(.)/$1 eq 'n' ? "\n" : $1/ge;
		$l{$k} = $v;
		push @order, $k;
		$pos += $len;
		last if $pos == length $s;
		return "expected ',' between labels at '" . substr($s, $pos) . "'"
			unless substr($s, $pos, 1) eq ',';
		$pos++;
		return 'trailing comma in label set' if $pos == length $s;
	}
	return (\%l, \@order);
}

sub series_key {
	my ($name, $l, @skip) = @_;
	my %skip = map { $_ => 1 } @skip;
	return $name . '{' . join(',', map { "$_=\"$l->{$_}\"" } grep { !$skip{$_} } sort keys %$l) . '}';
}

sub check_exposition {
	my ($text) = @_;
	my (@err, %fam, %series, %closed);
	my $cur;				# family whose samples may follow
	push @err, 'empty exposition' if $text eq '';
	push @err, 'does not end in a newline' if $text ne '' && $text !~ /\n\z/;
	push @err, 'contains CR' if $text =~ /\r/;
	my $ln = 0;
	for my $line (split /\n/, $text) {
		$ln++;
		my $where = "line $ln '$line'";
		if ($line eq '') {
			push @err, "$where: empty line";
			next;
		}
		if ($line =~ /^#/) {
			if ($line =~ /^# (HELP|TYPE) (\S+)(?: (.*))?$/) {
				my ($kw, $name, $arg) = ($1, $2, $3 // '');
				if ($name !~ /^$NAME_RE$/) {
					push @err, "$where: invalid metric name '$name'";
					next;
				}
				if ($closed{$name} || ($fam{$name} && @{ $fam{$name}{samples} })) {
					push @err, "$where: $kw after samples of $name (families interleaved)";
				}
				if (defined $cur && $cur ne $name) {
					$closed{$cur} = 1;
				}
				$cur = $name;
				my $f = $fam{$name} //= { samples => [], nhelp => 0, ntype => 0 };
				if ($kw eq 'HELP') {
					$f->{nhelp}++;
					push @err, "$where: second HELP for $name" if $f->{nhelp} > 1;
					push @err, "$where: HELP text has a bad escape"
						if $arg =~ /\\(?![\\n])/;
					push @err, "$where: empty HELP text" if $arg eq '';
					$f->{help} = $arg;
				} else {
					$f->{ntype}++;
					push @err, "$where: second TYPE for $name" if $f->{ntype} > 1;
					push @err, "$where: unknown type '$arg'" unless $TYPES{$arg};
					$f->{type} = $arg;
				}
			} elsif ($line =~ /^# (HELP|TYPE)\b/) {
				push @err, "$where: malformed $1 line";
			}
			next;			# other comments are allowed
		}
		my ($name, $lab, $val, $ts) =
			$line =~ /^($NAME_RE)(?:\{(.*)\})? ([^ ]+)(?: (-?\d+))?$/;
		if (!defined $name) {
			push @err, "$where: not 'name{labels} value'";
			next;
		}
		my ($l, $order) = parse_labels($lab // '');
		if (!ref $l) {
			push @err, "$where: $l";
			next;
		}
		push @err, "$where: value '$val' is not a float" unless $val =~ $FLOAT_RE;
		# which family does this sample belong to?
		my $f;
		if (defined $cur && $fam{$cur}) {
			my $t = $fam{$cur}{type} // '';
			my %ok = ($cur => 1);
			%ok = map { ("${cur}$_" => 1) } qw(_bucket _sum _count) if $t eq 'histogram';
			%ok = ($cur => 1, "${cur}_sum" => 1, "${cur}_count" => 1) if $t eq 'summary';
			$f = $cur if $ok{$name};
		}
		if (!defined $f) {
			my $base = $name;
			$base =~ s/_(?:bucket|sum|count)$//;
			if ($closed{$name} || $closed{$base}) {
				push @err, "$where: sample of an earlier family (families interleaved)";
			} else {
				push @err, "$where: sample without a preceding # HELP/# TYPE of its family";
			}
			next;
		}
		my $F = $fam{$f};
		push @err, "$where: sample before # TYPE $f" unless defined $F->{type};
		push @err, "$where: sample before # HELP $f" unless $F->{nhelp};
		my $key = series_key($name, $l);
		push @err, "$where: duplicate series $key" if $series{$key}++;
		push @{ $F->{samples} }, [$name, $l, $val, $key];
	}
	for my $f (sort keys %fam) {
		my $F = $fam{$f};
		push @err, "$f: no # HELP" unless $F->{nhelp};
		push @err, "$f: no # TYPE" unless $F->{ntype};
		my $t = $F->{type} // '';
		if ($t eq 'counter') {
			push @err, "$f: counter name does not end in _total" unless $f =~ /_total$/;
			for my $s (@{ $F->{samples} }) {
				push @err, "$s->[3]: counter value $s->[2] is not a non-negative number"
					if $s->[2] !~ /^[+]?(?:\d|\.\d)/ || $s->[2] =~ /Inf|NaN/;
			}
		}
		if ($t ne 'histogram') {
			push @err, "$f: 'le' label outside a histogram"
				if grep { exists $_->[1]{le} } @{ $F->{samples} };
		}
		check_histogram($f, $F, \@err) if $t eq 'histogram';
	}
	return (\@err, \%fam);
}

sub check_histogram {
	my ($f, $F, $err) = @_;
	my %g;			# series key without le => { buckets => [[le, count]], sum, count }
	for my $s (@{ $F->{samples} }) {
		my ($name, $l, $val) = @$s;
		my $k = series_key($f, $l, 'le');
		my $G = $g{$k} //= { buckets => [] };
		if ($name eq "${f}_bucket") {
			if (!exists $l->{le}) {
				push @$err, "$k: _bucket without le";
				next;
			}
			push @$err, "$k: le=\"$l->{le}\" is not a float" unless $l->{le} =~ $FLOAT_RE;
			push @{ $G->{buckets} }, [$l->{le}, $val];
		} else {
			push @$err, "$k: le label on $name" if exists $l->{le};
			my $which = $name eq "${f}_sum" ? 'sum' : 'count';
			$G->{$which} = $val;
			push @$err, "$k: $name before its buckets" unless @{ $G->{buckets} };
		}
	}
	push @$err, "$f: histogram with no series" unless %g;
	for my $k (sort keys %g) {
		my $G = $g{$k};
		my @b = @{ $G->{buckets} };
		if (!@b) {
			push @$err, "$k: no _bucket samples";
			next;
		}
		for my $i (0 .. $#b) {
			push @$err, "$k: bucket count $b[$i][1] is not a non-negative integer"
				unless $b[$i][1] =~ /^\d+$/;
			next unless $i;
			push @$err, "$k: le $b[$i][0] not above le $b[$i-1][0]"
				unless num($b[$i][0]) > num($b[$i-1][0]);
			push @$err, "$k: cumulative count drops ($b[$i-1][1] → $b[$i][1]) at le $b[$i][0]"
				if $b[$i][1] =~ /^\d+$/ && $b[$i-1][1] =~ /^\d+$/ && $b[$i][1] < $b[$i-1][1];
		}
		push @$err, "$k: last bucket is le=\"$b[-1][0]\", not \"+Inf\"" unless $b[-1][0] eq '+Inf';
		if (!defined $G->{count}) {
			push @$err, "$k: no _count";
		} elsif ($b[-1][0] eq '+Inf' && $G->{count} ne $b[-1][1]) {
			push @$err, "$k: _count $G->{count} != +Inf bucket $b[-1][1]";
		}
		if (!defined $G->{sum}) {
			push @$err, "$k: no _sum";
		} elsif ($G->{sum} =~ /NaN/ || num($G->{sum}) < 0) {
			push @$err, "$k: _sum $G->{sum} is negative or NaN";
		}
	}
}

# series key => value (string), over all families
sub values_of {
	my ($fam) = @_;
	my %v;
	for my $F (values %$fam) {
		$v{ $_->[3] } = $_->[2] for @{ $F->{samples} };
	}
	return \%v;
}

# ---------------------------------------------------------------------------------------
# The checker must itself be able to fail: each broken exposition below gets an error.
{
	my $good = <<'EOF';
# HELP a_total A counter.
# TYPE a_total counter
a_total{m="GET",q="a\"b\\c\nd"} 3
a_total{m="PUT"} 0
# HELP g A gauge.
# TYPE g gauge
g NaN
g{x="1"} -1.5e-3
g{x="2"} +Inf
# HELP h_seconds A histogram.
# TYPE h_seconds histogram
h_seconds_bucket{d="1",le="0.1"} 1
h_seconds_bucket{d="1",le="1"} 2
h_seconds_bucket{d="1",le="+Inf"} 3
h_seconds_sum{d="1"} 4.5
h_seconds_count{d="1"} 3
EOF
	my ($e) = check_exposition($good);
	is_deeply($e, [], 'checker self-test: a valid exposition passes') or diag(join "\n", @$e);
	my @bad = (
		['no trailing newline', "# HELP g x\n# TYPE g gauge\ng 1"],
		['sample without HELP/TYPE', "g 1\n"],
		['no HELP', "# TYPE g gauge\ng 1\n"],
		['two TYPE lines', "# HELP g x\n# TYPE g gauge\n# TYPE g gauge\ng 1\n"],
		['two HELP lines', "# HELP g x\n# HELP g y\n# TYPE g gauge\ng 1\n"],
		['TYPE after samples', "# HELP g x\ng 1\n# TYPE g gauge\n"],
		['unknown type', "# HELP g x\n# TYPE g gauges\ng 1\n"],
		['bad metric name', "# HELP 1g x\n# TYPE 1g gauge\n1g 1\n"],
		['bad label name', "# HELP g x\n# TYPE g gauge\ng{1a=\"x\"} 1\n"],
		['unescaped quote in label value', "# HELP g x\n# TYPE g gauge\ng{a=\"x\"y\"} 1\n"],
		['bad escape in label value', "# HELP g x\n# TYPE g gauge\ng{a=\"x\\ty\"} 1\n"],
		['unquoted label value', "# HELP g x\n# TYPE g gauge\ng{a=x} 1\n"],
		['duplicate label', "# HELP g x\n# TYPE g gauge\ng{a=\"1\",a=\"2\"} 1\n"],
		['value not a float', "# HELP g x\n# TYPE g gauge\ng 1,5\n"],
		['value "nan" (lower case)', "# HELP g x\n# TYPE g gauge\ng nan\n"],
		['duplicate series', "# HELP g x\n# TYPE g gauge\ng{a=\"1\"} 1\ng{a=\"1\"} 2\n"],
		['interleaved families', "# HELP g x\n# TYPE g gauge\ng 1\n# HELP k x\n# TYPE k gauge\n"
		 . "k 1\ng{a=\"1\"} 2\n"],
		['counter without _total', "# HELP c x\n# TYPE c counter\nc 1\n"],
		['negative counter', "# HELP c_total x\n# TYPE c_total counter\nc_total -1\n"],
		['histogram le descending', "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
		 . "h_bucket{le=\"0.5\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"],
		['histogram count decreasing', "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
		 . "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"],
		['histogram without +Inf', "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
		 . "h_sum 1\nh_count 1\n"],
		['histogram _count != +Inf', "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\n"
		 . "h_sum 1\nh_count 1\n"],
		['histogram without _sum', "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\n"
		 . "h_count 1\n"],
		['histogram bucket without le', "# HELP h x\n# TYPE h histogram\nh_bucket 1\n"
		 . "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"],
		['empty line', "# HELP g x\n# TYPE g gauge\n\ng 1\n"],
	);
	my $caught = 0;
	for my $b (@bad) {
		my ($e) = check_exposition($b->[1]);
		$caught++ if @$e;
		diag("checker missed: $b->[0]") unless @$e;
	}
	is($caught, scalar @bad, 'checker self-test: every broken exposition is rejected');
}

# promtool on a file; returns (exit code, output) or () without promtool.  Bounded to 30 s.
sub promtool {
	my ($text) = @_;
	return () unless $PROMTOOL;
	my $dir = TestDaemon::new_tmpdir();
	open(my $fh, '>:raw', "$dir/in") or die "$dir/in: $!";
	print $fh $text;
	close $fh;
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		open(STDIN, '<', "$dir/in") or _exit(127);
		open(STDOUT, '>', "$dir/out") or _exit(127);
		open(STDERR, '>&', \*STDOUT) or _exit(127);
		exec($PROMTOOL, 'check', 'metrics') or _exit(127);
	}
	my $end = time + 30;
	my $st;
	while (1) {
		my $r = waitpid($pid, POSIX::WNOHANG());
		if ($r == $pid) {
			$st = TestDaemon::decode_status($?);
			last;
		}
		if (time > $end) {
			kill 'KILL', $pid;
			waitpid($pid, 0);
			$st = 'timeout';
			last;
		}
		sleep 0.02;
	}
	return ($st, TestDaemon::slurp("$dir/out") // '');
}

SKIP: {
	skip 'promtool not installed (/usr/bin/promtool; Debian package prometheus)', 1 unless $PROMTOOL;
	my ($st, $out) = promtool("# TYPE x_total counter\nx_total{a=\"b} 1\n");
	isnt($st, 0, 'promtool rejects a malformed exposition (the promtool check can fail)')
		or diag($out);
}

# ---------------------------------------------------------------------------------------
my $d = TestDaemon->start(devices => [1, 2], status => 1);
my $T = TestDaemon::slow(5);

my $st = $d->connect('status');	# one persistent connection for all scrapes

sub get_status {
	my ($s, $path, %o) = @_;
	my $m = $o{method} // 'GET';
	TestDaemon::write_all($s, "$m $path HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	return TestDaemon::read_response($s, timeout => $T, head => $m eq 'HEAD');
}

# Scrape on $st; returns (response, errors, families, values).
sub scrape {
	my $r = get_status($st, '/metrics');
	return ($r, ['no response'], {}, {}) unless $r && defined $r->{status};
	my ($e, $fam) = check_exposition($r->{body});
	return ($r, $e, $fam, values_of($fam));
}

# start() probed the HTTP and sideband ports with connections of its own: wait until the
# daemon has seen them close, so that the scrape's connection is the only one
my ($r, $err, $fam, $v0);
TestDaemon::poll_until(sub {
	($r, $err, $fam, $v0) = scrape();
	return ($v0->{'evmogstored_connections{state="open"}'} // -1) == 1;
}, $T);
is($r->{status}, 200, 'GET /metrics → 200');
is($r->{headers}{'content-type'}, 'text/plain; version=0.0.4; charset=utf-8',
   'Content-Type is the 0.0.4 text format');
is($r->{headers}{'content-length'}, length $r->{body}, 'Content-Length matches the body');
is($r->{headers}{connection}, 'keep-alive', 'HTTP/1.1 scrape keeps the connection');
ok(!$r->{incomplete}, 'complete response');
is_deeply($err, [], 'first scrape passes the strict format checker')
	or diag(join("\n", @$err) . "\n--- body:\n$r->{body}");
# ... and rejects the real scrape broken in typical ways
{
	my $b = $r->{body};
	my @mut = (
		['+Inf bucket removed', sub { $_[0] =~ s/^evmogstored_device_request_duration_seconds_bucket\{[^\n]*le="\+Inf"\} \d+\n//m }],
		['a sample moved to the end', sub { $_[0] =~ s/^(evmogstored_device_total_bytes\{[^\n]*\n)//m && ($_[0] .= $1) }],
		['a TYPE line repeated', sub { $_[0] =~ s/^(# TYPE evmogstored_uptime_seconds gauge\n)/$1$1/m }],
		['a cumulative count lowered', sub { $_[0] =~ s/^(evmogstored_device_fsync_duration_seconds_bucket\{[^\n]*le="\+Inf"\}) 0$/$1 -1/m }],
		['a label value with a bare quote', sub { $_[0] =~ s/device="dev1"/device="de"v1"/ }],
		['a value with a comma', sub { $_[0] =~ s/^(evmogstored_uptime_seconds) (\d+)\.(\d+)$/$1 $2,$3/m }],
		['HELP dropped', sub { $_[0] =~ s/^# HELP process_open_fds [^\n]*\n//m }],
	);
	my @missed;
	for my $m (@mut) {
		my $x = $b;
		if (!$m->[1]->($x)) {
			push @missed, "$m->[0] (mutation did not apply)";
			next;
		}
		my ($e) = check_exposition($x);
		push @missed, $m->[0] unless @$e;
	}
	is_deeply(\@missed, [], 'checker rejects the real scrape broken in ' . scalar(@mut) . ' ways');
}
SKIP: {
	skip 'promtool not installed (/usr/bin/promtool; Debian package prometheus)', 1 unless $PROMTOOL;
	my ($pst, $out) = promtool($r->{body});
	is($pst, 0, 'promtool check metrics accepts the first scrape (no lint problems)')
		or diag($out);
}

# every documented family, with its type
my %want = (
	evmogstored_build_info => 'gauge', evmogstored_uptime_seconds => 'gauge',
	process_resident_memory_bytes => 'gauge', process_open_fds => 'gauge',
	evmogstored_http_requests_total => 'counter',
	evmogstored_http_received_bytes_total => 'counter',
	evmogstored_http_sent_bytes_total => 'counter', evmogstored_connections => 'gauge',
	evmogstored_connections_accepted_total => 'counter',
	evmogstored_sideband_commands_total => 'counter', evmogstored_fsck_queue_length => 'gauge',
	evmogstored_device_total_bytes => 'gauge', evmogstored_device_used_bytes => 'gauge',
	evmogstored_device_available_bytes => 'gauge',
	evmogstored_device_utilization_percent => 'gauge', evmogstored_device_queue_depth => 'gauge',
	evmogstored_device_threads => 'gauge', evmogstored_device_threads_busy => 'gauge',
	evmogstored_device_failing => 'gauge', evmogstored_device_errors_total => 'counter',
	evmogstored_device_unavailable => 'gauge',
	evmogstored_http_get_served_total => 'counter',
	evmogstored_body_cache_bytes => 'gauge', evmogstored_body_cache_entries => 'gauge',
	evmogstored_body_cache_hits_total => 'counter',
	evmogstored_body_cache_evictions_total => 'counter',
	evmogstored_device_request_duration_seconds => 'histogram',
	evmogstored_device_fsync_duration_seconds => 'histogram',
	evmogstored_integrity_events_total => 'counter',
	evmogstored_scrub_bytes_total => 'counter', evmogstored_scrub_files_total => 'counter',
	evmogstored_scrub_corrupt_total => 'counter', evmogstored_scrub_adopted_total => 'counter',
	evmogstored_scrub_passes_total => 'counter', evmogstored_scrub_pass_bytes => 'gauge',
	evmogstored_scrub_paused => 'gauge',
);
is_deeply({ map { $_ => $fam->{$_}{type} } keys %$fam }, \%want,
	  'exactly the documented metric families, with their types');

# static and per-device values on an idle daemon
{
	my (undef, $out) = TestDaemon::run_cli(['--version']);
	my ($ver) = $out =~ /(\d+\.\d+\S*)/;
	is($v0->{"evmogstored_build_info{version=\"$ver\"}"}, 1, "build_info{version=\"$ver\"} 1");
	my $up = $v0->{'evmogstored_uptime_seconds{}'};
	ok(defined $up && $up >= 0 && $up < 60, 'uptime_seconds is small and non-negative')
		or diag($up);
	my $status = TestDaemon::slurp("/proc/$d->{pid}/status") // '';
	my ($rss_kib) = $status =~ /^VmRSS:\s*(\d+)/m;
	my $rss = $v0->{'process_resident_memory_bytes{}'} // 0;
	ok($rss_kib && $rss > $rss_kib * 1024 / 2 && $rss < $rss_kib * 1024 * 2,
	   'process_resident_memory_bytes is near VmRSS') or diag("$rss vs ${rss_kib} KiB");
	# a background thread (a scrubber's pass, a device directory opened for a job) may
	# hold a descriptor for a moment: compare scrapes with /proc until one agrees
	my ($fds_said, $fds_real) = ($v0->{'process_open_fds{}'}, $d->fd_count);
	TestDaemon::poll_until(sub {
		my (undef, undef, undef, $v) = scrape();
		($fds_said, $fds_real) = ($v->{'process_open_fds{}'}, $d->fd_count);
		return defined $fds_said && $fds_said == $fds_real;
	}, $T) unless defined $fds_said && $fds_said == $fds_real;
	is($fds_said, $fds_real, 'process_open_fds equals /proc/PID/fd');
	is($v0->{'evmogstored_connections{state="open"}'}, 1, 'connections{open} 1 (the scrape)');
	is($v0->{'evmogstored_connections{state="idle"}'}, 0, 'connections{idle} 0');
	# start() waits for READY=1 without connecting: the scrape is the only connection
	is($v0->{'evmogstored_connections_accepted_total{}'}, 1,
	   'connections_accepted_total counts the scrape');
	is($v0->{'evmogstored_fsck_queue_length{}'}, 0, 'fsck_queue_length 0');
	is(scalar @{ $fam->{evmogstored_http_requests_total}{samples} }, 0,
	   'no http_requests_total series before any request');
	is($v0->{'evmogstored_http_received_bytes_total{}'}, 0, 'received_bytes_total 0');
	is($v0->{'evmogstored_http_sent_bytes_total{}'}, 0, 'sent_bytes_total 0');
	is_deeply([sort map { $_->[1]{command} } @{ $fam->{evmogstored_sideband_commands_total}{samples} }],
		  [sort qw(size MD5 SHA-1 watch shutdown aio_threads blank bad_uri unknown)],
		  'sideband_commands_total has every command, also at 0');
	for my $dev (qw(dev1 dev2)) {
		my $g = sub { $v0->{"evmogstored_device_$_[0]\{device=\"$dev\"}"} };
		ok(defined $g->('total_bytes') && $g->('total_bytes') > 0, "$dev total_bytes > 0");
		ok(defined $g->('used_bytes') && defined $g->('available_bytes')
		   && $g->('used_bytes') + $g->('available_bytes') <= $g->('total_bytes'),
		   "$dev used + available <= total");
		is($g->('total_bytes') % 1024, 0, "$dev total_bytes is whole KiB (usage file)");
		my $u = $g->('utilization_percent');
		ok(defined $u && ($u eq 'NaN' || ($u >= 0 && $u <= 100)),
		   "$dev utilization_percent is NaN or 0..100") or diag($u);
		# the usage file and the temp-file sweep run on the device's pool now and then
		# (slowly under the sanitizers): idle is the state once they are done
		my ($depth, $busy) = ($g->('queue_depth'), $g->('threads_busy'));
		TestDaemon::poll_until(sub {
			my (undef, undef, undef, $v) = scrape();
			($depth, $busy) = map { $v->{"evmogstored_device_$_\{device=\"$dev\"}"} }
					  qw(queue_depth threads_busy);
			return defined $busy && $busy == 0 && defined $depth && $depth == 0;
		}, $T) unless defined $busy && $busy == 0 && defined $depth && $depth == 0;
		is($depth, 0, "$dev queue_depth 0");
		ok($g->('threads') && $g->('threads') >= 1, "$dev threads >= 1");
		is($busy, 0, "$dev threads_busy 0");
		is($g->('failing'), 0, "$dev failing 0");
		is_deeply([map { $v0->{"evmogstored_device_errors_total{class=\"$_\",device=\"$dev\"}"} }
			   qw(EIO ENOSPC EACCES other)], [0, 0, 0, 0], "$dev errors_total 0 for 4 classes");
		for my $op (qw(GET PUT digest)) {
			is($v0->{"evmogstored_device_request_duration_seconds_count{device=\"$dev\",op=\"$op\"}"},
			   0, "$dev request_duration{op=$op} count 0");
		}
		is($v0->{"evmogstored_device_fsync_duration_seconds_count{device=\"$dev\"}"}, 0,
		   "$dev fsync_duration count 0");
	}
	# usage figures are the daemon's usage text (GET before any counted window)
	my $u = $d->roundtrip("GET /dev1/usage HTTP/1.0\r\n\r\n", timeout => $T);
	my ($total) = ($u && $u->{body} // '') =~ /^total: (\d+)$/m;
	is($v0->{'evmogstored_device_total_bytes{device="dev1"}'}, ($total // -1) * 1024,
	   'dev1 total_bytes = usage total × 1024');
}

# ---------------------------------------------------------------------------------------
# Status-listener requests are not storage requests: they must not move the HTTP counters.
{
	# a loop thread counts a request just after sending its last byte: the usage GET
	# above may be counted a moment after its client has the answer
	my $before;
	my $http = sub { my $v = shift; join ',', map { "$_=$v->{$_}" } sort grep { /^evmogstored_http_/ } keys %$v };
	TestDaemon::poll_until(sub {
		my $prev = $before;
		(undef, undef, undef, $before) = scrape();
		return $prev && $http->($prev) eq $http->($before);
	}, $T);
	my $h = get_status($st, '/health');
	is($h && $h->{status}, 200, 'GET /health → 200');
	is($h && $h->{body}, "ok\n", '/health body is "ok\n"');
	is($h && $h->{headers}{'content-type'}, 'text/plain; charset=utf-8', '/health is text/plain');
	my $n = get_status($st, '/nope');
	is($n && $n->{status}, 404, 'GET /nope → 404');
	is($n && $n->{headers}{connection}, 'keep-alive', '404 keeps the connection');
	my $hd = get_status($st, '/metrics', method => 'HEAD');
	is($hd && $hd->{status}, 200, 'HEAD /metrics → 200');
	ok($hd && $hd->{headers}{'content-length'} && $hd->{headers}{'content-length'} > 1000,
	   'HEAD /metrics: Content-Length of the would-be body');
	is($hd && $hd->{headers}{'content-type'}, 'text/plain; version=0.0.4; charset=utf-8',
	   'HEAD /metrics: Content-Type');
	is(TestDaemon::read_avail($st, 0.2), '', 'HEAD /metrics: no body bytes follow');
	my $h2 = get_status($st, '/health');
	is($h2 && $h2->{status}, 200, 'next request on the connection after HEAD parses (no body was sent)');
	my ($r2, $e2, undef, $after) = scrape();
	is_deeply($e2, [], 'scrape after status requests passes the checker') or diag(join "\n", @$e2);
	my @moved = grep { /^evmogstored_http_/ && ($after->{$_} // 0) ne ($before->{$_} // 0) }
		    sort keys %{ { %$before, %$after } };
	is_deeply(\@moved, [], 'status-listener requests do not move evmogstored_http_* counters');
	is($after->{'evmogstored_connections_accepted_total{}'},
	   $before->{'evmogstored_connections_accepted_total{}'},
	   'no new connection was accepted (same persistent status connection)');
	ok($after->{'evmogstored_uptime_seconds{}'} >= $before->{'evmogstored_uptime_seconds{}'},
	   'uptime_seconds does not go backwards');
}

# methods other than GET/HEAD on the status listener
{
	my ($p, $s) = $d->roundtrip("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
				    which => 'status', timeout => $T);
	my $code = $p && $p->{status};
	ok(defined $code && ($code == 405 || $code == 400), 'POST /metrics → 405 or 400')
		or diag($p && $p->{raw});
	note('POST /metrics answered ' . ($code // 'nothing')
	     . ($code && $code == 400 ? ' (the storage HTTP parser rejects unknown methods with 400)' : ''));
	is($p && $p->{headers}{connection}, 'close', 'POST: Connection: close');
	ok(TestDaemon::is_eof($s, $T), 'POST: then EOF');

	my ($q, $s2) = $d->roundtrip("PUT /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n"
				     . "GET / HTTP/1.1\r\n", which => 'status', timeout => $T);
	is($q && $q->{status}, 405, 'PUT /metrics (a method the parser knows) → 405');
	is($q && $q->{headers}{connection}, 'close', 'PUT: Connection: close');
	ok(TestDaemon::is_eof($s2, $T), 'PUT: then EOF (the body is never parsed as a request)');

	my ($z, $s3) = $d->roundtrip("GET /health HTTP/1.0\r\n\r\n", which => 'status', timeout => $T);
	is($z && $z->{status}, 200, 'HTTP/1.0 GET /health → 200');
	is($z && $z->{headers}{connection}, 'close', 'HTTP/1.0: Connection: close');
	ok(TestDaemon::is_eof($s3, $T), 'HTTP/1.0: then EOF');
}

# ---------------------------------------------------------------------------------------
# Counters move by exact amounts.
$d->write_file('dev1/a.fid', 'hello world');
my (undef, $eb, undef, $before) = scrape();
is_deeply($eb, [], 'scrape before the known requests passes the checker');

my ($sent, $got) = (0, 0);
my $h = $d->connect('http');
sub http {
	my ($raw, $code, $name) = @_;
	TestDaemon::write_all($h, $raw);
	$sent += length $raw;
	my $r = TestDaemon::read_response($h, timeout => $T);
	is($r && $r->{status}, $code, "$name → $code");
	$got += length($r->{raw}) if $r;
	return $r;
}
http("GET /dev1/a.fid HTTP/1.1\r\nHost: x\r\n\r\n", 200, "GET $_ of 3 /dev1/a.fid") for 1 .. 3;
http("GET /dev1/missing.fid HTTP/1.1\r\nHost: x\r\n\r\n", 404, 'GET /dev1/missing.fid');
http("PUT /dev1/p$_.fid HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde", 201,
     "PUT $_ of 2, 5 bytes") for 1 .. 2;
http("DELETE /dev1/p1.fid HTTP/1.1\r\nHost: x\r\n\r\n", 204, 'DELETE /dev1/p1.fid');
my $m = $d->connect('mgmt');
TestDaemon::write_all($m, "MD5 /dev1/a.fid\r\n");
my $line = '';
{
	my $end = time + $T;
	$line .= TestDaemon::read_avail($m, 0.05) while $line !~ /\n/ && time < $end;
}
is($line, "/dev1/a.fid MD5=5eb63bbbe01eeed093cb22bb8f5acdc3\r\n", 'sideband MD5 answered');

my %expect = (
	'evmogstored_http_requests_total{method="GET",status="200"}' => 3,
	'evmogstored_http_requests_total{method="GET",status="404"}' => 1,
	'evmogstored_http_requests_total{method="PUT",status="201"}' => 2,
	'evmogstored_http_requests_total{method="DELETE",status="204"}' => 1,
	'evmogstored_sideband_commands_total{command="MD5"}' => 1,
	'evmogstored_device_request_duration_seconds_count{device="dev1",op="GET"}' => 4,
	'evmogstored_device_request_duration_seconds_count{device="dev1",op="PUT"}' => 2,
	'evmogstored_device_request_duration_seconds_count{device="dev1",op="digest"}' => 1,
	'evmogstored_device_fsync_duration_seconds_count{device="dev1"}' => 2,
	'evmogstored_connections_accepted_total{}' => 2,
	'evmogstored_http_received_bytes_total{}' => $sent,
	'evmogstored_http_sent_bytes_total{}' => $got,
);
my $delta = sub {
	my ($a, $k) = @_;
	return ($a->{$k} // 0) - ($before->{$k} // 0);
};
# the loop accounts a request when it finishes, which may be just after the client has the
# last byte: poll until every expected delta is reached, then compare exactly
my ($ea, $famA, $after);
TestDaemon::poll_until(sub {
	(undef, $ea, $famA, $after) = scrape();
	return !grep { $delta->($after, $_) < $expect{$_} } keys %expect;
}, $T);
sleep 0.2;
(undef, $ea, $famA, $after) = scrape();	# and nothing more arrives later
is_deeply($ea, [], 'scrape after the known requests passes the strict checker')
	or diag(join "\n", @$ea);
SKIP: {
	skip 'promtool not installed (/usr/bin/promtool; Debian package prometheus)', 1 unless $PROMTOOL;
	my ($pst, $out) = promtool(get_status($st, '/metrics')->{body});
	is($pst, 0, 'promtool check metrics accepts a scrape with histograms filled') or diag($out);
}
for my $k (sort keys %expect) {
	is($delta->($after, $k), $expect{$k}, "Δ $k = $expect{$k}");
}
cmp_ok($delta->($after, 'evmogstored_http_received_bytes_total{}'), '>=', 10,
       'received bytes delta ≥ the 10 PUT body bytes');
is($delta->($after, 'evmogstored_http_get_served_total{via="memory"}')
   + $delta->($after, 'evmogstored_http_get_served_total{via="pool"}'), 4,
   'the 4 GETs were each served from memory or through the pool');
# every other counter series stayed put
{
	my @other;
	for my $f (grep { ($famA->{$_}{type} // '') =~ /^(counter|histogram)$/ } sort keys %$famA) {
		for my $s (@{ $famA->{$f}{samples} }) {
			my $k = $s->[3];
			next if exists $expect{$k};
			next if $k =~ /_(?:bucket|sum)\{device="dev1"/;	# dev1 histograms checked by count
			# checksums (95-integrity.t) and the background scrubber (96-scrub.t)
			next if $k =~ /^evmogstored_(?:integrity|scrub)_/;
			next if $k =~ /^evmogstored_http_get_served_total\{/;	# summed below
			push @other, "$k moved by " . $delta->($after, $k) if $delta->($after, $k) != 0;
		}
	}
	is_deeply(\@other, [], 'no other counter or histogram series moved');
}
# the histograms received the observations in some bucket
for my $op (qw(GET PUT digest)) {
	my $lab = "device=\"dev1\",op=\"$op\"";
	my $inf = "evmogstored_device_request_duration_seconds_bucket{device=\"dev1\",le=\"+Inf\",op=\"$op\"}";
	is($delta->($after, $inf), $expect{"evmogstored_device_request_duration_seconds_count{$lab}"},
	   "dev1 $op +Inf bucket moved with _count");
	ok($after->{"evmogstored_device_request_duration_seconds_sum{$lab}"} > 0,
	   "dev1 $op _sum > 0");
}
is($after->{'evmogstored_connections{state="open"}'}, 3,
   'connections{open} 3 (status, HTTP, sideband)');
ok($after->{'evmogstored_connections{state="idle"}'} >= 1
   && $after->{'evmogstored_connections{state="idle"}'} <= 2,
   'connections{idle}: the idle HTTP (and sideband) connection');
close $h;
close $m;
TestDaemon::poll_until(sub {
	my (undef, undef, undef, $v) = scrape();
	($v->{'evmogstored_connections{state="open"}'} // 0) == 1;
}, $T);
my (undef, undef, undef, $closed) = scrape();
is($closed->{'evmogstored_connections{state="open"}'}, 1, 'connections{open} back to 1 after close');

close $st;
is($d->stop('QUIT'), 0, 'daemon exits 0');
done_testing();
