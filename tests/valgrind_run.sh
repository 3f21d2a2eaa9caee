#!/bin/sh
# valgrind_run.sh — run one command line of a convblocks tool under valgrind.
#
#   tests/valgrind_run.sh WORKDIR EXPECTED_EXIT PROGRAM ARGS...
#
# Runs PROGRAM ARGS in a fresh WORKDIR (relative output paths land there)
# under memcheck with full leak checking, and fails unless:
#   - valgrind reports no error and no definite or indirect leak (such a
#     report exits 99, kept apart from the tool's own 0/1/2; "possibly lost"
#     blocks of libgomp's idle thread pool are not leaks of ours);
#   - the tool exits with EXPECTED_EXIT;
#   - on failure (exit 1 or 2) it printed exactly one line, "<prog>: ...",
#     and left no file behind in WORKDIR;
#   - no temporary "*.tmp.*" file is left in WORKDIR either way.
set -u
[ $# -ge 3 ] || { echo "usage: valgrind_run.sh WORKDIR EXPECTED_EXIT PROGRAM ARGS..." >&2; exit 2; }
work=$1 expect=$2
shift 2
rm -rf "$work" && mkdir -p "$work/out" || exit 1
prog=$(basename "$1")
cmdline="$*"
cd "$work/out" || exit 1
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect \
    --log-file="$work/valgrind.log" "$@" >"$work/stdout" 2>"$work/stderr"
rc=$?
fail() {
    echo "valgrind_run.sh: $*" >&2
    echo "--- command: $cmdline"; echo "--- stderr:"; cat "$work/stderr"; echo "--- valgrind:"; cat "$work/valgrind.log"
    exit 1
}
[ $rc -ne 99 ] || fail "valgrind found errors or leaks"
[ -s "$work/valgrind.log" ] && fail "valgrind printed a report"
[ $rc -eq "$expect" ] || fail "exit $rc, expected $expect"
leftovers=$(find "$work/out" -name '*.tmp.*')
[ -z "$leftovers" ] || fail "temporary files left: $leftovers"
if [ "$expect" -ne 0 ]; then
    lines=$(wc -l <"$work/stderr")
    [ "$lines" -eq 1 ] || fail "expected one line on stderr, got $lines"
    grep -q "^$prog: " "$work/stderr" || fail "stderr does not start with '$prog: '"
    [ -z "$(ls -A "$work/out")" ] || fail "a failed run left files: $(ls -A "$work/out")"
fi
echo "exit $rc as expected; $(head -c 300 "$work/stderr")"
exit 0
