#!/bin/bash
# deb-test.sh: build the Debian package from a clean copy of this tree, install
# it, run the daemon exactly as the installed systemd unit would (its ExecStart=
# and User=, by hand: CI has no systemd), exercise the System V init script,
# then remove and purge the package.  Prints TAP (1..N, ok / not ok).
#
# Run as root (CI=true in CI): it installs the build dependencies with apt-get,
# installs the .deb with dpkg -i and removes it again, so do not run it on a
# machine where the evmogstored package is installed for real.  Daemons listen
# on 127.0.0.1 only, on ports the kernel picks.  About 2-3 minutes.
#
#   test/pkg/deb-test.sh            # from any directory
#   KEEP=1 test/pkg/deb-test.sh     # keep the temporary directory (build logs)
set -u
export LC_ALL=C
export DEBIAN_FRONTEND=noninteractive
# keep /etc/init.d/evmogstored from redirecting to systemctl on a systemd host
export _SYSTEMCTL_SKIP_REDIRECT=1
top=$(cd "$(dirname "$0")/../.." && pwd)

PLAN=33
n=0
nfail=0
echo "1..$PLAN"
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n # skip $*"; }
diag() { sed 's/^/# /'; }
# t DESCRIPTION COMMAND...: one test, passing when the command succeeds.
t() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else notok "$d"; fi
}

