#!/bin/sh
# optional-deps.sh: install the optional tools the observability tests use when present:
# chromium (91-status-page.t renders and screenshots the status page) and prometheus
# (for promtool, which 90-metrics.t runs on /metrics).  Acts only in CI (CI=true) as
# root; otherwise does nothing.  Always exits 0: without the tools those tests skip.
# Service starts are left to the machine's policy-rc.d (no daemon is wanted here).
set -u
want=
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || want="$want chromium"
command -v promtool >/dev/null 2>&1 || [ -x /usr/bin/promtool ] || want="$want prometheus"
if [ -z "$want" ]; then
	echo "optional-deps: chromium and promtool already installed"
	exit 0
fi
if [ "${CI:-}" != true ] || [ "$(id -u)" != 0 ]; then
	echo "optional-deps: not installing$want (needs CI=true and root); those checks will skip"
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/optional-deps.XXXXXX) || log=/dev/null
if apt-get update -qq >"$log" 2>&1 &&
   apt-get install -y -qq --no-install-recommends $want >>"$log" 2>&1; then
	echo "optional-deps: installed$want"
else
	echo "optional-deps: installing$want failed (tests will skip); last lines:"
	tail -n 5 "$log" 2>/dev/null
fi
[ "$log" != /dev/null ] && rm -f "$log"
exit 0
