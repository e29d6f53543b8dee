# FaultShim.pm: drive test/fault/faultshim.c (LD_PRELOAD) from integration tests.
package FaultShim;
use strict;
use warnings;
use Test::More;
use TestDaemon;

# Why the shim cannot be used here, or undef.
sub skip_reason {
	my $shim = $ENV{FAULTSHIM} // '';
	return 'FAULTSHIM is not set (run through make check)' if $shim eq '';
	return "$shim is not built (make check builds it)" unless -f $shim;
	my $bin = TestDaemon::binary();
	my $ldd = `ldd '$bin' 2>/dev/null` // '';
	my $image = TestDaemon::slurp($bin) // '';
	return 'daemon built with sanitizers: ASan must be the first library, LD_PRELOAD '
	     . 'of the shim conflicts with it' if $ldd =~ /libasan/ || index($image, '__asan_init') >= 0;
	return undef;
}

# Replace the shim's settings in $file (atomically) and wait until daemon $d has
# loaded them (it logs the id with MOG_FAULT_VERBOSE=1; any sideband request makes
# the shim look).  $gen is a reference to the caller's generation counter.
sub set_faults {
	my ($d, $file, $gen, %kv) = @_;
	my $id = 'g' . ++$$gen;
	open(my $fh, '>', "$file.new") or die "$file.new: $!";
	print $fh map { "MOG_FAULT_$_=$kv{$_}\n" } sort keys %kv;
	print $fh "MOG_FAULT_ID=$id\n";
	close $fh or die "$file.new: $!";
	rename("$file.new", $file) or die "rename $file: $!";
	my $ok = TestDaemon::poll_until(sub {
		my $s = $d->connect('mgmt');
		TestDaemon::write_all($s, "size /dev2/probe\r\n");
		TestDaemon::read_line($s);
		close $s;
		$d->stderr =~ /loaded \Q$file\E: .* id=\Q$id\E$/m;
	}, TestDaemon::slow(5));
	BAIL_OUT("the daemon never loaded fault settings $id: " . $d->stderr) unless $ok;
}

1;
