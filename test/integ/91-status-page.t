# 91-status-page.t: metrics: the status listener's HTML page (GET /).  Always: the raw HTML
# has one row per device, exact connection counts, no external assets, escaped docroot.
# With /usr/bin/chromium: the page rendered headless (DOM text names every device and the
# connection counts) and a screenshot in $TEST_BUILDDIR/out/status.png for a person to see.
use strict;
use warnings;
use Test::More;
use File::Path qw(make_path);
use POSIX qw(_exit WNOHANG);
use Time::HiRes qw(time sleep);
use TestDaemon;

my $CHROMIUM = -x '/usr/bin/chromium' ? '/usr/bin/chromium' : undef;
my $NO_CHROMIUM = 'no /usr/bin/chromium (Debian package chromium; test/integ/optional-deps.sh '
		. 'installs it in CI)';
my @DEVS = (1, 2, 7);
my $WEIRD = 'doc<root>&"x';		# the docroot's name: must come out escaped

my @args;
my $d = TestDaemon->start(devices => \@DEVS, status => 1, no_docroot_arg => 1, args => \@args,
			  setup => sub {
	# rename the docroot to a name with HTML metacharacters; start() reads @args after this
	my $self = shift;
	my $new = "$self->{dir}/$WEIRD";
	rename($self->{docroot}, $new) or die "rename: $!";
	$self->{docroot} = $new;
	push @args, "--docroot=$new";
});
my $sport = $d->{status_port};
my $T = TestDaemon::slow(5);

