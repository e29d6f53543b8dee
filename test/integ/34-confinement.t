# 34-confinement.t: requests never reach outside the docroot: symlinks below a device directory
# (or below the docroot) are refused, and ".." is refused (doc/protocol.md, Request targets;
# cmogstored follows symlinks).
use strict;
use warnings;
use Test::More;
use TestDaemon;

my $d = TestDaemon->start(devices => [1]);
my $norm = \&TestDaemon::normalize;
my $out = "$d->{dir}/outside";		# beside the docroot, not below it
mkdir $out or die "$out: $!";
mkdir "$d->{dir}/realdev2" or die;
sub put_outside {
	my ($name, $bytes) = @_;
	open(my $fh, '>:raw', "$out/$name") or die;
	print $fh $bytes;
	close $fh;
}
sub outside { TestDaemon::slurp("$out/$_[0]") }
put_outside('secret', 'SECRET');
mkdir "$out/sub";
put_outside('sub/inner', 'INNER');

$d->write_file('dev1/real', 'real');
symlink("$out/secret", $d->path('dev1/link')) or die "symlink: $!";		# file link leaving the docroot
symlink($out, $d->path('dev1/ldir')) or die;					# directory component leaving it
symlink('real', $d->path('dev1/alias')) or die;					# relative link staying inside
symlink("$out/nonexistent", $d->path('dev1/dangling')) or die;		# dangling, target outside
mkdir $d->path('dev1/d') or die;
symlink('../ldir', $d->path('dev1/d/up')) or die;				# link to a link, via ..
symlink("$out/secret", $d->path('toplink')) or die;				# at the top of the docroot
symlink("$d->{dir}/realdev2", $d->path('dev2')) or die;				# a device directory that is a symlink
open(my $fh, '>', "$d->{dir}/realdev2/ok") or die;
print $fh 'dev2 ok';
close $fh;

sub refused_keep {
	my ($raw, $name, %o) = @_;
	my ($r, $s) = $d->roundtrip($raw, head => 1);
	is($r && $r->{status}, 403, "$name → 403");
	is($r && $r->{headers}{connection}, 'keep-alive', "$name: keep-alive");
	is($r && $r->{headers}{'content-length'}, '0', "$name: no content");
	TestDaemon::write_all($s, "GET /dev1/real HTTP/1.1\r\n\r\n");
	my $r2 = TestDaemon::read_response($s);
	is($r2 && $r2->{body}, 'real', "$name: connection reusable");
}

sub refused_close {
	my ($raw, $name) = @_;
	my ($r, $s) = $d->roundtrip($raw, head => 1);
	is($r && $r->{status}, 403, "$name → 403");
	is($r && $r->{headers}{connection}, 'close', "$name: Connection: close");
	ok(TestDaemon::is_eof($s, 5), "$name: then EOF");
}

# GET and HEAD through symlinks
for my $p ('/dev1/link', '/dev1/ldir/secret', '/dev1/ldir/sub/inner', '/dev1/alias', '/dev1/dangling',
	   '/dev1/d/up/secret', '/dev1/ldir', '/dev1/ldir/', '/toplink', '//dev1/link',
	   '/dev1/./link', '/dev1//ldir/secret') {
	for my $m ('GET', 'HEAD') {
		refused_keep("$m $p HTTP/1.1\r\n\r\n", "symlink $m $p");
	}
}
{
	my $r = $d->roundtrip("GET /dev1/link HTTP/1.1\r\nRange: bytes=0-2\r\n\r\n");
	is($r->{status}, 403, 'symlink GET /dev1/link with Range → 403');
	unlike($r->{raw}, qr/SECRET|SEC/, 'symlink: no byte of the outside file is sent');
	$r = $d->roundtrip("GET http://h/dev1/ldir/secret HTTP/1.1\r\n\r\n");
	is($r->{status}, 403, 'symlink GET through an absolute URI → 403');
}

# PUT through symlinks: 403 and close; nothing outside changes or appears
for my $t (['/dev1/link', 'secret'], ['/dev1/ldir/secret', 'secret'], ['/dev1/ldir/new', 'new'],
	   ['/dev1/ldir/sub/inner', 'sub/inner'], ['/dev1/ldir/newdir/f', 'newdir/f'],
	   ['/dev1/dangling', 'nonexistent'], ['/dev1/d/up/new2', 'new2'], ['/dev1/alias', undef]) {
	my ($p, $victim) = @$t;
	refused_close("PUT $p HTTP/1.1\r\nContent-Length: 5\r\n\r\nPWNED", "symlink PUT $p");
	refused_close("PUT $p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nPWNED\r\n0\r\n\r\n",
		      "symlink chunked PUT $p");
	refused_close("PUT $p HTTP/1.1\r\nContent-Length: 5\r\nContent-Range: bytes 0-4/*\r\n\r\nPWNED",
		      "symlink partial PUT $p");
	refused_close("PUT $p HTTP/1.1\r\n\r\n", "symlink zero-length PUT $p");
}
is(outside('secret'), 'SECRET', 'symlink PUT: outside file unchanged');
is(outside('sub/inner'), 'INNER', 'symlink PUT: outside file below a linked directory unchanged');
ok(!-e "$out/new" && !-e "$out/newdir" && !-e "$out/nonexistent" && !-e "$out/new2",
   'symlink PUT: nothing created outside the docroot');
