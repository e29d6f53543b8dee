# src-shape.t: the shape of src/ (doc/design.md, "Layers"): dependencies point one way,
# util < core < net < dev < http, mgmt < status < main.c, no file over 500 lines and
# no function over 80.  Reads the sources only; builds and runs nothing.
use strict;
use warnings;
use Test::More;
use File::Basename qw(dirname);
use File::Find;
use File::Spec;

my $top = defined $ENV{TEST_SRCDIR} ? dirname($ENV{TEST_SRCDIR})
				    : File::Spec->rel2abs(dirname(__FILE__) . '/..');
my $src = "$top/src";

# A layer may include its own headers and those of lower layers only.  http and
# mgmt are peers: neither includes the other.  mog.h (the src/ root) is for all.
my %level = (util => 1, core => 2, net => 3, dev => 4, http => 5, mgmt => 5, status => 6);
my $MAX_FILE_LINES = 500;
my $MAX_FN_LINES = 80;

sub layer_of {
	my ($rel) = @_;		# path below src/
	return ('main', 7) if $rel eq 'main.c';
	return ('root', 0) if $rel !~ m{/};
	my ($dir) = $rel =~ m{^([^/]+)/};
	die "src/$rel: folder $dir is no layer; add it to src-shape.t\n" unless exists $level{$dir};
	return ($dir, $level{$dir});
}

my @files;
find({ no_chdir => 1, wanted => sub {
	return unless /\.(?:c|h|rl)$/;
	my $rel = File::Spec->abs2rel($_, $src);
	# a Ragel output is checked through its .rl
	return if $rel =~ /\.c$/ && -e "$src/" . ($rel =~ s/\.c$/.rl/r);
	push @files, $rel;
} }, $src);
@files = sort @files;
ok(@files > 20, 'found the sources (' . scalar(@files) . ' files)');

my (@up, @long_files, @long_fns);
for my $rel (@files) {
	open my $fh, '<', "$src/$rel" or die "$src/$rel: $!";
	my @lines = <$fh>;
	close $fh;
	my ($layer, $lvl) = layer_of($rel);
	my $dir = dirname($rel);

	for my $i (0 .. $#lines) {
		next unless $lines[$i] =~ /^\s*#\s*include\s+"([^"]+)"/;
		my $inc = $1;
		my $path = File::Spec->canonpath($dir eq '.' ? $inc : "$dir/$inc");
		$path =~ s{(?:^|/)[^/]+/\.\./}{/}g while $path =~ m{[^/]+/\.\./};
		$path =~ s{^/}{};
		next unless -e "$src/$path";	# config.h, gnulib: not ours
		my ($ilayer, $ilvl) = layer_of($path);
		next if $ilayer eq $layer || $ilvl < $lvl;
		push @up, sprintf('src/%s:%d (%s) includes src/%s (%s)', $rel, $i + 1, $layer,
				  $path, $ilayer);
	}

	push @long_files, sprintf('src/%s: %d lines', $rel, scalar @lines)
		if @lines > $MAX_FILE_LINES;

	# a function body: a line "{" right after a declarator, up to the next "}" in column 0
	my ($start, $name);
	for my $i (0 .. $#lines) {
		if (!defined $start && $lines[$i] =~ /^\{\s*$/ && $i > 0) {
			my $j = $i - 1;
			$j-- while $j > 0 && $lines[$j] !~ /\(/;
			($name) = $lines[$j] =~ /(\w+)\s*\(/;
			$start = $i;
		} elsif (defined $start && $lines[$i] =~ /^\}/) {
			my $n = $i - $start + 1;
			push @long_fns, sprintf('src/%s:%d %s(): %d lines', $rel, $start + 1,
						$name // '?', $n) if $n > $MAX_FN_LINES;
			undef $start;
		}
	}
}

is(scalar @up, 0, 'no layer includes a higher layer\'s header')
	or diag(join("\n", @up));
is(scalar @long_files, 0, "no file in src/ over $MAX_FILE_LINES lines")
	or diag(join("\n", @long_files));
is(scalar @long_fns, 0, "no function in src/ over $MAX_FN_LINES lines")
	or diag(join("\n", @long_fns));
done_testing();
