#!/usr/bin/env bash
# Where a quorate command spends its instructions, by phase: valgrind's callgrind counts them
# (repeatable on a shared machine, unlike wall time), every thread together; each phase is the
# inclusive count of the functions that do it. Prints a markdown table.
#
#   scripts/profile.sh QUORATE DIR ARGS...    # e.g. scripts/profile.sh target/release/quorate TREE gate --release
#
# Run with RUST_BACKTRACE=1 set to see what a backtrace setting costs; with RAW_FLOOR=N (the raw
# floor's instruction count on the same files) the table ends with the whole process against it.
set -euo pipefail
quorate=$(realpath "$1") dir=$2
shift 2
out=$(mktemp /tmp/quorate-callgrind.XXXXXX)
trap 'rm -f "$out"' EXIT
(cd "$dir" && valgrind --tool=callgrind --callgrind-out-file="$out" "$quorate" "$@" >/dev/null 2>&1) || true
table=$(callgrind_annotate --inclusive=yes --threshold=100 "$out" 2>/dev/null)
total=$(awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }' <<<"$table")
# the inclusive count of the first function whose name matches (the largest, the table is sorted)
of() { awk -v re="$1" '$0 ~ re { gsub(",", "", $1); print $1; exit }' <<<"$table" | grep . || echo 0; }
# 1234567 as 1,234,567 (printf's %'d needs a locale the machine may not have)
group() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
row() { printf '| %s | %s | %.1f%% |\n' "$1" "$(group "$2")" "$(echo "scale=3; 100 * $2 / $total" | bc)"; }
echo "| phase (\`quorate $*\`) | instructions | share |"
echo "|---|---|---|"
row "whole process" "$total"
row "process start (the dynamic loader, before main)" "$(of '_dl_start ')"
row "workspace load (MAINTAINERS, quorate.toml, the chain)" "$(of 'workspace::loaded::Workspace::load ')"
row "  of which the keyring's parse" "$(of 'keys::keyring::Keyring::load_dir ')"
row "judging every image (rayon, both threads)" "$(of 'judge::quorum::check_image(_with)? ')"
row "  reading the signature files" "$(of 'fs::source::Source>::read|Source::read_limited|fs::source::.*read ')"
row "  OpenPGP parsing (read_signed_message)" "$(of 'format::message::read_signed_message ')"
# verify_message when it is a function of its own, else (inlined) its digest check, nearly all of it
row "  the signature check (sequoia verify_message: hash + public key)" "$(of 'Signature>::verify_message |Signature>::verify_digest_internal ')"
row "    of which RSA's public-key operation (OpenSSL)" "$(of ':rsa_ossl_public_decrypt ')"
row "    of which Ed25519's (OpenSSL)" "$(of ':ossl_ed25519_verify ')"
row "  zeroed buffers (calloc: sequoia's decompressing reader)" "$(of 'malloc.c:calloc ')"
row "  key judging at signing time (state_at_signing)" "$(of 'KeyJudge::state_at_signing ')"
row "  key judging, all (KeyJudge::state, both moments)" "$(of 'KeyJudge::state ')"
row "  the payload (JSON)" "$(of 'format::payload::Payload::parse ')"
row "the git attribution walk (audit)" "$(of 'judge::history::attribute ')"
row "files the judging never read (over 128, links), read and judged as of their commit (audit)" "$(of 'ledger::audit::verdict_at ')"
row "backtrace capture (RUST_BACKTRACE)" "$(of 'std::backtrace::Backtrace::create ')"
# RAW_FLOOR=N (the raw floor's instructions on the same files): the whole process against it.
if [ -n "${RAW_FLOOR:-}" ]; then
  times=$(printf '%.2f' "$(echo "scale=4; $total / $RAW_FLOOR" | bc)")
  verdict=$(awk -v t="$times" 'BEGIN { print (t + 0 <= 1.5) ? "met" : "**missed**" }')
  printf '| **× the raw floor (%s)**, target within 1.5×: %s | **%s×** | |
' "$(group "$RAW_FLOOR")" "$verdict" "$times"
fi
