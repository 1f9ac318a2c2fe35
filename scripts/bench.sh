#!/usr/bin/env bash
# The benchmark: one command, figures side by side, written to docs/benchmarks.md.
#
#   scripts/bench.sh            # the 10,000-signature tree and the 100,000-signature tree
#   QUICK=1 scripts/bench.sh    # the 10,000 tree only, gpg/sq loops on 1,000 files (a smoke run)
#
# Needs gpg and sq (Debian's sq) for the loops; each is skipped, and said so, when missing.
# Then scripts/bench-podman.sh appends the pull-time figures (podman, skopeo, docker-registry).
set -euo pipefail
cd "$(dirname "$0")/.."
# The baseline rows run without a backtrace setting; one row sets RUST_BACKTRACE=1 on purpose.
unset RUST_BACKTRACE RUST_LIB_BACKTRACE
root=$(pwd)
seed=${SEED:-quorate-bench-1}
threads=$(nproc)
work=$(mktemp -d /tmp/quorate-bench.XXXXXX)
trap 'rm -rf "$work"; gpgconf --homedir "$work/gnupg" --kill all 2>/dev/null || true' EXIT

cargo build --release --quiet --bin quorate --example benchtree
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
quorate="$root/target/release/quorate"
benchtree="$root/target/release/examples/benchtree"

# seconds, wall clock, of a command (its output discarded)
timed() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); printf '%.3f' "$(echo "$e - $s" | bc)"; }
# "seconds peak_kb" via GNU time
measured() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1; }
group() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
ratio() { printf '%.1f' "$(echo "scale=3; $1 / $2" | bc)"; }
ratio2() { printf '%.2f' "$(echo "scale=4; $1 / $2" | bc)"; }
lesser() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 < b + 0) ? a : b }'; }
# "met" when FIGURE OP TARGET holds (OP is <= or >=), else "**missed**": each target row says which.
verdict() { awk -v f="$1" -v op="$2" -v t="$3" 'BEGIN { ok = (op == "<=") ? (f + 0 <= t + 0) : (f + 0 >= t + 0); print ok ? "met" : "**missed**" }'; }
# The best of N runs of a command (seconds, wall clock).
best() { local n=$1 b=999999 s; shift; for _ in $(seq "$n"); do s=$(timed "$@"); b=$(lesser "$b" "$s"); done; echo "$b"; }
# "plain with_backtrace": the best of N runs of a command each way, alternated, so that both see the
# same load; RUST_BACKTRACE=1 only in the second.
backtrace_pair() {
  local n=$1 plain=999999 bt=999999 s; shift
  for _ in $(seq "$n"); do
    s=$(timed "$@"); plain=$(lesser "$plain" "$s")
    s=$(RUST_BACKTRACE=1 timed "$@"); bt=$(lesser "$bt" "$s")
  done
  echo "$plain $bt"
}

# BENCH_CACHE=DIR keeps the generated trees there and reuses them (same seed, same shape).
gen() {
  if [ -n "${BENCH_CACHE:-}" ] && [ -d "$BENCH_CACHE/$1" ]; then
    cp -r "$BENCH_CACHE/$1" "$work/$1"
  else
    "$benchtree" gen "$work/$1" "$2" "$seed"
    if [ -n "${BENCH_CACHE:-}" ]; then mkdir -p "$BENCH_CACHE"; cp -r "$work/$1" "$BENCH_CACHE/$1"; fi
  fi
}

# Commits the tree in DIR once and packs it, as a clone holds it (and so no background gc runs
# while the figures are taken).
commit_tree() { (cd "$1" && git init -q && git add -A && git -c gc.auto=0 -c user.name=bench -c user.email=bench@invalid commit -qm tree && git repack -adq); }

echo "== the 10,000-signature tree (seed $seed)"
gen t10k 10000
commit_tree "$work/t10k"
(cd "$work/t10k" && find signatures -name 'signature-*' | sort) > "$work/files.txt"
count=$(wc -l < "$work/files.txt")

