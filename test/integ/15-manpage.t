# 15-manpage.t: every option --help prints is documented in doc/evmogstored.8, and vice versa.
use strict;
use warnings;
use Test::More;
use TestDaemon;

my $man = "$ENV{TEST_SRCDIR}/../doc/evmogstored.8";
open(my $fh, '<', $man) or die "$man: $!";
my $src = do { local $/; <$fh> };
close $fh;

# options the man page documents: the tags of its OPTIONS section
my ($opts) = $src =~ /^\.SH OPTIONS\n(.*?)^\.SH /ms;
ok(defined $opts, 'the man page has an OPTIONS section');
my %man;
for my $tag ($opts =~ /^\.TP\n(.*)$/mg) {
	(my $plain = $tag) =~ s/\\f[BIRP]//g;
	$plain =~ s/\\-/-/g;
	$plain =~ s/^\.B[IR]?\s+//;
	$plain =~ s/"//g;
	$man{$_} = 1 for $plain =~ /(?<![\w-])(--?[A-Za-z?][\w-]*)/g;
}

my ($rc, $out, $err) = TestDaemon::run_cli(['--help']);
is($rc, 0, '--help exits 0');
my %help;
for my $line (split /\n/, $out) {
	next unless $line =~ /^\s+-/;	# option lines start with a dash after the indent
	my ($names) = $line =~ /^\s+(\S.*?)(?:\s{2,}|$)/;
	$help{$_} = 1 for $names =~ /(?<![\w-])(--?[A-Za-z?][\w-]*)/g;
}
ok(scalar(keys %help) >= 20, 'found the options in --help (' . scalar(keys %help) . ')');
for my $o (sort keys %help) {
	ok($man{$o}, "man page documents $o");
}
for my $o (sort keys %man) {
	ok($help{$o}, "--help lists $o from the man page");
}
done_testing();
