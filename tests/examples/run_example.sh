#!/usr/bin/env bash
# Runs one chapter program and checks what it learned.
#   run_example.sh PROGRAM OUT_DIR CHECK... -- ARG...
# Each CHECK is KEY>=VALUE or KEY<=VALUE against OUT_DIR/results.txt (written by
# examples/common/results.h), or file:NAME for a file the program must write.
set -euo pipefail
prog=$1 out=$2
shift 2
checks=()
while [[ $# -gt 0 && $1 != -- ]]; do checks+=("$1"); shift; done
[[ $# -gt 0 ]] && shift
rm -rf "$out"
"$prog" --out "$out" "$@"
status=0
for c in "${checks[@]}"; do
  if [[ $c == file:* ]]; then
    f=${c#file:}
    if [[ -s $out/$f ]]; then echo "ok   $f written"; else echo "FAIL $f missing"; status=1; fi
    continue
  fi
  if [[ $c =~ ^([A-Za-z0-9_.]+)(\>=|\<=)(.+)$ ]]; then
    key=${BASH_REMATCH[1]} op=${BASH_REMATCH[2]} want=${BASH_REMATCH[3]}
  else
    echo "bad check '$c'"; exit 2
  fi
  got=$(awk -v k="$key" '$1 == k {v = $2} END {print v}' "$out/results.txt")
  if [[ -z $got ]]; then echo "FAIL $key not in results.txt"; status=1; continue; fi
  if awk -v g="$got" -v w="$want" -v op="$op" 'BEGIN {exit !((op == ">=") ? g >= w : g <= w)}'; then
    echo "ok   $key = $got ($op $want)"
  else
    echo "FAIL $key = $got, wanted $op $want"; status=1
  fi
done
exit $status
