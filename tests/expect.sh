# expect.sh — the harness the command-line tests share (sourced, not run).
#   . expect.sh; ... expect CODE NAME -- command...; ... finish
# Needs $T (a scratch directory). `expect` checks the exit code; for a
# failure, that stderr is exactly one "<prog>: " line and that no $T/out.npy
# (or temporary of it) was left behind.
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

expect() {
    code=$1 name=$2
    shift 3
    rm -f "$T/out.npy" "$T/err"
    "$@" >"$T/stdout" 2>"$T/err"
    got=$?
    if [ "$got" -ne "$code" ]; then bad "$name: exit $got, expected $code: $(head -c 300 "$T/err")"; return; fi
    if [ "$code" -ne 0 ]; then
        if [ "$(wc -l <"$T/err")" -ne 1 ] || ! grep -q '^convblocks: ' "$T/err"; then
            bad "$name: stderr is not one 'convblocks:' line: $(cat "$T/err")"; return
        fi
        if ls "$T"/out.npy* >/dev/null 2>&1; then bad "$name: left an output file"; return; fi
    fi
    ok
}

# The closing line CTest and CI read; exit status 0 only if nothing failed.
finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