tmp=
pids=
had_user=no
had_docroot=no
default_saved=
installed=no
main_pid=$BASHPID
cleanup() {
	local p
	[ "$BASHPID" = "$main_pid" ] || return 0	# never from a subshell
	for p in $pids; do
		kill -KILL "$p" 2>/dev/null
	done
	if [ "$installed" = yes ]; then
		[ -n "$default_saved" ] && [ -f "$default_saved" ] &&
			cp -p "$default_saved" /etc/default/evmogstored 2>/dev/null
		/etc/init.d/evmogstored stop >/dev/null 2>&1
		dpkg -P evmogstored >/dev/null 2>&1
	fi
	# the package leaves its user and docroot on purge (policy): remove them
	# when this test created them
	if [ "$had_user" = no ] && getent passwd mogstored >/dev/null; then
		userdel mogstored 2>/dev/null
		getent group mogstored >/dev/null && groupdel mogstored 2>/dev/null
	fi
	if [ "$had_docroot" = no ] && [ -d /var/mogdata ]; then
		rmdir /var/mogdata/dev* /var/mogdata 2>/dev/null
	fi
	rm -rf /run/evmogstored
	if [ -n "$tmp" ]; then
		if [ -n "${KEEP:-}" ]; then
			echo "# kept $tmp"
		else
			rm -rf "$tmp"
		fi
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bail() {
	echo "Bail out! $*"
	exit 1
}

[ "$(id -u)" = 0 ] || bail "must run as root (apt-get, dpkg -i, runuser)"
getent passwd mogstored >/dev/null && had_user=yes
[ -d /var/mogdata ] && had_docroot=yes
if dpkg-query -W -f='${Status}' evmogstored 2>/dev/null | grep -q 'ok installed'; then
	bail "the evmogstored package is already installed here; refusing to replace it"
fi

tmp=$(mktemp -d /tmp/evmog-deb.XXXXXX) || bail "mktemp"
chmod 0755 "$tmp"	# the mogstored user must reach the test docroots

# ---- a clean copy of the tree (what git would check out, plus new files) ----
version=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$top/debian/changelog")
upstream=${version%-*}
src=$tmp/evmogstored-$upstream
mkdir -p "$src"
if command -v git >/dev/null && git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | tar -xf - -C "$src"
else
	# no git: copy and drop what a build leaves behind
	(cd "$top" && tar --exclude=./.git --exclude='*.o' --exclude='*.a' \
		--exclude=./debian/evmogstored --exclude=./debian/.debhelper -cf - .) |
		tar -xf - -C "$src"
	[ -f "$src/Makefile" ] && make -C "$src" -s distclean >/dev/null 2>&1
fi
[ -f "$src/debian/rules" ] || bail "copy of the tree has no debian/rules"

# ---- 1: build dependencies (apt-get only when something is missing) ----
have_deps() {
	command -v dpkg-checkbuilddeps >/dev/null && command -v curl >/dev/null &&
		command -v fakeroot >/dev/null && command -v man >/dev/null &&
		(cd "$src" && dpkg-checkbuilddeps) >/dev/null 2>&1
}
rc=0
if ! have_deps; then
	{
		apt-get update -qq &&
		apt-get install -y -qq --no-install-recommends build-essential dpkg-dev \
			debhelper fakeroot curl perl man-db &&
		apt-get build-dep -y -qq "$src"
	} >"$tmp/apt.log" 2>&1
	rc=$?
fi
t "build dependencies installed (apt-get build-dep)" [ $rc = 0 ]
[ $rc = 0 ] || { tail -n 20 "$tmp/apt.log" | diag; bail "apt-get failed"; }

# ---- 2-3: dpkg-buildpackage ----
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1
rc=$?
t "dpkg-buildpackage -us -uc -b" [ $rc = 0 ]
[ $rc = 0 ] || { tail -n 40 "$tmp/build.log" | diag; bail "package build failed"; }
arch=$(dpkg --print-architecture)
deb=$tmp/evmogstored_${version}_$arch.deb
t "built evmogstored_${version}_$arch.deb" [ -f "$deb" ]
[ -f "$deb" ] || bail "no .deb"

# ---- 4-10: package contents ----
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$tmp/contents"
for f in /usr/sbin/evmogstored /usr/share/man/man8/evmogstored.8.gz \
	/lib/systemd/system/evmogstored.service /lib/systemd/system/evmogstored.socket \
	/etc/init.d/evmogstored /etc/default/evmogstored /etc/mogilefs/mogstored.conf; do
	t "package contains $f" grep -qx "$f" "$tmp/contents"
done
# ---- 11: conffiles ----
dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles >"$tmp/conffiles" 2>/dev/null
t "/etc/mogilefs/mogstored.conf is a conffile" grep -qx /etc/mogilefs/mogstored.conf "$tmp/conffiles"

# ---- 12: lintian (not installed by this script: it is slow to install) ----
if command -v lintian >/dev/null; then
	lintian "$deb" >"$tmp/lintian.log" 2>&1
	if grep -q '^E:' "$tmp/lintian.log"; then
		notok "lintian: no errors"
		diag <"$tmp/lintian.log"
	else
		ok "lintian: no errors"
		grep '^[WI]:' "$tmp/lintian.log" | diag
	fi
else
	skip "lintian not installed"
fi

# ---- 13-18: install ----
dpkg -i "$deb" >"$tmp/dpkg-i.log" 2>&1
rc=$?
[ $rc = 0 ] && installed=yes
t "dpkg -i" [ $rc = 0 ]
[ $rc = 0 ] || { diag <"$tmp/dpkg-i.log"; bail "dpkg -i failed"; }
t "system user mogstored exists, home /var/mogdata" \
	sh -c 'getent passwd mogstored | awk -F: "\$3 < 1000 && \$6 == \"/var/mogdata\" { f = 1 } END { exit !f }"'
t "/var/mogdata exists, owned by mogstored" \
	sh -c '[ -d /var/mogdata ] && [ "$(stat -c %U:%G /var/mogdata)" = mogstored:mogstored ]'
if command -v man >/dev/null && [ -f /usr/share/man/man8/evmogstored.8.gz ]; then
	t "man -w evmogstored" sh -c 'man -w evmogstored | grep -q evmogstored.8'
else
	# e.g. a container whose dpkg configuration excludes /usr/share/man
	t "man page shipped (man -w impossible here: no man or man pages excluded)" \
		grep -qx /usr/share/man/man8/evmogstored.8.gz "$tmp/contents"
fi
vout=$(/usr/sbin/evmogstored --version 2>&1)
case "$vout" in
*"$upstream"*) ok "evmogstored --version prints $upstream" ;;
*) notok "evmogstored --version prints $upstream"; echo "$vout" | diag ;;
esac
/etc/init.d/evmogstored status >/dev/null 2>&1
rc=$?
t "init script: status of a stopped daemon is 3 (LSB), got $rc" [ $rc = 3 ]

# ---- helpers for running the daemon ----
unit=/lib/systemd/system/evmogstored.service
execstart=$(sed -n 's/^ExecStart=[-@+!:]*//p' "$unit" | tail -n 1)
unit_user=$(sed -n 's/^User=//p' "$unit" | tail -n 1)
unit_user=${unit_user:-root}
read -r -a cmd <<<"$execstart"

