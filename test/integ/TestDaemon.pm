# TestDaemon.pm: runs one evmogstored on 127.0.0.1 for an integration test and speaks raw bytes.
#
#	my $d = TestDaemon->start(devices => [1, 666]);	# returns once every port accepts
#	$d->write_file('dev1/x', 'hello');
#	my $s = $d->connect('http');
#	print $s "GET /dev1/x HTTP/1.1\r\n\r\n";
#	my $r = TestDaemon::read_response($s);		# {status, headers, body, ...}
#	is($d->stop('QUIT'), 0, 'exits 0');
#
# Environment: EVMOGSTORED (binary, default ./src/evmogstored), TEST_BUILDDIR (temp
# directories go to $TEST_BUILDDIR/tmp), VALGRIND (command prefix, e.g. "valgrind -q
# --error-exitcode=97"; longer timeouts then).
package TestDaemon;
use strict;
use warnings;
use Carp qw(croak);
use Cwd qw(realpath);
use Errno qw(EAGAIN EINTR EWOULDBLOCK ECONNREFUSED);
use Fcntl qw(:DEFAULT F_DUPFD);
use File::Path qw(make_path);
use File::Spec;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use POSIX qw(WNOHANG _exit);
use Socket qw(IPPROTO_TCP TCP_NODELAY SOL_SOCKET SO_KEEPALIVE PF_UNIX SOCK_DGRAM
	      pack_sockaddr_un);
use Time::HiRes qw(time sleep);

$SIG{PIPE} = 'IGNORE';	# a daemon closing on us must fail a write, not kill the test

our $EPOCH = 'Thu, 01 Jan 1970 00:00:00 GMT';
our $DATE_RE = qr/[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT/;

sub valgrind { defined $ENV{VALGRIND} && $ENV{VALGRIND} ne '' }
sub binary { $ENV{EVMOGSTORED} // './src/evmogstored' }

# Timeouts scale under valgrind, which is 10-50 times slower.
sub slow { my ($t) = @_; valgrind() ? $t * 4 : $t }

# A port nothing listens on, for tests that must name ports themselves.  It is chosen below
# the kernel's ephemeral range, where no outgoing connection can take it before the daemon
# binds it; and reserved (a file named after it, holding our pid, in a directory every test
# process shares) so that another test running at the same time does not pick it too.
# The reservations go when the test process ends.
my (@reserved, $reserved_by);
my $RESERVE_DIR = (File::Spec->tmpdir) . "/evmogstored-test-ports-$<";

sub reserve_port {
	my ($port) = @_;
	make_path($RESERVE_DIR);
	my $f = "$RESERVE_DIR/$port";
	for (1 .. 2) {
		if (sysopen(my $fh, $f, O_WRONLY | O_CREAT | O_EXCL, 0600)) {
			print $fh "$$\n";
			close $fh;
			$reserved_by = $$;
			push @reserved, $f;
			return 1;
		}
		my $owner = slurp($f) // '';
		chomp $owner;
		# a reservation left by a test that was killed: take it over
		return 0 if $owner =~ /^\d+$/ && kill(0, $owner);
		unlink $f;
	}
	return 0;
}

END { unlink @reserved if defined $reserved_by && $reserved_by == $$ }

sub free_port {
	my ($lo) = split ' ', slurp('/proc/sys/net/ipv4/ip_local_port_range') // '';
	$lo = 32768 unless $lo && $lo =~ /^\d+$/ && $lo > 12000;
	for (1 .. 200) {
		my $port = 10000 + int(rand($lo - 10000));
		my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
					      Proto => 'tcp', Listen => 1, ReuseAddr => 1) or next;
		close $l;
		next unless reserve_port($port);
		return $port;
	}
	my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
				      Proto => 'tcp', Listen => 1, ReuseAddr => 1)
		or die "free_port: $!";
	my $port = $l->sockport;
	close $l;
	return $port;
}

# True once 127.0.0.1:$port accepts a connection; polls every 20 ms for up to $timeout s.
sub wait_port {
	my ($port, $timeout, $alive) = @_;
	my $end = time + ($timeout // slow(10));
	while (time < $end) {
		my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
					      Proto => 'tcp');
		if ($s) {
			close $s;
			return 1;
		}
		return 0 if $alive && !$alive->();
		sleep 0.02;
	}
	return 0;
}

