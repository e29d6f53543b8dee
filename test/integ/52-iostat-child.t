# 52-iostat-child.t: the MOG_IOSTAT_CMD child is restarted without leaking and with
# backoff (issue 12, item 4).  A command that prints a line and exits 0 at once
# ('echo hi') used to be restarted in a tight loop, and when SIGCHLD was handled before
# the pipe's EOF the old pipe was never closed.  Over 3 seconds the daemon's descriptor
# count must stay at its baseline (+1 for the pipe of a running child: at most one) and the command
# may be started only a few times (backoff from 1 s), not hundreds.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use TestDaemon;

plan skip_all => 'descriptor counts are not meaningful under valgrind' if TestDaemon::valgrind();

my $dir = TestDaemon::new_tmpdir();
my $starts = "$dir/starts";
# --scrub-rate=0: only the iostat child may move the descriptor count measured below
my $d = TestDaemon->start(devices => [1], args => ['--scrub-rate=0'],
			  env => { MOG_IOSTAT_CMD => "sh -c 'echo started >> $starts; echo hi'" });
TestDaemon::poll_until(sub { -s $starts }, 5);
ok(-s $starts, 'the iostat command was started');
my $t0 = time;
my ($min, $max);
while (time - $t0 < 3) {
	my $n = $d->fd_count;
	$min = $n if defined $n && (!defined $min || $n < $min);
	$max = $n if defined $n && (!defined $max || $n > $max);
	sleep 0.05;
}
cmp_ok($max - $min, '<=', 1, "descriptors stay bounded over 3 s ($min..$max)")
	or diag(join("\n", map { "$_ -> " . (readlink($_) // '?') } glob("/proc/$d->{pid}/fd/*")));
my $n = () = (TestDaemon::slurp($starts) // '') =~ /started/g;
cmp_ok($n, '<=', 5, "a command exiting 0 at once is restarted with backoff ($n starts in 3 s)");
ok($d->alive, 'the daemon is alive');
is($d->stop('QUIT'), 0, 'exits 0');
done_testing();
