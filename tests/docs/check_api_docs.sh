#!/usr/bin/env bash
# The API reference builds and every public symbol has a doc comment: Doxygen
# over the public headers (cmake/docs.cmake) must warn about nothing.
# Usage: check_api_docs.sh DOXYGEN OUT_DIR   (OUT_DIR holds the configured Doxyfile)
set -euo pipefail
DOXYGEN=$1
OUT=$2
rm -rf "$OUT/html" "$OUT/warnings.log"
(cd "$OUT" && "$DOXYGEN" Doxyfile)
[[ -f "$OUT/html/index.html" ]] || { echo "FAIL: no $OUT/html/index.html"; exit 1; }
n=$(grep -c "warning:" "$OUT/warnings.log" || true)
if ((n > 0)); then
    cat "$OUT/warnings.log"
    echo "FAIL: $n Doxygen warnings (undocumented public symbols or doc errors) in the public headers"
    exit 1
fi
echo "OK: the API reference has no warnings"