sub get {
	my ($s, $path) = @_;
	TestDaemon::write_all($s, "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	return TestDaemon::read_response($s, timeout => $T);
}

my $st = $d->connect('status');
sub metric {
	my ($key) = @_;
	my $r = get($st, '/metrics');
	return undef unless $r && $r->{body};
	my $re = quotemeta($key);
	return $r->{body} =~ /^$re (\S+)$/m ? $1 : undef;
}

# start() probed the HTTP and sideband ports: wait until only our status connection is open
TestDaemon::poll_until(sub { (metric('evmogstored_connections{state="open"}') // -1) == 1 }, $T);

# traffic on dev1 so that its GET and PUT latencies are not empty, on two connections that
# then stay open and idle
$d->write_file('dev1/a.fid', 'x' x 1000);
my @idle;
for my $i (1, 2) {
	my $h = $d->connect('http');
	TestDaemon::write_all($h, "PUT /dev1/p$i.fid HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
	my $r = TestDaemon::read_response($h, timeout => $T);
	is($r && $r->{status}, 201, "PUT on idle connection $i → 201");
	TestDaemon::write_all($h, "GET /dev1/a.fid HTTP/1.1\r\nHost: x\r\n\r\n");
	$r = TestDaemon::read_response($h, timeout => $T);
	is($r && $r->{status}, 200, "GET on idle connection $i → 200");
	push @idle, $h;
}
# accounting follows the last byte: wait until the loop has counted all four requests
TestDaemon::poll_until(sub {
	(metric('evmogstored_device_request_duration_seconds_count{device="dev1",op="GET"}') // 0) >= 2
	&& (metric('evmogstored_device_request_duration_seconds_count{device="dev1",op="PUT"}') // 0) >= 2
	&& (metric('evmogstored_connections{state="idle"}') // 0) >= 2;
}, $T);
my $total1 = metric('evmogstored_device_total_bytes{device="dev1"}');
my $util1 = metric('evmogstored_device_utilization_percent{device="dev1"}');

# ---------------------------------------------------------------------------------------
# The raw HTML, always.
my $r = get($st, '/');
my $html = $r ? $r->{body} : '';
is($r && $r->{status}, 200, 'GET / → 200');
is($r && $r->{headers}{'content-type'}, 'text/html; charset=utf-8', 'GET /: text/html; charset=utf-8');
is($r && $r->{headers}{'content-length'}, length $html, 'GET /: Content-Length matches');
is($r && $r->{headers}{'cache-control'}, 'no-store', 'GET /: Cache-Control: no-store');
like($html, qr/\A<!DOCTYPE html>\n/i, 'starts with <!DOCTYPE html>');
like($html, qr{<meta http-equiv="refresh" content="5">}, 'meta refresh every 5 s');
like($html, qr{<table id="devices">}, 'table id="devices"');
like($html, qr{</html>\s*\z}, 'ends with </html>');
for my $tag (qw(html head body table p h1 title style)) {
	my $open = () = $html =~ /<$tag[\s>]/g;
	my $close = () = $html =~ m{</$tag>}g;
	is($open, $close, "balanced <$tag> ($open)") if $open || $close;
}
my ($devtable) = $html =~ m{(<table id="devices">.*?</table>)}s;
my @trs = ($devtable // '') =~ /<tr\b/g;
my @etrs = ($devtable // '') =~ m{</tr>}g;
is(scalar @trs, 1 + @DEVS, 'one header row and one row per device');
is(scalar @etrs, scalar @trs, 'every <tr> closed');
my ($head) = ($devtable // "") =~ m{(<tr><th.*?</tr>)}s;
is(scalar(() = ($head // '') =~ /<th\b/g), 13, 'header row has 13 columns');
for my $col ('device', 'usage', 'used', 'total', '%util', 'GET p50', 'GET p99', 'PUT p50',
	     'PUT p99', 'queue', 'busy', 'errors', 'state') {
	like($head // '', qr{<th[^>]*>\Q$col\E</th>}, "column '$col'");
}
my @rowids = $html =~ /<tr id="(dev\d+)"/g;
is_deeply(\@rowids, [map { "dev$_" } @DEVS], 'rows id="devN" for every device, in order');
my %row;
my @BOUNDS_MS = map { sprintf('%.1f', $_ * 1000) }
		(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20);
for my $n (@DEVS) {
	my ($tr) = $html =~ m{(<tr id="dev$n">.*?</tr>)}s;
	ok(defined $tr, "row dev$n present") or next;
	my @td = $tr =~ m{<td[^>]*>(.*?)</td>}gs;
	is(scalar @td, 13, "dev$n row has 13 cells");
	$row{$n} = \@td;
	is($td[0], "dev$n", "dev$n: first cell names the device");
	my $bar = '<span class="bar"><span class="fill(?: hot)?" style="display:block;width:(\d+)%">'
		. '</span></span> (\d+)%';
	like($td[1], qr{^$bar$}, "dev$n: usage bar and percent");
	my ($w, $pct) = $td[1] =~ /width:(\d+)%.* (\d+)%$/;
	is($w, ($pct // 0) > 100 ? 100 : $pct, "dev$n: bar width is the percent (at most 100)");
	like($td[2], qr/^\d+\.\d GiB$/, "dev$n: used in GiB");
	like($td[3], qr/^\d+\.\d GiB$/, "dev$n: total in GiB");
	like($td[4], qr/^(?:-|\d+(?:\.\d+)?)$/, "dev$n: %util is a number or -");
	for my $i (5 .. 8) {
		ok($td[$i] eq '-' || (grep { "$_ ms" eq $td[$i] } @BOUNDS_MS),
		   "dev$n: latency cell $i '$td[$i]' is '-' (no data) or a bucket bound");
	}
	is($td[9], '0', "dev$n: queue 0");
	like($td[10], qr{^0/\d+$}, "dev$n: busy 0/threads");
	is($td[11], '0', "dev$n: errors 0");
	like($tr, qr{<td class="l">ok</td></tr>$}, "dev$n: state ok");
}
is($row{1}[3], sprintf('%.1f GiB', ($total1 // 0) / 2**30), 'dev1 total matches /metrics');
is($row{1}[4], ($util1 // '') eq 'NaN' ? '-' : $util1, 'dev1 %util matches /metrics');
isnt($row{1}[5], '-', 'dev1 GET p50 is filled after GETs');
isnt($row{1}[7], '-', 'dev1 PUT p50 is filled after PUTs');
is_deeply([@{ $row{2} }[5 .. 8]], [('-') x 4], 'dev2 latencies are "-" without traffic');
like($html, qr{connections: <span id="conns">3</span> open, <span id="idle">2</span> idle},
     'connection counts: 3 open (2 idle HTTP + this one), 2 idle');
my $esc = 'doc&lt;root&gt;&amp;"x';
like($html, qr{<title>evmogstored [^<]*\Q$esc\E</title>}, 'docroot escaped in <title>');
like($html, qr{<code>[^<]*\Q$esc\E</code>}, 'docroot escaped in the page');
unlike($html, qr/\Q$WEIRD\E/, 'the raw docroot name never appears unescaped');
# self-contained: nothing loaded from elsewhere
{
	my @ext = $html =~ /((?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|\/\/)[^"'\s>]*)/gi;
	is_deeply(\@ext, [], 'no src=/href= to another origin (http://, https://, //, data:, …)');
	unlike($html, qr/\burl\s*\(/i, 'no url(...) in the style');
	unlike($html, qr/\@import/i, 'no @import');
	unlike($html, qr/<(?:script|link|img|iframe|object|embed)\b/i, 'no script/link/img/iframe/object/embed');
	my @links = $html =~ /href="([^"]*)"/g;
	is_deeply([sort @links], ['/health', '/metrics'], 'the only links are /metrics and /health');
}

# ---------------------------------------------------------------------------------------
# Headless Chromium.  Runs $CHROMIUM with @args in its own process group, at most 30 s;
# kills the whole group afterwards (its helpers too).  Returns (status, stdout, stderr).
sub chromium {
	my (@args) = @_;
	my $dir = TestDaemon::new_tmpdir();
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		setpgrp(0, 0);
		$ENV{HOME} = $ENV{XDG_CONFIG_HOME} = $ENV{XDG_CACHE_HOME} = $dir;
		open(STDIN, '<', '/dev/null') or _exit(127);
		open(STDOUT, '>', "$dir/stdout") or _exit(127);
		open(STDERR, '>', "$dir/stderr") or _exit(127);
		exec($CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
		     '--no-first-run', '--disable-background-networking', '--disable-component-update',
		     '--disable-sync', '--disable-dev-shm-usage', "--user-data-dir=$dir/profile",
		     @args) or _exit(127);
	}
	my $end = time + 30;
	my $st;
	while (1) {
		my $w = waitpid($pid, WNOHANG);
		if ($w == $pid) {
			$st = TestDaemon::decode_status($?);
			last;
		}
		if (time > $end) {
			$st = 'timeout (30 s)';
			last;
		}
		sleep 0.05;
	}
	kill 'KILL', -$pid;		# the group: leftover renderers, zygotes, crashpad
	waitpid($pid, 0) if $st =~ /timeout/;
	return ($st, TestDaemon::slurp("$dir/stdout") // '', TestDaemon::slurp("$dir/stderr") // '');
}

SKIP: {
	skip "rendered page: $NO_CHROMIUM", 11 unless $CHROMIUM;
	my $url = "http://127.0.0.1:$sport/";
	my ($cst, $dom, $err) = chromium('--dump-dom', $url);
	is($cst, 0, 'chromium --dump-dom exits 0') or diag(substr($err, -3000));
	# the rendered DOM, reduced to its text
	(my $text = $dom) =~ s/<(?:style|script)\b.*?<\/(?:style|script)>//gis;
	$text =~ s/<[^>]*>/ /g;
	$text =~ s/&middot;|\x{b7}|\xc2\xb7/·/g;
	$text =~ s/\s+/ /g;
	like($dom, qr{<table id="devices">}, 'the DOM has the devices table');
	my @domrows = $dom =~ /<tr id="(dev\d+)"/g;
	is_deeply(\@domrows, [map { "dev$_" } @DEVS], 'the DOM has a row for every device');
	my @named = grep { $text =~ /\bdev$_\b.*?\bok\b/ } @DEVS;
	is_deeply(\@named, \@DEVS, 'the rendered text names every device, each "ok"');
	my ($open, $idl) = $text =~ /connections: (\d+) open, (\d+) idle/;
	ok(defined $open, 'the rendered text states the connection counts') or diag($text);
	# our two idle HTTP connections and the status one, plus Chromium's own (1 or more)
	ok(defined $open && $open >= 4 && $open <= 10, "open connections $open: ours (3) + Chromium's");
	ok(defined $idl && $idl >= 2 && $idl < $open, "idle connections $idl: at least our 2");

	my $outdir = (defined $ENV{TEST_BUILDDIR} ? $ENV{TEST_BUILDDIR} : '.') . '/out';
	make_path($outdir);
	my $png = "$outdir/status.png";
	unlink $png;
	my ($sst, undef, $serr) = chromium("--screenshot=$png", '--window-size=1280,800',
					   '--hide-scrollbars', $url);
	is($sst, 0, 'chromium --screenshot exits 0') or diag(substr($serr, -3000));
	my $img = TestDaemon::slurp($png) // '';
	is(substr($img, 0, 8), "\x89PNG\r\n\x1a\n", "$png is a PNG");
	my ($w, $h) = length $img >= 24 ? unpack('NN', substr($img, 16, 8)) : (0, 0);
	is("${w}x$h", '1280x800', 'screenshot is 1280x800');
	# a blank 1280x800 page compresses to a few KB; text, table and bars take more
	cmp_ok(length $img, '>', 8000, 'screenshot is not blank (PNG > 8000 bytes)');
	diag("status page screenshot: $png") if -s $png;
}

close $_ for @idle;
close $st;
is($d->stop('QUIT'), 0, 'daemon exits 0');
done_testing();