free_port() {
	perl -MIO::Socket::INET -e 'my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
		LocalPort => 0, Listen => 1, ReuseAddr => 1) or die $!; print $s->sockport, "\n"'
}
wait_port() {	# wait_port PORT [PID]: until 127.0.0.1:PORT accepts (10 s)
	local i
	for i in $(seq 1 200); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		[ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null && return 1
		sleep 0.05
	done
	return 1
}
wait_exit() {	# wait_exit PID [KILLPID]: wait for a child of this shell, status in $st;
		# SIGKILL to KILLPID (default PID) after 60 s
	local i
	for i in $(seq 1 600); do
		kill -0 "$1" 2>/dev/null || break
		[ "$i" = 600 ] && kill -KILL "${2:-$1}" 2>/dev/null
		sleep 0.1
	done
	wait "$1"
	st=$?
}
daemon_pid() {	# the process runuser started (runuser forks, unless it execs)
	local i p
	for i in $(seq 1 100); do
		[ "$(ps -o comm= -p "$1")" = evmogstored ] && { echo "$1"; return 0; }
		p=$(pgrep -P "$1" -x evmogstored | head -n 1)
		[ -n "$p" ] && { echo "$p"; return 0; }
		sleep 0.05
	done
	return 1
}
put_get() {	# put_get PORT PATH: PUT random bytes, GET them back, compare
	local port=$1 path=$2 code
	head -c 100000 /dev/urandom >"$tmp/body.in"
	code=$(curl -s -o /dev/null -w '%{http_code}' -T "$tmp/body.in" "http://127.0.0.1:$port$path")
	[ "$code" = 201 ] || { echo "PUT $path: $code" | diag; return 1; }
	curl -s -f -o "$tmp/body.out" "http://127.0.0.1:$port$path" || return 1
	cmp -s "$tmp/body.in" "$tmp/body.out"
}
new_docroot() {	# new_docroot DIR: a docroot with dev1, owned by the unit's user
	mkdir -p "$1/dev1"
	chown -R "$unit_user:" "$1"
}

# ---- 19-23: the unit's ExecStart exactly, with the shipped configuration ----
# (listeners moved to 127.0.0.1 on free ports: command-line listeners win over
# the file's, docroot stays /var/mogdata)
t "unit: Type=notify, KillSignal=SIGQUIT, ExecStart runs $unit_user's /usr/sbin/evmogstored --config=..." \
	sh -c "grep -qx Type=notify '$unit' && grep -qx KillSignal=SIGQUIT '$unit' &&
		[ '${cmd[0]}' = /usr/sbin/evmogstored ] && [ '$unit_user' = mogstored ] &&
		printf '%s\n' \"\$@\" | grep -qx -- '--config=/etc/mogilefs/mogstored.conf'" _ "${cmd[@]}"
hp=$(free_port)
mp=$(free_port)
runuser -u "$unit_user" -- "${cmd[@]}" --httplisten="127.0.0.1:$hp" --mgmtlisten="127.0.0.1:$mp" \
	>"$tmp/a.out" 2>"$tmp/a.err" </dev/null &
rpid=$!
pids="$pids $rpid"
if wait_port "$hp" "$rpid" && wait_port "$mp" "$rpid"; then
	ok "ExecStart with the shipped /etc/mogilefs/mogstored.conf listens"
else
	notok "ExecStart with the shipped /etc/mogilefs/mogstored.conf listens"
	diag <"$tmp/a.err"
fi
dpid=$(daemon_pid "$rpid")
t "daemon runs as $unit_user" sh -c "[ \"\$(ps -o user= -p '$dpid' | tr -d ' ')\" = '$unit_user' ]"
if grep -Eiq 'unknown|ignor|^W:|warn' "$tmp/a.err"; then
	notok "shipped configuration loads without warnings"
	diag <"$tmp/a.err"
else
	ok "shipped configuration loads without warnings"
fi
kill -QUIT "$dpid" 2>/dev/null
wait_exit "$rpid" "$dpid"
t "SIGQUIT: exit status 0 (got $st)" [ "$st" = 0 ]

# ---- 24-29: ExecStart with a test configuration, NOTIFY_SOCKET as systemd sets it ----
hp=$(free_port)
mp=$(free_port)
new_docroot "$tmp/b"
cat >"$tmp/b.conf" <<EOF
httplisten = 127.0.0.1:$hp
mgmtlisten = 127.0.0.1:$mp
docroot = $tmp/b
EOF
base=()	# ExecStart without its --config
for a in "${cmd[@]}"; do
	case "$a" in --config=*) ;; *) base+=("$a") ;; esac