is(readlink($d->path('dev1/link')), "$out/secret", 'symlink PUT: the link itself was not replaced');
is(readlink($d->path('dev1/alias')), 'real', 'symlink PUT: the inside link was not replaced');
is($d->read_file('dev1/real'), 'real', 'symlink PUT: the inside link target unchanged');
{
	opendir(my $dh, $out);
	is(scalar(grep { /\.tmp$/ } readdir $dh), 0, 'symlink PUT: no temporary file outside');
}

# DELETE through symlinks
for my $p ('/dev1/link', '/dev1/ldir/secret', '/dev1/alias', '/dev1/dangling', '/dev1/d/up/secret', '/toplink') {
	refused_keep("DELETE $p HTTP/1.1\r\n\r\n", "symlink DELETE $p");
}
is(outside('secret'), 'SECRET', 'symlink DELETE: outside file still there');
ok(-l $d->path('dev1/link') && -l $d->path('dev1/alias') && -l $d->path('dev1/dangling'),
   'symlink DELETE: links not removed');
is($d->read_file('dev1/real'), 'real', 'symlink DELETE: inside target still there');
# MKCOL through a symlinked directory is refused like any MKCOL; never creates anything
{
	my $r = $d->roundtrip("MKCOL /dev1/ldir/mk HTTP/1.1\r\n\r\n");
	ok($r->{status} == 400 || $r->{status} == 403, 'symlink MKCOL /dev1/ldir/mk → 400 or 403');
	ok(!-e "$out/mk", 'symlink MKCOL: nothing created outside');
}

# A device directory that is itself a symlink (usual for mount points) is still served
{
	my $r = $d->roundtrip("GET /dev2/ok HTTP/1.1\r\n\r\n");
	is($r->{status}, 200, 'device directory that is a symlink: GET below it → 200');
	is($r->{body}, 'dev2 ok', 'device directory that is a symlink: body');
	$r = $d->roundtrip("PUT /dev2/new HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi");
	is($r->{status}, 201, 'device directory that is a symlink: PUT below it → 201');
	is(TestDaemon::slurp("$d->{dir}/realdev2/new"), 'hi', 'device directory that is a symlink: file stored');
}

# ".." anywhere in the path
for my $p ('/dev1/../dev1/real', '/..', '/dev1/..', '/dev1/a..b', '/dev1/../../outside/secret',
	   '/dev1/..foo', '//../dev1/real') {
	for my $m ('GET', 'HEAD', 'DELETE') {
		refused_keep("$m $p HTTP/1.1\r\n\r\n", "dotdot $m $p");
	}
}
refused_keep("MKCOL /dev1/../ HTTP/1.1\r\n\r\n", 'dotdot MKCOL /dev1/../');
refused_keep("GET http://h/dev1/../dev1/real HTTP/1.1\r\n\r\n", 'dotdot GET of an absolute URI');
for my $p ('/dev1/../ab', '/dev1/../../outside/pwned', '/dev1/a..b', '/dev1/x/../y', '/dev1/..') {
	refused_close("PUT $p HTTP/1.1\r\nContent-Length: 5\r\n\r\nPWNED", "dotdot PUT $p");
	refused_close("PUT $p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nPWNED\r\n0\r\n\r\n",
		      "dotdot chunked PUT $p");
}
refused_close("PUT http://h/dev1/../ab HTTP/1.1\r\nContent-Length: 5\r\n\r\nPWNED", 'dotdot PUT of an absolute URI');
ok(!-e $d->path('ab') && !-e $d->path('dev1/a..b') && !-e "$out/pwned" && !-e $d->path('dev1/y')
   && !-e $d->path('dev1/x'), 'dotdot PUT: nothing created');
is($d->read_file('dev1/real'), 'real', 'dotdot DELETE: nothing removed');
for my $m ('GET', 'DELETE', 'PUT') {
	my ($r, $s) = $d->roundtrip("$m ../dev1/real HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	is($r && $r->{status}, 400, "dotdot $m ../dev1/real (no leading slash) → 400");
}

is($d->stop('QUIT'), 0, 'exits 0 on SIGQUIT');
done_testing;