cd "$work/t10k"
"$quorate" gate --release >/dev/null   # warm the page cache
read -r _ gate_kb < <(measured "$quorate" gate --release)
read -r _ gate_at_kb < <(measured "$quorate" gate --release --at HEAD)
read -r gate_s gate_bt_s < <(backtrace_pair 3 "$quorate" gate --release)
gate_at_s=$(best 3 "$quorate" gate --release --at HEAD)
audit_git_s=$(best 3 "$quorate" audit)
audit_at_s=$(best 3 "$quorate" audit --at HEAD)
mv .git .git.off
audit_nogit_s=$(timed "$quorate" audit)
mv .git.off .git
floor_s=$("$benchtree" floor . "$threads")
IFS=$'\t' read -r raw_s raw_each < <("$benchtree" rawfloor . "$threads")

loop_n=$count
[ -n "${QUICK:-}" ] && loop_n=1000
sed -n "1,${loop_n}p" "$work/files.txt" > "$work/sample.txt"
if command -v gpg >/dev/null; then
  mkdir -m 700 "$work/gnupg"
  gpg --homedir "$work/gnupg" --batch --quiet --import keyring/*.asc 2>/dev/null
  gpg_s=$(timed bash -c "while read -r f; do gpg --homedir '$work/gnupg' --batch --verify \"\$f\" 2>/dev/null; done < '$work/sample.txt'")
  gpg_10k=$(printf '%.1f' "$(echo "scale=3; $gpg_s * $count / $loop_n" | bc)")
else
  echo "SKIPPED: gpg is not installed"; gpg_s=; gpg_10k=
fi
if command -v sq >/dev/null; then
  certs=$(for c in keyring/*.asc; do printf -- '--signer-cert %s ' "$c"; done)
  sq_s=$(timed bash -c "while read -r f; do sq verify $certs \"\$f\" >/dev/null 2>&1; done < '$work/sample.txt'")
  sq_10k=$(printf '%.1f' "$(echo "scale=3; $sq_s * $count / $loop_n" | bc)")
else
  echo "SKIPPED: sq is not installed"; sq_s=; sq_10k=
fi
cd "$root"

# The tree gpg makes, as StageX's sign.sh makes it (compressed signed messages, RSA-4096 and
# Ed25519 keys of gpg's own making): what real trees hold.
gpg_n=${GPG_SIGNATURES:-1200}
gpg_rows="| gpg-made tree | skipped: gpg is not installed | | |"
if command -v gpg >/dev/null; then
  echo "== the gpg-made tree ($gpg_n signatures)"
  if [ -n "${BENCH_CACHE:-}" ] && [ -d "$BENCH_CACHE/gpg$gpg_n" ]; then
    cp -r "$BENCH_CACHE/gpg$gpg_n" "$work/tg"
  else
    scripts/bench-gpgtree.sh "$quorate" "$work/tg" "$gpg_n" "$seed"
    if [ -n "${BENCH_CACHE:-}" ]; then mkdir -p "$BENCH_CACHE"; cp -r "$work/tg" "$BENCH_CACHE/gpg$gpg_n"; fi
  fi
  commit_tree "$work/tg"
  cd "$work/tg"
  "$quorate" gate --release >/dev/null
  read -r g_gate_s g_bt_s < <(backtrace_pair 5 "$quorate" gate --release)
  g_at_s=$(best 5 "$quorate" gate --release --at HEAD)
  g_floor_s=$("$benchtree" floor . "$threads")
  IFS=$'\t' read -r g_raw_s g_raw_each < <("$benchtree" rawfloor . "$threads")
  g_audit_s=$(best 5 "$quorate" audit)
  mkdir -m 700 "$work/gnupg-g"
  gpg --homedir "$work/gnupg-g" --batch --quiet --import keyring/*.asc 2>/dev/null
  find signatures -name 'signature-*' | sort > "$work/gfiles.txt"
  g_loop_s=$(timed bash -c "while read -r f; do gpg --homedir '$work/gnupg-g' --batch --verify \"\$f\" 2>/dev/null; done < '$work/gfiles.txt'")
  cd "$root"
  g_gate_raw=$(ratio2 "$g_gate_s" "$g_raw_s") g_audit_raw=$(ratio2 "$g_audit_s" "$g_raw_s")
  g_gate_loop=$(ratio "$g_loop_s" "$g_gate_s") g_audit_loop=$(ratio "$g_loop_s" "$g_audit_s")
  gpg_rows="| \`quorate gate --release\`, gpg-made tree ($gpg_n) | $g_gate_s s | 1 | $g_gate_raw× the raw floor, target within 1.5×: $(verdict "$g_gate_raw" "<=" 1.5); $g_gate_loop× faster than the gpg loop, target ≥ 50×: $(verdict "$g_gate_loop" ">=" 50) |
| same, \`RUST_BACKTRACE=1\` | $g_bt_s s | $(ratio2 "$g_bt_s" "$g_gate_s") | target: within 10%: $(verdict "$(ratio2 "$g_bt_s" "$g_gate_s")" "<=" 1.10) |
| same, \`--at HEAD\` | $g_at_s s | $(ratio2 "$g_at_s" "$g_gate_s") | target: within 1.3×: $(verdict "$(ratio2 "$g_at_s" "$g_gate_s")" "<=" 1.3) |
| \`quorate audit\`, gpg-made tree | $g_audit_s s | $(ratio2 "$g_audit_s" "$g_gate_s") | $g_audit_raw× the raw floor, target within 1.5×: $(verdict "$g_audit_raw" "<=" 1.5); $g_audit_loop× faster than the gpg loop, target ≥ 50×: $(verdict "$g_audit_loop" ">=" 50) |
| floor, gpg-made tree ($threads threads) | $g_floor_s s | $(ratio2 "$g_floor_s" "$g_gate_s") | gate is $(ratio2 "$g_gate_s" "$g_floor_s")× the floor |
| raw floor, gpg-made tree: OpenSSL alone ($threads threads) | $g_raw_s s | $(ratio2 "$g_raw_s" "$g_gate_s") | one thread: $g_raw_each; $(ratio "$g_loop_s" "$g_raw_s")× faster than the gpg loop |
| \`gpg --verify\` loop, gpg-made tree | $g_loop_s s | $(ratio "$g_loop_s" "$g_gate_s") | $(echo "scale=2; $g_loop_s * 1000 / $gpg_n" | bc) ms a file |"
fi

# One image, start to finish, on the example workspace: the median of 21 runs.
one=()
for _ in $(seq 21); do
  s=$(date +%s%N)
  "$quorate" gate "stagex/pallet-rust:sx2026.11.0@sha256:2c2fd1e93843c5d2e48b71b976175fb848240eab0b10187f14a6c40ffe74578e" >/dev/null
  e=$(date +%s%N)
  one+=("$(( (e - s) / 1000 ))")
done
one_ms=$(printf '%s\n' "${one[@]}" | sort -n | sed -n 11p | awk '{printf "%.1f", $1 / 1000}')

big_rows="| 100,000 signatures | not run (QUICK=1) | | |"
if [ -z "${QUICK:-}" ]; then
  echo "== the 100,000-signature tree"
  gen t100k 100000
  commit_tree "$work/t100k"
  cd "$work/t100k"
  "$quorate" gate --release >/dev/null
  read -r big_s big_kb < <(measured "$quorate" gate --release)
  read -r big_at_s big_at_kb < <(measured "$quorate" gate --release --at HEAD)
  read -r big_plain_s big_bt_s < <(backtrace_pair 2 "$quorate" gate --release)
  read -r big_audit_s big_audit_kb < <(measured "$quorate" audit)
  read -r big_audit_at_s big_audit_at_kb < <(measured "$quorate" audit --at HEAD)
  read -r _ big_json_kb < <(measured "$quorate" audit --json)
  read -r _ big_json_at_kb < <(measured "$quorate" audit --json --at HEAD)
  read -r _ big_html_kb < <(measured "$quorate" audit --html "$work/audit.html")
  read -r _ big_html_at_kb < <(measured "$quorate" audit --html "$work/audit-at.html" --at HEAD)
  big_floor_s=$("$benchtree" floor . "$threads")
  IFS=$'\t' read -r big_raw_s big_raw_each < <("$benchtree" rawfloor . "$threads")
  mb() { echo $(($1 / 1024)); }
  under200() { verdict "$(mb "$1")" "<=" 200; }
  big_rows="| \`quorate gate --release\`, 100,000 signatures | $big_s s | 1 | peak RSS $(mb "$big_kb") MB; targets: < 10 s: $(verdict "$big_s" "<=" 10), < 200 MB: $(under200 "$big_kb") |
| \`quorate gate --release --at HEAD\`, 100,000 | $big_at_s s | $(ratio2 "$big_at_s" "$big_s") | peak RSS $(mb "$big_at_kb") MB; targets: < 10 s: $(verdict "$big_at_s" "<=" 10), < 200 MB: $(under200 "$big_at_kb"), within 1.3×: $(verdict "$(ratio2 "$big_at_s" "$big_s")" "<=" 1.3) |
| same as the first, \`RUST_BACKTRACE=1\` | $big_bt_s s | $(ratio2 "$big_bt_s" "$big_plain_s") (against $big_plain_s s, best of 2 each, alternated) | target: within 10%: $(verdict "$(ratio2 "$big_bt_s" "$big_plain_s")" "<=" 1.10) |
| \`quorate audit\`, 100,000 | $big_audit_s s | $(ratio2 "$big_audit_s" "$big_s") | peak RSS $(mb "$big_audit_kb") MB; target < 200 MB: $(under200 "$big_audit_kb") |
| \`quorate audit --at HEAD\`, 100,000 | $big_audit_at_s s | $(ratio2 "$big_audit_at_s" "$big_s") | peak RSS $(mb "$big_audit_at_kb") MB; target < 200 MB: $(under200 "$big_audit_at_kb"); $(ratio2 "$big_audit_at_s" "$big_audit_s")× audit, target within 1.5×: $(verdict "$(ratio2 "$big_audit_at_s" "$big_audit_s")" "<=" 1.5) |
| \`quorate audit --json\`, 100,000 | | | peak RSS $(mb "$big_json_kb") MB, \`--at HEAD\` $(mb "$big_json_at_kb") MB; target < 200 MB: $(under200 "$big_json_kb"), $(under200 "$big_json_at_kb") |
| \`quorate audit --html FILE\`, 100,000 | | | peak RSS $(mb "$big_html_kb") MB, \`--at HEAD\` $(mb "$big_html_at_kb") MB; target < 200 MB: $(under200 "$big_html_kb"), $(under200 "$big_html_at_kb"); the page $(( $(stat -c %s "$work/audit.html") / 1048576 )) MiB |
| floor, 100,000 ($threads threads) | $big_floor_s s | $(ratio2 "$big_floor_s" "$big_s") | gate is $(ratio2 "$big_s" "$big_floor_s")× the floor |
| raw floor, 100,000: OpenSSL alone ($threads threads) | $big_raw_s s | $(ratio2 "$big_raw_s" "$big_s") | gate is $(ratio2 "$big_s" "$big_raw_s")× it, audit $(ratio2 "$big_audit_s" "$big_raw_s")×; one thread: $big_raw_each |"
  cd "$root"
fi

# The most expensive signature files under 4 MiB that could be built (benchtree worst): each
# verified in-process, the best of five; the slowest is the row, all of them the list below it.
"$benchtree" worst "$work/worst" > "$work/worst.tsv"
IFS=$'\t' read -r worst_name worst_size worst_ms worst_verdict worst_what < "$work/worst.tsv"
worst_list=$(awk -F'\t' '{ printf "| %s | %s bytes | %s ms | `%s` |\n", $5, $2, $3, $4 }' "$work/worst.tsv")
read -r worst_proc_s _ < <(measured "$quorate" --workspace "$work/worst" verify "stagex/$worst_name:bench@sha256:$(printf worst | sha256sum | cut -c1-64)")

machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
cat > docs/benchmarks.md <<EOF
# Benchmarks

Measured by \`scripts/bench.sh\` on $(date -u +%Y-%m-%d) ($machine), release build, warm page cache;
load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end of these rows. A target row
says "met" or "**missed**" of its own figure; [performance.md](performance.md) keeps what was measured by
hand on the way here (what was slow, why, what changed) and explains the targets missed.
The tree: $count signatures = $((count / 2)) digests × 2 maintainers, one RSA-4096 and one Ed25519 signature
per digest (four maintainers; the digests come from seed \`$seed\`, the keys are new each run).
$( [ -n "${QUICK:-}" ] && echo "QUICK run: the gpg and sq loops ran on $loop_n files and are scaled to $count." )

| what | time | vs quorate gate | note |
|---|---|---|---|
| \`quorate gate --release\` (all $count, $threads threads) | $gate_s s | 1 | peak RSS $((gate_kb / 1024)) MB; target < 1 s: $(verdict "$gate_s" "<=" 1) |
| \`quorate gate --release --at HEAD\` | $gate_at_s s | $(ratio2 "$gate_at_s" "$gate_s") | peak RSS $((gate_at_kb / 1024)) MB; target: within 1.3×: $(verdict "$(ratio2 "$gate_at_s" "$gate_s")" "<=" 1.3) |
| \`quorate gate --release\`, \`RUST_BACKTRACE=1\` | $gate_bt_s s | $(ratio2 "$gate_bt_s" "$gate_s") | target: within 10%: $(verdict "$(ratio2 "$gate_bt_s" "$gate_s")" "<=" 1.10) |
| \`quorate audit\` with git attribution | $audit_git_s s | $(ratio2 "$audit_git_s" "$gate_s") | one pass over history |
| \`quorate audit --at HEAD\` | $audit_at_s s | $(ratio2 "$audit_at_s" "$gate_s") | $(ratio2 "$audit_at_s" "$audit_git_s")× audit; target: within 1.5×: $(verdict "$(ratio2 "$audit_at_s" "$audit_git_s")" "<=" 1.5) |
| \`quorate audit\` without git | $audit_nogit_s s | $(ratio2 "$audit_nogit_s" "$gate_s") | |
| floor: the signature checks alone ($threads threads) | $floor_s s | $(ratio2 "$floor_s" "$gate_s") | quorate is $(ratio2 "$gate_s" "$floor_s")× the floor; target within 1.5×: $(verdict "$(ratio2 "$gate_s" "$floor_s")" "<=" 1.5) |
| raw floor: the public-key checks alone, OpenSSL ($threads threads) | $raw_s s | $(ratio2 "$raw_s" "$gate_s") | gate is $(ratio2 "$gate_s" "$raw_s")× it, audit $(ratio2 "$audit_git_s" "$raw_s")×; one thread: $raw_each |
| \`gpg --verify\` loop, one process per file | ${gpg_10k:-skipped} s | ${gpg_10k:+$(ratio "$gpg_10k" "$gate_s")} | |
| \`sq verify\` loop, one process per file | ${sq_10k:-skipped} s | ${sq_10k:+$(ratio "$sq_10k" "$gate_s")} | |
$gpg_rows
$big_rows
| \`quorate gate\` one image, process start to finish | $one_ms ms | | example workspace, median of 21; target < 20 ms |
| worst crafted signature file under 4 MiB | $worst_ms ms | | \`$worst_name\`, in-process; \`quorate verify\` of it, process start to finish: $worst_proc_s s |

How to read it: gate and audit verify on every core (rayon), read each certificate once and the tree
once; the floor is \`examples/benchtree.rs floor\`: the same files parsed and checked
cryptographically against their issuers with the same number of threads and nothing else (no policy,
no key validity, no payload, no tree); the raw floor is \`benchtree rawfloor\`: only the public-key
checks of the same files through OpenSSL (the payload and the signature packet's trailer hashed, the
issuer's key verifying), the files read and parsed before its clock starts: how far quorate is from
the hardware, not only from its own parser. \`cargo bench --bench verify_one\` times one signature's full
verification.

## Crafted files

\`benchtree worst\` builds the most expensive signature files under podman's 4 MiB it can: decompression
bombs of terabytes (a signed message, then padding packets, as repeated bzip2 blocks), streams of tiny or
empty compressed blocks, signatures with full subpacket areas, 4 MiB of padding or literal data. Each is
verified in-process (best of five); compressed data is held to 128 KiB in and out, so no file makes
quorate decode more than that, whatever it holds. (Before that budget, quorate decompressed a bomb to
its end: on 2026-11-23 the 128 KiB one, 91 GB of padding, was still being decompressed after two
minutes.)

| file | size | time | verdict |
|---|---|---|---|
$worst_list

## Where the time goes

$( [ -n "$gpg_10k" ] && echo "The gpg loop costs $(echo "scale=2; $gpg_10k * 1000 / $count" | bc) ms a file on the generated tree (process start, keyring
load, one check); the floor, the signature checks alone, is $(ratio "$gpg_10k" "$floor_s")× faster than that loop on $threads cores, so no verifier doing
the cryptography can be much more than that many times faster than gpg here." )
About 100 µs of CPU a signature goes to the public-key check itself (RSA-4096 and Ed25519 alike, OpenSSL
backend); parsing, key validity and the tree are the rest: quorate's own work on top of the cryptography
(policy, key validity at signing time and now, payload, tree, people) is $(ratio "$gate_s" "$floor_s")× the floor on the generated tree.
The 100,000-signature gate keeps only what it prints of each image once judged, so its memory follows the
output, not the tree; so does audit's (it hands each image on as judged, and the page keeps its row).

\`--at REV\` reads the same bytes from git's objects: each tree object of the revision is read from git
once and kept parsed (libgit2's own object cache is off, since it held a second copy of each small
tree; it caches no tree over 4 KiB anyway, and before that the directory of thousands of
image directories was inflated and SHA-1-checked again for every lookup: 85 s for the 10,000 gate),
and each signature's blob is inflated and hash-checked once per read. audit reads each file a second
time to attribute it (the blob id of its bytes), and \`--at\` pays one more inflate for that read.
audit's history walk (attribution, \`--history\`) diffs each commit against its parent over trees kept
parsed for two commits, so a tree a commit shares with its parent is read once; each commit's own
new trees (the image directories' directory is a new object in every commit that signs) are read
once each, which is git's storage, not quorate's: the walk costs about one inflate of that directory
per commit (the trees here hold one commit).

\`RUST_BACKTRACE=1\` costs nothing measurable any more: sequoia builds and drops an error when asked for
the revocation status of a certificate without a direct-key signature (every gpg-made one), and
under \`RUST_BACKTRACE=1\` that error captured a backtrace for every signature judged; quorate now asks
only when a self-revocation is there. What remains is the keyring's parse at start (once per
certificate).
EOF
cat docs/benchmarks.md

# What the quorum costs at pull time (podman with the generated policy); skipped without podman.
scripts/bench-podman.sh "$quorate" >> docs/benchmarks.md || echo "SKIPPED: the podman pull figures failed" >&2

# What a Sigstore vote costs to judge (cosign key with its SET; keyless with chain, SCT, SET).
scripts/bench-sigstore.sh "$quorate" >> docs/benchmarks.md || echo "SKIPPED: the Sigstore figures need a Python with cryptography and pynacl (QUORATE_SIGSTORE_PYTHON)" >&2

# Where gate and audit spend their instructions on the gpg-made tree, by phase (valgrind's
# callgrind: counts, not seconds, so a loaded machine gives the same figures).
if command -v valgrind >/dev/null && [ -d "$work/tg" ]; then
  (cd "$work/tg" && valgrind --tool=callgrind --toggle-collect='benchtree::RawCheck::verify' \
    --callgrind-out-file="$work/raw.callgrind" "$benchtree" rawfloor . 2 >/dev/null 2>&1)
  raw_floor_ir=$(( $(awk '/^summary:/ { print $2; exit }' "$work/raw.callgrind") / 2 ))
  {
    echo
    echo "## Where the instructions go: the gpg-made tree, by phase"
    echo
    echo "\`scripts/profile.sh QUORATE TREE ARGS\` (valgrind --tool=callgrind, both threads counted; a phase is"
    echo "the inclusive count of the functions doing it, so the indented rows are parts of the row above)."
    echo "The raw floor in instructions: \`valgrind --tool=callgrind --toggle-collect=benchtree::RawCheck::verify"
    echo "benchtree rawfloor TREE 2\`, which checks every file twice (once a thread per algorithm, once in"
    echo "parallel): $(group "$raw_floor_ir") instructions a pass over the $gpg_n files."
    echo
    RAW_FLOOR=$raw_floor_ir scripts/profile.sh "$quorate" "$work/tg" gate --release
    echo
    RAW_FLOOR=$raw_floor_ir scripts/profile.sh "$quorate" "$work/tg" audit
    echo
    echo "With \`RUST_BACKTRACE=1\`:"
    echo
    RAW_FLOOR=$raw_floor_ir RUST_BACKTRACE=1 scripts/profile.sh "$quorate" "$work/tg" gate --release
  } >> docs/benchmarks.md
else
  echo "SKIPPED: valgrind is not installed; no profile" >&2
fi
