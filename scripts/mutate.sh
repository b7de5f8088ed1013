#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make mutate: does the suite catch what it claims? Applies each one-line
# mutant of selftests/mutants to the kernel series (in the dev kernel tree)
# or to the Rust provider (rust/), rebuilds what changed, runs the tests
# the mutant names in the VM (stopping at the first failure), then, if it
# survived them, the whole suite, and reports killed or survived per
# mutant; one whose build or boot failed counts as neither. The sources are restored after each
# mutant, also when the run is interrupted; the last step rebuilds the
# unmutated kernel and module.
#
#   BPF_SKB_EXT_MUTANTS="name ..."   run only these (default: all)
#
# Report: $BPF_SKB_EXT_CACHE/results/mutate/report.txt; one log per mutant beside it.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

list="$BPF_SKB_EXT_TOP/selftests/mutants"
py="$BPF_SKB_EXT_TOP/scripts/mutate.py"
results="$BPF_SKB_EXT_CACHE/results/mutate"

git -C "$BPF_SKB_EXT_TOP" diff --quiet -- rust ||
	die "rust/ has uncommitted changes: mutants are applied to it and reverted with git"
export BPF_SKB_EXT_NO_RECORD=1	# one line for the whole run, not one per mutant
# The mutants' VM runs keep out of make vm-test's results dir (lib.sh: VM_RESULTS).
export BPF_SKB_EXT_VM_RESULTS=$BPF_SKB_EXT_CACHE/results/mutate-vm
lock_kernel_tree	# for the whole run: the mutants are edits of the tree
# The series, applied and built: the Makefile's prerequisites of make mutate.
git -C "$KSRC" diff --quiet || die "$KSRC has uncommitted changes"
python3 "$py" check "$list" "$KSRC" "$BPF_SKB_EXT_TOP" >&2 || die "fix selftests/mutants first"

mutated=
restore() {
	[ -n "$mutated" ] || return 0
	case "$mutated" in
	kernel:*) git -C "$KSRC" checkout -q -- "${mutated#kernel:}" ;;
	module:*) git -C "$BPF_SKB_EXT_TOP" checkout -q -- "${mutated#module:}" ;;
	esac
	mutated=
}
trap 'restore; exit 130' INT TERM
trap restore EXIT

rm -rf "$results"; mkdir -p "$results"
report="$results/report.txt"
names=${BPF_SKB_EXT_MUTANTS:-$(python3 "$py" list "$list")}
total=0 killed=0 survived=() infra=()
# A run that never got to test anything (the mutant did not build, the
# kernel did not boot) counts as neither killed nor survived.
infra_failure() {
	grep -qE 'kernel build failed|building selftests/ failed|module build failed|error: could not compile|the guest never listed the tests' "$1" ||
		! grep -q 'booting bzImage' "$1"
}
for name in $names; do
	IFS=$'\t' read -r side path tests < <(python3 "$py" show "$list" "$name") ||
		die "no mutant named $name"
	total=$((total + 1))
	start=$(date +%s)
	if [ "$side" = kernel ]; then root=$KSRC; else root=$BPF_SKB_EXT_TOP; fi
	python3 "$py" apply "$list" "$name" "$root" || die "mutant $name does not apply"
	mutated="$side:$path"
	log "mutant $total: $name ($path; tests: $tests)"
	# The mutant's build: the mutated checkout (BPF_SKB_EXT_TREE_AS_IS: patches/
	# is not re-applied), the module and the suite against it. Then its
	# named tests, stopping at the first failure, so that kills stay fast;
	# a survivor of those faces the whole suite.
	{ BPF_SKB_EXT_TREE_AS_IS=1 "$BPF_SKB_EXT_TOP/scripts/build-kernel.sh" &&
		"$BPF_SKB_EXT_TOP/scripts/build-module.sh" &&
		"$BPF_SKB_EXT_TOP/scripts/build-selftests.sh" >/dev/null &&
		BPF_SKB_EXT_TEST_FILTER="$tests" BPF_SKB_EXT_STOP_AT_FAILURE=1 "$BPF_SKB_EXT_TOP/scripts/vm-test.sh"
	} >"$results/$name.log" 2>&1
	rc=$?
	whole=
	if [ "$rc" = 0 ] && ! infra_failure "$results/$name.log"; then
		whole=" (whole suite)"
		BPF_SKB_EXT_STOP_AT_FAILURE=1 "$BPF_SKB_EXT_TOP/scripts/vm-test.sh" >>"$results/$name.log" 2>&1
		rc=$?
	fi
	restore
	secs=$(($(date +%s) - start))
	if infra_failure "$results/$name.log"; then
		verdict="NEITHER: the build or the boot failed"
		infra+=("$name")
	elif [ "$rc" = 0 ]; then
		verdict="SURVIVED$whole"
		survived+=("$name")
	else
		killed=$((killed + 1))
		by=$(grep -m1 -oE '^test [a-z0-9_:]+ \.\.\. FAILED' "$results/$name.log" |
			sed -E 's/^test ([a-z0-9_:]+) .*/\1/')
		if [ -z "$by" ]; then
			by=$(grep -m1 -E 'build failed|kernel console shows|panicked|hung|rmmod|kmemleak' \
				"$results/$name.log" || echo "the run failed")
		fi
		verdict="killed by $by"
	fi
	printf '%-40s %s (%d s)\n' "$name" "$verdict" "$secs" | tee -a "$report"
done

log "rebuilding the unmutated kernel and module"
BPF_SKB_EXT_TREE_AS_IS=1 "$BPF_SKB_EXT_TOP/scripts/build-kernel.sh" >&2 && "$BPF_SKB_EXT_TOP/scripts/build-module.sh" >&2 ||
	warn "the rebuild failed: run 'make kernel module' before the next run"

counted=$((total - ${#infra[@]}))
summary="$killed of $counted mutants killed ($((counted ? killed * 100 / counted : 0))%)"
[ ${#survived[@]} -eq 0 ] || summary="$summary; survived: ${survived[*]}"
[ ${#infra[@]} -eq 0 ] || summary="$summary; neither (build or boot failed): ${infra[*]}"
echo "$summary" | tee -a "$report"
BPF_SKB_EXT_NO_RECORD= record_result "make mutate${BPF_SKB_EXT_MUTANTS:+ BPF_SKB_EXT_MUTANTS=\"$BPF_SKB_EXT_MUTANTS\"}" "$summary"
[ ${#survived[@]} -eq 0 ]
