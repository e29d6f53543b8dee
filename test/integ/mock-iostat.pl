#!/usr/bin/perl
# mock-iostat.pl: stands in for `iostat -dx 1` (MOG_IOSTAT_CMD) in 51-watch.t.
# Prints Linux iostat -dx style reports; every device line's %util (the last field) is
# "<run>.<round>" padded to two decimals, e.g. 1.03 for the third report of the first run.
#
# Environment:
#   MOCK_DEV       device name(s) to report, comma-separated (default vda)
#   MOCK_INTERVAL  seconds between reports (default 0.2)
#   MOCK_REPORTS   exit 0 after this many reports (default: run forever)
#   MOCK_MODE      whole (default): one write per report
#                  trickle: random 1-25-byte pieces with 10 ms pauses
#                  split: a report plus part of the next, a pause, then the rest in pieces
#   MOCK_LOG       file to which "<pid>\n" is appended at every start
use strict;
use warnings;
use Time::HiRes qw(sleep);

$| = 1;
my @devs = split /,/, ($ENV{MOCK_DEV} // 'vda');
my $interval = $ENV{MOCK_INTERVAL} // 0.2;
my $max = $ENV{MOCK_REPORTS};
my $mode = $ENV{MOCK_MODE} // 'whole';
my $run = 1;
if (defined $ENV{MOCK_LOG}) {
	if (open(my $fh, '<', $ENV{MOCK_LOG})) {
		$run++ while <$fh>;
		close $fh;
	}
	open(my $fh, '>>', $ENV{MOCK_LOG}) or die "$ENV{MOCK_LOG}: $!";
	print $fh "$$\n";
	close $fh;
}

sub report {
	my ($n) = @_;
	my $util = sprintf('%d.%02d', $run, $n % 100);
	my $r = "Device            r/s     w/s     rkB/s     wkB/s   rrqm/s   wrqm/s  %rrqm  "
	      . "%wrqm r_await w_await aqu-sz rareq-sz wareq-sz  svctm  %util\n";
	for my $d (@devs) {
		$r .= sprintf("%-12s %7.2f %7.2f %9.2f %9.2f %8.2f %8.2f %6.2f %6.2f %7.2f %7.2f "
			      . "%6.2f %8.2f %8.2f %6.2f %6s\n", $d, 1, 2, 3, 4, 0, 0, 0, 0, 0.1,
			      0.2, 0, 3, 2, 0.5, $util);
	}
	# device-mapper names contain '-' and must be ignored by the daemon
	$r .= "dm-0              0.00    0.00      0.00      0.00     0.00     0.00   0.00   0.00"
	    . "    0.00    0.00   0.00     0.00     0.00   0.00  99.99\n";
	return "$r\n";
}

sub out { syswrite(STDOUT, $_[0]) // exit 0 }

sub pieces {
	my ($buf) = @_;
	while (length $buf) {
		out(substr($buf, 0, 1 + int(rand(25)), ''));
		sleep 0.01;
	}
}

out("Linux 5.15.0-mock (mockhost) \t01/01/2024 \t_x86_64_\t(2 CPU)\n\n");
for (my $n = 0; !defined $max || $n < $max; $n++) {
	my $rep = report($n);
	if ($mode eq 'trickle') {
		pieces($rep);
	} elsif ($mode eq 'split' && $n % 2 == 0) {
		# this report, its terminating blank line and a fragment of the next one
		my $next = report($n + 1);
		my $cut = 6 + int(rand(66));
		out($rep . substr($next, 0, $cut));
		sleep 0.5;
		pieces(substr($next, $cut));
		$n++;
	} else {
		out($rep);
	}
	sleep $interval;
}
exit 0;
