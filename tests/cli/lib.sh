# Shared by the tests/cli scripts (sourced): a temporary directory $T, failure
# counting, and checks of a command's exit status and messages.
set -u
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# `peso gpt train` caches tokenized data under $XDG_CACHE_HOME/peso: a test's cache is its own.
export XDG_CACHE_HOME="$T/xdg"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# ok DESCRIPTION -- COMMAND...: must exit 0 (stdout in $T/out, stderr in $T/err).
ok() {
    local what=$1; shift 2
    "$@" >"$T/out" 2>"$T/err" || { fail "$what: exit $?"; cat "$T/err"; }
}
# bad DESCRIPTION EXPECTED_STATUS TEXT -- COMMAND...: must exit with that status
# and print exactly one stderr line starting "peso: error:" containing TEXT.
bad() {
    local what=$1 status=$2 text=$3; shift 4
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    [ "$rc" = "$status" ] || fail "$what: exit $rc, expected $status"
    [ "$(wc -l <"$T/err")" = 1 ] || { fail "$what: stderr is not one line"; cat "$T/err"; }
    grep -qF -- "$text" "$T/err" && grep -q "^peso: error: " "$T/err" || { fail "$what: stderr lacks '$text'"; cat "$T/err"; }
}
# finish: the script's exit status.
finish() {
    if [ "$failures" -ne 0 ]; then
        echo "$failures failure(s)"
        exit 1
    fi
    echo "all checks passed"
}
