# 67-upgrade-workers2.t: 61-upgrade.t with --worker-processes=2: S258, S259 and the
# upgrade under load, with two workers per master draining and restarting.
use strict;
use warnings;
use File::Basename qw(dirname);

$ENV{UPGRADE_WORKERS_N} = 2;
my $file = dirname(__FILE__) . '/66-upgrade-workers.t';
do $file;
die "$file: $@" if $@;
