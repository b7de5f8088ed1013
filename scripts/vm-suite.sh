#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM: every test of the suite binary in a process of its
# own, under a timeout of its own, so that a hung test fails by name and the
# others still run. Prints libtest's own "test NAME ... ok|FAILED" lines;
# a test that timed out or died without a verdict gets a FAILED line here.
# The full list of tests goes to tests.list and the ones picked by FILTER to
# tests.picked (both in the working directory, the shared results dir), so
# that the host can name every test that never ran.
#
#   vm-suite.sh PER_TEST_TIMEOUT BINARY [FILTER[,FILTER...]] [--stop]
#
# FILTER picks the tests whose names contain it (several: comma-separated);
# --stop ends the run at the first failure (make mutate: one failure kills
# a mutant, the rest is not needed).
set -u
limit=$1 bin=$2 filter= stop=
shift 2
for a in "$@"; do
	case "$a" in
	--stop) stop=1 ;;
	*) filter=$a ;;
	esac
done
# Each test starts the binary afresh: from guest memory, not over 9p.
copy=$(mktemp -d) && cp "$bin" "$copy/" && bin=$copy/$(basename "$bin")

list() {
	"$bin" --list --include-ignored "$@" | sed -n 's/: test$//p'
}
list >tests.list || { echo "cannot list the tests of $bin"; exit 1; }
if [ -n "$filter" ]; then
	for f in ${filter//,/ }; do list "$f"; done | awk '!seen[$0]++' >tests.picked
else
	cp tests.list tests.picked
fi
echo "running $(wc -l <tests.picked) of $(wc -l <tests.list) tests, ${limit} s each at most"
failed=0
one=$(mktemp)
while read -r t; do
	start=$(date +%s)
	timeout -k 5 "$limit" "$bin" --exact "$t" --include-ignored --test-threads=1 >"$one" 2>&1
	rc=$?
	cat "$one"
	# a test killed mid-line leaves "test NAME ... " without a newline
	[ -z "$(tail -c1 "$one")" ] || echo
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "test $t ... FAILED"
		echo "($t: no verdict after ${limit} s, killed)"
	elif ! grep -qxE "test $t \.\.\. (ok|FAILED)" "$one"; then
		echo "test $t ... FAILED"
		echo "($t: exited $rc without a verdict)"
	fi
	[ "$rc" = 0 ] || failed=1
	echo "($t: $(($(date +%s) - start)) s)"
	if [ -n "$stop" ] && [ "$failed" = 1 ]; then
		echo "(stopped at the first failure: --stop)"
		break
	fi
done <tests.picked
rm -rf "$one" "$copy"
exit $failed