done
args=("${base[@]}" "--config=$tmp/b.conf")
# a datagram socket standing in for systemd's notification socket
perl -MIO::Socket::UNIX -MSocket -e '
	my ($path, $out) = @ARGV;
	my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $path) or die "$path: $!";
	chmod 0666, $path;
	$| = 1;
	open(my $fh, ">>", $out) or die;
	$fh->autoflush(1);
	local $SIG{ALRM} = sub { exit 0 };
	alarm 120;
	while (defined $s->recv(my $buf, 4096)) {
		print $fh "$buf\n";
		exit 0 if $buf =~ /^STOPPING=1/m;
	}' "$tmp/notify.sock" "$tmp/notify.log" &
npid=$!
pids="$pids $npid"
for i in $(seq 1 50); do [ -S "$tmp/notify.sock" ] && break; sleep 0.05; done
runuser -u "$unit_user" -- env NOTIFY_SOCKET="$tmp/notify.sock" "${args[@]}" \
	>"$tmp/b.out" 2>"$tmp/b.err" </dev/null &
rpid=$!
pids="$pids $rpid"
wait_port "$hp" "$rpid"
dpid=$(daemon_pid "$rpid")
for i in $(seq 1 100); do grep -q '^READY=1' "$tmp/notify.log" 2>/dev/null && break; sleep 0.05; done
t "sd_notify: READY=1 with MAINPID=$dpid" sh -c "grep -qx READY=1 '$tmp/notify.log' &&
	grep -qx 'MAINPID=$dpid' '$tmp/notify.log'"
t "PUT then GET 100 kB on the test docroot" put_get "$hp" /dev1/0/000/000/0000000001.fid
t "stored file is owned by $unit_user" \
	sh -c "[ \"\$(stat -c %U '$tmp/b/dev1/0/000/000/0000000001.fid')\" = '$unit_user' ]"
t "sideband answers size" bash -c "exec 3<>/dev/tcp/127.0.0.1/$mp &&
	printf 'size /dev1/0/000/000/0000000001.fid\r\n' >&3 &&
	IFS= read -r -t 10 line <&3 && case \"\$line\" in *' 100000'*) exit 0 ;; *) exit 1 ;; esac"
kill -QUIT "$dpid" 2>/dev/null
wait_exit "$rpid" "$dpid"
t "SIGQUIT: exit status 0 (got $st)" [ "$st" = 0 ]
wait_exit "$npid"
t "sd_notify: STOPPING=1" grep -qx STOPPING=1 "$tmp/notify.log"

# ---- 30: socket activation, as evmogstored.socket + systemd would pass them ----
# (LISTEN_FDS=2, LISTEN_PID = the daemon's pid, descriptors 3 and 4 bound to the
# addresses the configuration names; the kernel picks the ports)
new_docroot "$tmp/c"
mkdir "$tmp/cconf"	# the configuration is written by the unit's user
chown "$unit_user:" "$tmp/cconf"
runuser -u "$unit_user" -- perl -MIO::Socket::INET -MPOSIX=dup2 -e '
	my ($conf, $docroot, @cmd) = @ARGV;
	$^F = 10;	# no close-on-exec on the sockets
	my @s = map { IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0,
		Listen => 128, ReuseAddr => 1) or die $! } 1 .. 2;
	open(my $fh, ">", $conf) or die "$conf: $!";
	printf $fh "httplisten = 127.0.0.1:%d\nmgmtlisten = 127.0.0.1:%d\ndocroot = %s\n",
		$s[0]->sockport, $s[1]->sockport, $docroot;
	close $fh;
	fileno($s[0]) == 3 or dup2(fileno($s[0]), 3) or die "dup2: $!";
	fileno($s[1]) == 4 or dup2(fileno($s[1]), 4) or die "dup2: $!";
	$ENV{LISTEN_FDS} = 2; $ENV{LISTEN_PID} = $$;
	exec { $cmd[0] } @cmd, "--config=$conf" or die "exec: $!";' \
	"$tmp/cconf/c.conf" "$tmp/c" "${base[@]}" \
	>"$tmp/c.out" 2>"$tmp/c.err" </dev/null &
rpid=$!
pids="$pids $rpid"
for i in $(seq 1 100); do [ -s "$tmp/cconf/c.conf" ] && break; sleep 0.05; done
hp=$(sed -n 's/^httplisten = 127.0.0.1://p' "$tmp/cconf/c.conf")
if [ -n "$hp" ] && wait_port "$hp" "$rpid" && put_get "$hp" /dev1/0/000/000/0000000002.fid &&
	grep -q "inherited 127.0.0.1:$hp on fd=3" "$tmp/c.err"; then
	ok "socket activation (LISTEN_FDS): inherited sockets serve PUT/GET"
else
	notok "socket activation (LISTEN_FDS): inherited sockets serve PUT/GET"
	diag <"$tmp/c.err"
