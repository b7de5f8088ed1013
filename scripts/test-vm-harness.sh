#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side test of the VM harness's verdict: vm-suite.sh (one process and
# one timeout per test, in the guest) on a fake test binary that passes,
# fails, hangs and crashes, and vm-summary.sh on results dirs built by hand
# (a test that never ran, a filter, a failing rmmod, kmemleak missing or
# disabled, a failed VM). Needs no kernel and no root. Prints one line per
# case; non-zero if any fails.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
ok() { echo "ok    $*"; }
bad() { echo "FAIL  $*"; status=1; }

# A libtest-like binary: --list, and --exact NAME.
cat >"$tmp/fake-tests" <<'FAKE'
#!/usr/bin/env bash
if [ "$1" = --list ]; then
	for t in passes fails hangs crashes; do
		[ -z "${3:-}" ] || [[ $t == *"$3"* ]] && echo "$t: test"
	done
	echo; echo "4 tests, 0 benchmarks"; exit 0
fi
[ "$1" = --exact ] || exit 2
echo; echo "running 1 test"
case $2 in
passes) echo "test passes ... ok" ;;
fails) echo "test fails ... FAILED"; exit 101 ;;
hangs) printf 'test hangs ... '; sleep 60 ;;
crashes) printf 'test crashes ... '; kill -SEGV $$ ;;
esac
FAKE
chmod +x "$tmp/fake-tests"

mkdir "$tmp/run" && cd "$tmp/run" || exit 1
start=$(date +%s)
"$top/scripts/vm-suite.sh" 2 "$tmp/fake-tests" >run.log 2>&1
rc=$?
took=$(($(date +%s) - start))
count() { grep -cxE "test $1 \.\.\. $2" run.log; }
if [ $rc != 0 ] && [ "$(count passes ok)" = 1 ] && [ "$(count fails FAILED)" = 1 ] &&
   [ "$(count hangs FAILED)" = 1 ] && grep -q "hangs: no verdict after 2 s" run.log &&
   [ "$(count crashes FAILED)" = 1 ] && grep -q "crashes: exited 139 without a verdict" run.log &&
   [ "$(wc -l <tests.list)" = 4 ] && [ "$took" -lt 30 ]; then
	ok "vm-suite: a hung test fails by name after its own timeout, a crash fails by name, the others run (${took} s)"
else
	bad "vm-suite: rc=$rc took=${took}s: $(cat run.log)"
fi

# Several filters (comma-separated) and --stop: the picked tests run in
# the filters' order and the run ends at the first failure (make mutate).
mkdir "$tmp/stop" && cd "$tmp/stop" || exit 1
"$top/scripts/vm-suite.sh" 2 "$tmp/fake-tests" pass,fail,crash --stop >run.log 2>&1
rc=$?
if [ $rc != 0 ] && [ "$(tr '\n' ' ' <tests.picked)" = "passes fails crashes " ] &&
   [ "$(count passes ok)" = 1 ] && [ "$(count fails FAILED)" = 1 ] &&
   ! grep -q "test crashes" run.log && grep -q "stopped at the first failure" run.log; then
	ok "vm-suite: comma-separated filters pick their tests, --stop ends at the first failure"
else
	bad "vm-suite --stop: rc=$rc picked=$(cat tests.picked 2>/dev/null): $(cat run.log)"
fi
cd "$tmp" || exit 1

# vm-summary on a results dir: NAME RUNLOG_TESTS(name:verdict ...) PICKED(list) [key=value]
mkres() {
	local d=$tmp/$1; shift
	mkdir -p "$d"
	printf '%s\n' passes fails hangs crashes >"$d/tests.list"
	cp "$d/tests.list" "$d/tests.picked"
	: >"$d/run.log"
	echo 0 >"$d/run.rc"
	echo 0 >"$d/rmmod.rc"
	echo "2 scans" >"$d/kmemleak.scanned"
	echo "kmemleak: Kernel memory leak detector initialized" >"$d/dmesg.log"
	echo "CONFIG_DEBUG_KMEMLEAK=y" >"$d/config"
	echo "$d"
}
verdicts() { local d=$1; shift; for v in "$@"; do echo "test ${v%%:*} ... ${v#*:}" >>"$d/run.log"; done; }
summary() { local d=$1 vm=${2:-0}; "$top/scripts/vm-summary.sh" "$d" "$d/config" "$vm" 2>&1; }

