# 66-upgrade-workers.t: 61-upgrade.t (S258, S259 and the upgrade under load) with
# --worker-processes=1 (S260; 67-upgrade-workers2.t: =2): the master upgrades, its workers drain.
use strict;
use warnings;
use File::Basename qw(dirname);

my $n = $ENV{UPGRADE_WORKERS} = $ENV{UPGRADE_WORKERS_N} // 1;
my $file = dirname(__FILE__) . '/61-upgrade.t';
my $rv = do $file;
die "$file: $@" if $@;
