#!/usr/bin/env bash
# The cost of judging Sigstore votes: a tree of 1,000 images, each holding one cosign-key vote
# (with its Rekor SET) and one keyless vote (Fulcio leaf, SCT, SET), made by the independent
# fixture script (tests/support/sigstore/make.py), judged by `quorate audit`; the same tree without
# votes is the baseline. Prints a markdown section (bench.sh appends it to docs/benchmarks.md).
#
#   scripts/bench-sigstore.sh QUORATE_BINARY
#
# Needs a Python with cryptography and pynacl (QUORATE_SIGSTORE_PYTHON, else target/sigstore-venv).
set -euo pipefail
quorate=$(realpath "${1:?the quorate binary}")
python=${QUORATE_SIGSTORE_PYTHON:-target/sigstore-venv/bin/python}
images=${IMAGES:-1000}
work=$(mktemp -d /tmp/quorate-sigbench.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
hex=$(printf bench | sha256sum | cut -c1-64)
"$python" tests/support/sigstore/make.py "$work/world" "sha256:$hex" docker.io/stagex/bench >/dev/null

tree() { # DIR WITH_VOTES
  local ws=$1
  mkdir -p "$ws/keyring/cosign" "$ws/keyring/sigstore"
  cp "$work/world/trusted_root.json" "$ws/keyring/sigstore/trusted_root.json"
  cp "$work/world/people/alice/cosign.pub" "$ws/keyring/cosign/alice.pub"
  local id
  id=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['people']['alice']['key_id'])" "$work/world/manifest.json")
  cat > "$ws/MAINTAINERS" <<TOML
[people.alice]
[people.bob]
[keys.alice.cosign]
cosign = "cosign/alice.pub"
id = "$id"
[keys.bob.keyless]
oidc-issuer = "https://issuer.example.test"
subject = "bob@example.org"
TOML
  for i in $(seq "$images"); do
    local d
    d="$ws/signatures/stagex/bench@sha256=$(printf '%s%d' bench "$i" | sha256sum | cut -c1-64)"
    mkdir -p "$d"
    if [ "$2" = yes ]; then
      cp "$work/world/votes/legacy-alice-key-set.sig" "$d/signature-1"
      cp "$work/world/votes/legacy-bob-keyless.sig" "$d/signature-2"
    fi
  done
}
tree "$work/votes" yes
tree "$work/empty" no
best() { # the best of 3 runs of `quorate audit` in DIR, seconds
  local b=999 s e t
  for _ in 1 2 3; do
    s=$(date +%s.%N); (cd "$1" && "$quorate" audit >/dev/null 2>&1 || true); e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc); b=$(awk -v t="$t" -v b="$b" 'BEGIN { printf "%.3f", (t < b ? t : b) }')
  done
  echo "$b"
}
with=$(best "$work/votes")
without=$(best "$work/empty")
votes=$((images * 2))
per=$(echo "scale=1; ($with - $without) * 1000000 / $votes" | bc)
threads=$(nproc)
cat <<MD

## Sigstore votes

\`scripts/bench-sigstore.sh\`: $images images, each with one cosign-key vote (its Rekor SET checked) and one keyless
vote (the Fulcio chain at the log's time, the embedded SCT, the SET, the log body's binding), made by
\`tests/support/sigstore/make.py\`; \`quorate audit\` of the tree ($threads threads), best of 3, against the same tree
without votes.

| what | time | note |
|---|---|---|
| \`quorate audit\`, $votes Sigstore votes | $with s | |
| the same tree without votes | $without s | the walk, the workspace, process start |
| per vote, on $threads threads | $per µs | (with − without) / $votes |
MD