sub tmp_base {
	if (defined $ENV{TEST_BUILDDIR}) {
		my $base = "$ENV{TEST_BUILDDIR}/tmp";
		make_path($base);
		return $base;
	}
	return undef;
}

sub new_tmpdir {
	my $base = tmp_base();
	my $dir = tempdir('evmog-XXXXXX', CLEANUP => 1, defined $base ? (DIR => $base) : (TMPDIR => 1));
	return realpath($dir);
}

sub slurp {
	my ($file) = @_;
	open(my $fh, '<:raw', $file) or return undef;
	local $/;
	my $buf = <$fh>;
	close $fh;
	return $buf // '';
}

# Options: devices, http, mgmt, httpget, status (listeners on kernel-chosen ports; http and
# mgmt default on), args, config, env, no_docroot_arg, valgrind, wrap (command prefix such
# as ['prlimit', '--fsize=65536']; it must exec the daemon in the same process), sig_ignore
# (signal names ignored in the child before exec, e.g. ['XFSZ']), setup (code called with
# the object once the docroot and device directories exist, before the daemon starts).
#
# The harness binds the listening sockets itself and hands them over as LISTEN_FDS with
# LISTEN_PID set to the daemon's pid (socket activation), so no other process can take a
# port between choosing it and listening on it; start() returns when the daemon sends
# READY=1 to a NOTIFY_SOCKET of ours.  A test that sets NOTIFY_SOCKET, LISTEN_FDS,
# LISTEN_PID or CMOGSTORED_FD in env gets ports from free_port() instead (retried if one
# was taken after all), and start() then returns once every port accepts.
sub start {
	my ($class, %o) = @_;
	my $self = bless { creator => $$ }, $class;
	my $dir = $self->{dir} = new_tmpdir();
	my $root = $self->{docroot} = "$dir/docroot";
	mkdir $root or die "mkdir $root: $!";
	for my $n (@{ $o{devices} // [1] }) {
		mkdir "$root/dev$n" or die "mkdir $root/dev$n: $!";
	}
	$o{setup}->($self) if $o{setup};
	my $env = $o{env} // {};
	my $notify = !exists $env->{NOTIFY_SOCKET};
	my $handover = $notify && !grep { exists $env->{$_} } qw(LISTEN_FDS LISTEN_PID CMOGSTORED_FD);
	for my $attempt (1 .. 5) {
		return $self if $self->launch(\%o, $handover, $notify, $attempt == 5);
	}
}

# One attempt of start(); false when a port chosen by free_port() was taken meanwhile.
sub launch {
	my ($self, $o, $handover, $notify, $last) = @_;
	my $dir = $self->{dir};
	my @cmd = (binary());
	push @cmd, "--docroot=$self->{docroot}" unless $o->{no_docroot_arg};
	my (@socks, @ports);
	my $port = sub {
		my ($name) = @_;
		my $p;
		if ($handover) {
			my $l = listener();
			push @socks, $l;
			$p = $l->sockport;
		} else {
			$p = free_port();
		}
		push @ports, $p;
		return $self->{"${name}_port"} = $p;
	};
	push @cmd, '--httplisten=127.0.0.1:' . $port->('http') if $o->{http} // 1;
	push @cmd, '--mgmtlisten=127.0.0.1:' . $port->('mgmt') if $o->{mgmt} // 1;
	push @cmd, '--statuslisten=127.0.0.1:' . $port->('status') if $o->{status};
	my $config = $o->{config};
	if ($o->{httpget}) {
		# httpgetlisten exists only as a configuration-file key (doc/protocol.md, Listeners)
		$config = ($config // '');
		$config .= "\n" if $config ne '' && $config !~ /\n\z/;
		$config .= 'httpgetlisten = 127.0.0.1:' . $port->('httpget') . "\n";
	}
	if (defined $config) {
		my $cf = $self->{config_file} = "$dir/test.conf";
		open(my $fh, '>:raw', $cf) or die "$cf: $!";
		print $fh $config;
		close $fh or die "$cf: $!";
		push @cmd, "--config=$cf";
	}
	push @cmd, @{ $o->{args} // [] };
	my $use_vg = ($o->{valgrind} // 1) && valgrind();
	unshift @cmd, split(' ', $ENV{VALGRIND}) if $use_vg;
	unshift @cmd, @{ $o->{wrap} } if $o->{wrap};
	$self->{valgrind} = $use_vg;
	$self->{cmd} = \@cmd;
	$self->{stderr_file} = "$dir/stderr";
	$self->{stdout_file} = "$dir/stdout";
	my ($ready, $ready_name);
	if ($notify) {
		$ready_name = sprintf('evmogstored-test-%d-%08x', $$, int(rand(2**32)));
		socket($ready, PF_UNIX, SOCK_DGRAM, 0) or die "notify socket: $!";
		bind($ready, pack_sockaddr_un("\0$ready_name")) or die "notify bind: $!";
	}

	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		eval {
			open(STDIN, '<', '/dev/null') or die "stdin: $!";
			open(STDOUT, '>', $self->{stdout_file}) or die "stdout: $!";
			open(STDERR, '>', $self->{stderr_file}) or die "stderr: $!";
			$SIG{PIPE} = 'DEFAULT';
			$SIG{$_} = 'IGNORE' for @{ $o->{sig_ignore} // [] };
			while (my ($k, $v) = each %{ $o->{env} // {} }) {
				if (defined $v) { $ENV{$k} = $v } else { delete $ENV{$k} }
			}
			$ENV{NOTIFY_SOCKET} = "\@$ready_name" if $notify;
			hand_over(@socks) if $handover;
			exec { $cmd[0] } @cmd or die "exec $cmd[0]: $!";
		};
		print STDERR $@;
		_exit(127);
	}
	$self->{pid} = $pid;
	close $_ for @socks;	# the daemon's now: a stopped daemon must leave the ports refusing
	my $timeout = $use_vg ? 60 : 20;
	my $alive = sub { $self->alive };
	my $how;
	if ($notify) {
		$how = "no READY=1 after ${timeout}s" unless wait_ready($ready, $timeout, $alive);
		close $ready;
	} else {
		for my $p (@ports) {
			next if wait_port($p, $timeout, $alive);
			$how = "no listener on port $p after ${timeout}s";
			last;
		}
	}
	return 1 unless defined $how;
	my $err = slurp($self->{stderr_file}) // '';
	$how = "exited with status " . $self->{status} unless $self->alive;
	$self->kill_now;
	# a port from free_port() taken before the daemon bound it: try others
	return 0 if !$handover && @ports && !$last && $err =~ /failed to bind\+listen/;
	die "evmogstored (@cmd) $how; stderr:\n$err";
}

# A listening socket on 127.0.0.1 and a kernel-chosen port, set up as the daemon sets up
# the sockets it binds itself.
sub listener {
	my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp',
				      Listen => 1024, ReuseAddr => 1) or die "listener: $!";
	setsockopt($l, SOL_SOCKET, SO_KEEPALIVE, 1) or die "SO_KEEPALIVE: $!";
	setsockopt($l, IPPROTO_TCP, TCP_NODELAY, 1) or die "TCP_NODELAY: $!";
	return $l;
}

# In the child, before exec: the sockets at descriptors 3, 4, ... and LISTEN_FDS/LISTEN_PID
# naming them (exec keeps the pid, so LISTEN_PID is the daemon's).
sub hand_over {
	my @socks = @_;
	# first out of the way, so that moving one cannot overwrite another
	my @high = map { fcntl($_, F_DUPFD, 100) // die "F_DUPFD: $!" } @socks;
	for my $i (0 .. $#high) {
		defined POSIX::dup2($high[$i], 3 + $i) or die "dup2: $!";	# dup2 clears CLOEXEC
		POSIX::close($high[$i]);
	}
	delete $ENV{$_} for qw(LISTEN_FDNAMES CMOGSTORED_FD);
	if (@socks) {
		$ENV{LISTEN_FDS} = scalar @socks;
		$ENV{LISTEN_PID} = $$;
	} else {
		delete @ENV{qw(LISTEN_FDS LISTEN_PID)};
	}
}

# True once READY=1 arrives on the datagram socket $sock, within $timeout seconds and while
# $alive->() holds.
sub wait_ready {
	my ($sock, $timeout, $alive) = @_;
	my $end = time + $timeout;
	while (time < $end) {
		my $rin = '';
		vec($rin, fileno($sock), 1) = 1;
		my $n = select(my $rout = $rin, undef, undef, 0.1);
		if ($n > 0) {
			my $msg = '';
			defined recv($sock, $msg, 4096, 0) or next;
			return 1 if $msg =~ /^READY=1$/m;
			next;
		}
		return 0 if !$alive->();
	}
	return 0;
}

# Non-blocking check; records the exit status once the child is reaped.
sub alive {
	my ($self) = @_;
	return 0 if defined $self->{status};
	my $r = waitpid($self->{pid}, WNOHANG);
	return 1 if $r == 0;
	$self->{status} = $r == $self->{pid} ? decode_status($?) : -1;
	return 0;
}

sub decode_status {
	my ($st) = @_;
	return 128 + ($st & 127) if $st & 127;
	return $st >> 8;
}

sub kill_now {
	my ($self) = @_;
	return unless $self->{pid} && !defined $self->{status};
	kill 'KILL', $self->{pid};
	waitpid($self->{pid}, 0);
	$self->{status} = decode_status($?);
}

sub stop {
	my ($self, $sig) = @_;
	$sig //= 'QUIT';
	return $self->{status} if defined $self->{status};
	kill $sig, $self->{pid};
	my $end = time + ($self->{valgrind} ? 120 : 30);
	while ($self->alive) {
		if (time > $end) {
			$self->kill_now;
			require Test::More;
			Test::More::fail("daemon did not exit within the time limit after SIG$sig");
			Test::More::diag("stderr:\n" . $self->stderr);
			return $self->{status};
		}
		sleep 0.02;
	}
	if ($self->{status} != 0) {
		require Test::More;
		my $why = $self->{status} == 97 && $self->{valgrind} ? ' (valgrind errors)' : '';
		Test::More::diag("evmogstored exited with status $self->{status}$why; stderr:\n"
				 . $self->stderr);
	}
	return $self->{status};
}

sub stderr { slurp($_[0]{stderr_file}) // '' }

sub DESTROY {
	my ($self) = @_;
	return unless $self->{creator} && $self->{creator} == $$;	# not in forked children
	local ($?, $!, $@);
	$self->kill_now;
}

sub path {
	my ($self, $rel) = @_;
	$rel =~ s{^/+}{};
	return "$self->{docroot}/$rel";
}

sub write_file {
	my ($self, $rel, $bytes) = @_;
	my $p = $self->path($rel);
	(my $parent = $p) =~ s{/[^/]*$}{};
	make_path($parent);
	open(my $fh, '>:raw', $p) or die "$p: $!";
	print $fh $bytes;
	close $fh or die "$p: $!";
	return $p;
}

sub read_file {
	my ($self, $rel) = @_;
	return slurp($self->path($rel));
}

sub connect {
	my ($self, $which, %o) = @_;
	$which //= 'http';
	my $port = $self->{"${which}_port"} or croak "no $which listener";
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
				      Proto => 'tcp') or die "connect $which:$port: $!";
	$s->autoflush(1);
	binmode $s;
	setsockopt($s, IPPROTO_TCP, TCP_NODELAY, 1);
	return $s;
}

# Connects (o{port}, else the HTTP port), sends $raw, returns everything read until EOF or
# o{timeout} seconds.  o{shutdown} => 1 half-closes after sending.
sub request {
	my ($self, $raw, %o) = @_;
	my $port = $o{port} // $self->{http_port};
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
				      Proto => 'tcp') or die "connect $port: $!";
	binmode $s;
	setsockopt($s, IPPROTO_TCP, TCP_NODELAY, 1);
	write_all($s, $raw);
	shutdown($s, 1) if $o{shutdown};
	my $buf = read_until_eof($s, $o{timeout} // 5);
	close $s;
	return $buf;
}

# syswrite everything (blocking socket); returns bytes written, stops at an error.
sub write_all {
	my ($s, $buf) = @_;
	my $off = 0;
	while ($off < length $buf) {
		my $n = syswrite($s, $buf, length($buf) - $off, $off);
		if (!defined $n) {
			next if $! == EINTR;
			last;
		}
		$off += $n;
	}
	return $off;
}

# Bytes read ahead of what read_response returned are kept with the socket.
sub rbuf {
	my $ref = \${ *{ $_[0] } }{td_rbuf};
	$$ref //= '';
	return $ref;
}

# One read of up to 64 KiB, waiting at most until $deadline.  Returns the number of
# bytes appended to rbuf, 0 on EOF (or reset), undef on timeout.
sub fill {
	my ($s, $deadline) = @_;
	my $buf = rbuf($s);
	while (1) {
		my $left = $deadline - time;
		return undef if $left <= 0;
		my $rin = '';
		vec($rin, fileno($s), 1) = 1;
		my $n = select(my $rout = $rin, undef, undef, $left);
		next if $n < 0 && $! == EINTR;
		return undef if $n <= 0;
		my $r = sysread($s, $$buf, 65536, length $$buf);
		if (!defined $r) {
			next if $! == EINTR || $! == EAGAIN;
			return 0;	# ECONNRESET counts as EOF here
		}
		return $r;
	}
}

# Everything (buffered + read) until EOF or $timeout seconds.
# One line (through LF) read from $s, or undef on EOF/timeout (default 5 s).
sub read_line {
	my ($s, $timeout) = @_;
	my $buf = rbuf($s);
	my $deadline = time + ($timeout // slow(5));
	my $i;
	while (($i = index($$buf, "\n")) < 0) {
		return undef if !fill($s, $deadline);
	}
	return substr($$buf, 0, $i + 1, '');
}

sub read_until_eof {
	my ($s, $timeout) = @_;
	my $deadline = time + ($timeout // 5);
	while (1) {
		my $r = fill($s, $deadline);
		last if !defined $r || $r == 0;
	}
	my $ref = rbuf($s);
	my $all = $$ref;
	$$ref = '';
	return $all;
}

# Whatever arrives (buffered + read) within $timeout seconds; does not wait for EOF.
sub read_avail {
	my ($s, $timeout) = @_;
	my $deadline = time + ($timeout // 0.1);
	while (1) {
		my $r = fill($s, $deadline);
		last if !defined $r || $r == 0;
	}
	my $ref = rbuf($s);
	my $all = $$ref;
	$$ref = '';
	return $all;
}

# True if the peer closed (EOF or reset) within $timeout seconds with no further bytes.
sub is_eof {
	my ($s, $timeout) = @_;
	return 0 if length ${ rbuf($s) };
	my $r = fill($s, time + ($timeout // 5));
	return defined $r && $r == 0;
}

# Reads exactly one response.  o{head} => 1: no body (response to HEAD); o{timeout} (5 s);
# o{discard_body} => 1: count the body in {body_len} without keeping it; o{skip_1xx} => 1:
# skip interim responses (returned in {interim}).  Returns undef on EOF or timeout before
# the first byte; a hashref with {incomplete} => 1 if the head or body is cut short.
sub read_response {
	my ($s, %o) = @_;
	my $deadline = time + ($o{timeout} // 5);
	my $buf = rbuf($s);
	my @interim;
	my $eof;
      again:
	my $end;
	while (($end = index($$buf, "\r\n\r\n")) < 0) {
		my $r = fill($s, $deadline);
		if (!defined $r || $r == 0) {
			$eof = 1;
			last;
		}
	}
	if ($end < 0) {
		return undef if $$buf eq '';
		my $raw = $$buf;
		$$buf = '';
		return { status => undef, raw => $raw, raw_head => $raw, incomplete => 1,
			 headers => {}, header_list => [], body => '', interim => \@interim };
	}
	my $head = substr($$buf, 0, $end + 4, '');
	my %r = (raw_head => $head, headers => {}, header_list => [], body => '',
		 interim => \@interim);
	my @lines = split /\r\n/, substr($head, 0, -4);
	my $sl = shift @lines // '';
	if ($sl =~ m{^HTTP/(\d\.\d) (\d{3}) ?(.*)$}) {
		@r{qw(version status reason)} = ($1, $2, $3);
	}
	for my $l (@lines) {
		my ($k, $v) = $l =~ /^([^:]+):[ \t]*(.*?)[ \t]*$/ or next;
		push @{ $r{header_list} }, [$k, $v];
		my $lk = lc $k;
		$r{headers}{$lk} = exists $r{headers}{$lk} ? "$r{headers}{$lk}, $v" : $v;
	}
	my $st = $r{status} // 0;
	if ($o{skip_1xx} && $st >= 100 && $st < 200) {
		push @interim, \%r;
		goto again;
	}
	my $len = $r{headers}{'content-length'};
	if (!$o{head} && !($st >= 100 && $st < 200) && $st != 204 && $st != 304
	    && defined $len && $len =~ /^\d+$/) {
		my $got = 0;
		while (1) {
			my $take = length($$buf) < $len - $got ? length($$buf) : $len - $got;
			if ($take) {
				my $piece = substr($$buf, 0, $take, '');
				$r{body} .= $piece unless $o{discard_body};
				$got += $take;
			}
			last if $got >= $len;
			my $r = fill($s, $deadline);
			if (!defined $r || $r == 0) {
				$r{incomplete} = 1;
				last;
			}
		}
		$r{body_len} = $got;
	} else {
		$r{body_len} = 0;
	}
	$r{raw} = $head . $r{body};
	return \%r;
}

# Connect, send $raw, read one response; returns ($resp, $sock).  o{which} picks the port.
sub roundtrip {
	my ($self, $raw, %o) = @_;
	my $s = $self->connect($o{which} // 'http');
	write_all($s, $raw);
	my $r = read_response($s, %o);
	return wantarray ? ($r, $s) : $r;
}

sub normalize {
	my ($raw) = @_;
	$raw =~ s/: $DATE_RE\r\n/: $EPOCH\r\n/go;
	return $raw;
}

my %REASON = (100 => 'Continue', 200 => 'OK', 201 => 'Created', 204 => 'No Content',
	      206 => 'Partial Content', 400 => 'Bad Request', 403 => 'Forbidden',
	      404 => 'Not Found', 405 => 'Method Not Allowed',
	      416 => 'Requested Range Not Satisfiable', 500 => 'Internal Server Error',
	      503 => 'Service Unavailable', 507 => 'Insufficient Storage');
sub reason { $REASON{ $_[0] } }

# Exact bodiless status response (doc/protocol.md, Responses), dates normalized.
sub exact_status {
	my ($code, $conn) = @_;
	$conn //= 'keep-alive';
	my $sl = "$code $REASON{$code}";
	return "HTTP/1.1 $sl\r\nStatus: $sl\r\nDate: $EPOCH\r\nContent-Length: 0\r\n"
	     . "Content-Type: text/plain\r\nConnection: $conn\r\n\r\n";
}

sub exact_201 { exact_status(201, $_[0]) }

sub exact_200 {
	my ($n, $conn) = @_;
	$conn //= 'keep-alive';
	return "HTTP/1.1 200 OK\r\nStatus: 200 OK\r\nDate: $EPOCH\r\nLast-Modified: $EPOCH\r\n"
	     . "Content-Length: $n\r\nContent-Type: application/octet-stream\r\n"
	     . "Accept-Ranges: bytes\r\nConnection: $conn\r\n\r\n";
}

# Runs the binary to completion: returns (exit code, stdout, stderr).  Killed (KILL) after
# o{timeout} seconds (default 10, times 4 under valgrind); the code is then 128+9.
sub run_cli {
	my ($args, %o) = @_;
	my $dir = new_tmpdir();
	my @cmd = (binary(), @$args);
	unshift @cmd, split(' ', $ENV{VALGRIND}) if ($o{valgrind} // 1) && valgrind();
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		eval {
			open(STDIN, '<', '/dev/null') or die;
			open(STDOUT, '>', "$dir/stdout") or die;
			open(STDERR, '>', "$dir/stderr") or die;
			$SIG{PIPE} = 'DEFAULT';
			while (my ($k, $v) = each %{ $o{env} // {} }) {
				if (defined $v) { $ENV{$k} = $v } else { delete $ENV{$k} }
			}
			exec { $cmd[0] } @cmd or die "exec $cmd[0]: $!";
		};
		_exit(127);
	}
	my $end = time + slow($o{timeout} // 10);
	my $status;
	while (1) {
		my $r = waitpid($pid, WNOHANG);
		if ($r == $pid) {
			$status = decode_status($?);
			last;
		}
		if (time > $end) {
			kill 'KILL', $pid;
			waitpid($pid, 0);
			$status = decode_status($?);
			last;
		}
		sleep 0.02;
	}
	return ($status, slurp("$dir/stdout") // '', slurp("$dir/stderr") // '');
}

sub pid_threads {
	my ($self) = @_;
	my $st = slurp("/proc/$self->{pid}/status") // return undef;
	return $st =~ /^Threads:\s*(\d+)/m ? $1 : undef;
}

sub fd_count {
	my ($self) = @_;
	opendir(my $dh, "/proc/$self->{pid}/fd") or return undef;
	my $n = grep { !/^\.\.?$/ } readdir $dh;
	closedir $dh;
	return $n;
}

# True while process $pid exists and is not a zombie.
sub running {
	my ($pid) = @_;
	return 0 unless $pid && kill(0, $pid);
	my $stat = slurp("/proc/$pid/stat") // return 1;
	return $stat !~ /^\d+ \(.*\) Z /s;
}

# A daemon started with --daemonize is not our child: stop it (QUIT, then KILL after 30 s)
# through its pid file.  Returns the pid it stopped, or 0.
sub stop_daemon {
	my ($pidfile) = @_;
	my $pid = slurp($pidfile) // return 0;
	chomp $pid;
	return 0 unless $pid =~ /^\d+$/ && running($pid);
	kill 'QUIT', $pid;
	poll_until(sub { !running($pid) }, 30);
	kill 'KILL', $pid if running($pid);
	return $pid;
}

# True if a connection to 127.0.0.1:$port is refused: nothing listens there.
sub refused {
	my ($port) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp');
	return !$s && $! == ECONNREFUSED;
}

# Three tests: $raw on a new connection is answered $code with Connection: close, then EOF.
# %o as for roundtrip().  Returns the response.
sub bad {
	my ($self, $raw, $code, $name, %o) = @_;
	require Test::More;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my ($r, $s) = $self->roundtrip($raw, %o);
	Test::More::is($r && $r->{status}, $code, "$name → $code");
	Test::More::is($r && $r->{headers}{connection}, 'close', "$name: Connection: close");
	Test::More::ok(is_eof($s, 5), "$name: then EOF");
	return $r;
}

# The temporary files (*.tmp) of PUTs in directory $rel of the docroot, as paths relative
# to it; o{recursive} => 1 looks in subdirectories too.  In scalar context, their number.
sub tmpfiles {
	my ($self, $rel, %o) = @_;
	my @out;
	my @dirs = ('');
	while (defined(my $sub = shift @dirs)) {
		my $dir = $self->path($rel) . $sub;
		opendir(my $dh, $dir) or next;
		for my $e (grep { !/^\.\.?$/ } readdir $dh) {
			if (-d "$dir/$e" && !-l "$dir/$e") { push @dirs, "$sub/$e" if $o{recursive} }
			elsif ($e =~ /\.tmp$/) { push @out, substr("$sub/$e", 1) }
		}
		closedir $dh;
	}
	@out = sort @out;
	return wantarray ? @out : scalar @out;
}

# Sends $req on $s and returns one reply line (read_line; undef on EOF or timeout).
sub ask {
	my ($s, $req, $timeout) = @_;
	write_all($s, $req);
	return read_line($s, $timeout);
}

# Polls $cond every 20 ms until it returns true or $timeout seconds pass; returns its value.
sub poll_until {
	my ($cond, $timeout) = @_;
	my $end = time + ($timeout // slow(5));
	while (1) {
		my $v = $cond->();
		return $v if $v;
		return $v if time > $end;
		sleep 0.02;
	}
}

1;