d=$(mkres allpass); verdicts "$d" passes:ok fails:ok hangs:ok crashes:ok
out=$(summary "$d"); rc=$?
[ $rc = 0 ] && echo "$out" | grep -qx "4 passed, 0 failed" && echo "$out" | grep -q "kmemleak: 2 scans" &&
	ok "vm-summary: all ran and passed, kmemleak scanned: exit 0" || bad "all pass: rc=$rc: $out"

d=$(mkres missing); verdicts "$d" passes:ok fails:ok
echo 137 >"$d/run.rc"
out=$(summary "$d"); rc=$?
[ $rc != 0 ] && echo "$out" | grep -q "never ran" && echo "$out" | grep -qx "  hangs" &&
	echo "$out" | grep -qx "  crashes" && echo "$out" | grep -qx "2 passed, 2 failed" &&
	ok "vm-summary: tests without a verdict are named and counted as failed" || bad "missing: rc=$rc: $out"

d=$(mkres filter); verdicts "$d" hangs:ok
echo hangs >"$d/tests.picked"
out=$(BPF_SKB_EXT_TEST_FILTER=han summary "$d"); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q "filter 'han': 1 of 4 tests picked" && echo "$out" | grep -qx "1 passed, 0 failed" &&
	ok "vm-summary: a filter is named, the tests it left out are not failures" || bad "filter: rc=$rc: $out"

d=$(mkres rmmod); verdicts "$d" passes:ok fails:ok hangs:ok crashes:ok
echo 1 >"$d/rmmod.rc"; echo "rmmod: ERROR: Module rust_bpf_skb_ext is in use" >"$d/rmmod.log"
out=$(summary "$d"); rc=$?
[ $rc != 0 ] && echo "$out" | grep -q "rmmod rust_bpf_skb_ext failed.*in use" && ! echo "$out" | grep -qx "4 passed, 0 failed" &&
	ok "vm-summary: a failing rmmod fails the run" || bad "rmmod: rc=$rc: $out"

d=$(mkres noscan); verdicts "$d" passes:ok fails:ok hangs:ok crashes:ok
rm "$d/kmemleak.scanned"
out=$(summary "$d"); rc=$?
d2=$(mkres disabled); verdicts "$d2" passes:ok fails:ok hangs:ok crashes:ok
echo "kmemleak: Kernel memory leak detector disabled" >>"$d2/dmesg.log"
out2=$(summary "$d2"); rc2=$?
[ $rc != 0 ] && [ $rc2 != 0 ] && echo "$out$out2" | grep -q "kmemleak did not scan" &&
	ok "vm-summary: kmemleak that did not scan, or was disabled, fails the run" || bad "kmemleak: rc=$rc/$rc2: $out $out2"

d=$(mkres nokmemleak); verdicts "$d" passes:ok fails:ok hangs:ok crashes:ok
: >"$d/config"
out=$(summary "$d"); rc=$?
out2=$(BPF_SKB_EXT_NO_LEAK_CHECK=1 summary "$d"); rc2=$?
[ $rc != 0 ] && echo "$out" | grep -q "no leak check ran" && [ $rc2 = 0 ] &&
	ok "vm-summary: a kernel without kmemleak fails unless BPF_SKB_EXT_NO_LEAK_CHECK=1" || bad "no kmemleak: rc=$rc/$rc2: $out"

d=$(mkres vmfail); verdicts "$d" passes:ok fails:ok hangs:ok crashes:ok
out=$(summary "$d" 1); rc=$?
[ $rc != 0 ] && echo "$out" | grep -qx "4 passed, 1 failed" &&
	ok "vm-summary: a failed VM (panic, hang, splat) never reads '0 failed'" || bad "vm failed: rc=$rc: $out"

exit $status