fi
dpid=$(daemon_pid "$rpid")
kill -QUIT "$dpid" 2>/dev/null
wait_exit "$rpid" "$dpid"

# ---- 31: the System V init script (start-stop-daemon, --daemonize, pid file) ----
hp=$(free_port)
mp=$(free_port)
new_docroot "$tmp/d"
cat >"$tmp/d.conf" <<EOF
httplisten = 127.0.0.1:$hp
mgmtlisten = 127.0.0.1:$mp
docroot = $tmp/d
EOF
default_saved=$tmp/default.saved
cp -p /etc/default/evmogstored "$default_saved"
printf 'ENABLED=yes\nCONFIG=%s\nDAEMON_OPTS=""\n' "$tmp/d.conf" >/etc/default/evmogstored
initok=yes
/etc/init.d/evmogstored start >"$tmp/init.log" 2>&1 || initok="no (start)"
pidf=/run/evmogstored/evmogstored.pid
[ "$initok" = yes ] && { wait_port "$hp" || initok="no (port)"; }
[ "$initok" = yes ] && { [ -s "$pidf" ] || initok="no (pid file)"; }
ipid=$(cat "$pidf" 2>/dev/null)
[ "$initok" = yes ] && { [ "$(ps -o user= -p "$ipid" | tr -d ' ')" = "$unit_user" ] || initok="no (user)"; }
[ "$initok" = yes ] && { /etc/init.d/evmogstored status >>"$tmp/init.log" 2>&1 || initok="no (status)"; }
[ "$initok" = yes ] && { put_get "$hp" /dev1/0/000/000/0000000003.fid || initok="no (PUT/GET)"; }
[ "$initok" = yes ] && { /etc/init.d/evmogstored reload >>"$tmp/init.log" 2>&1 || initok="no (reload)"; }
[ "$initok" = yes ] && { sleep 0.2; kill -0 "$ipid" 2>/dev/null || initok="no (reload killed it)"; }
[ "$initok" = yes ] && { /etc/init.d/evmogstored restart >>"$tmp/init.log" 2>&1 || initok="no (restart)"; }
[ "$initok" = yes ] && { ! kill -0 "$ipid" 2>/dev/null || initok="no (old pid after restart)"; }
ipid=$(cat "$pidf" 2>/dev/null)
[ "$initok" = yes ] && { [ -n "$ipid" ] && kill -0 "$ipid" 2>/dev/null || initok="no (no new pid)"; }
[ "$initok" = yes ] && { put_get "$hp" /dev1/0/000/000/0000000004.fid || initok="no (PUT/GET after restart)"; }
[ "$initok" = yes ] && { /etc/init.d/evmogstored stop >>"$tmp/init.log" 2>&1 || initok="no (stop)"; }
[ "$initok" = yes ] && { ! kill -0 "$ipid" 2>/dev/null || initok="no (still running)"; }
[ "$initok" = yes ] && { [ ! -e "$pidf" ] || initok="no (pid file left)"; }
if [ "$initok" = yes ]; then
	ok "init script: start (as $unit_user), status, PUT/GET, reload, restart, stop (QUIT), pid file removed"
else
	notok "init script: start, status, PUT/GET, stop: $initok"
	diag <"$tmp/init.log"
	[ -n "$ipid" ] && kill -KILL "$ipid" 2>/dev/null
fi
cp -p "$default_saved" /etc/default/evmogstored
default_saved=

# ---- 32-33: remove, purge ----
dpkg -r evmogstored >"$tmp/dpkg-r.log" 2>&1
rc=$?
t "dpkg -r evmogstored" sh -c "[ $rc = 0 ] && [ ! -e /usr/sbin/evmogstored ] &&
	[ -e /etc/mogilefs/mogstored.conf ]"
[ $rc = 0 ] || diag <"$tmp/dpkg-r.log"
dpkg -P evmogstored >"$tmp/dpkg-p.log" 2>&1
rc=$?
[ $rc = 0 ] && installed=no
t "dpkg -P evmogstored: configuration gone, user and /var/mogdata kept" \
	sh -c "[ $rc = 0 ] && [ ! -e /etc/mogilefs/mogstored.conf ] &&
		[ ! -e /etc/default/evmogstored ] && getent passwd mogstored >/dev/null && [ -d /var/mogdata ]"
[ $rc = 0 ] || diag <"$tmp/dpkg-p.log"

[ "$n" = "$PLAN" ] || { echo "# ran $n tests, planned $PLAN"; nfail=$((nfail + 1)); }
[ "$nfail" = 0 ]
