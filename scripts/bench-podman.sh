#!/usr/bin/env bash
# What the quorum costs at pull time: `podman pull` by digest with the policy `quorate policy export`
# writes for 8 maintainers (k = 2: 8 signedBy, k = 3: 28) against StageX's single signedBy over the
# whole keyring, then for teams of 12 and 16 (PODMAN_TEAMS="8 12 16": C(M, k-1) signedBy each), the lookaside on file://, a registry on 127.0.0.1. Prints a markdown section on stdout
# (scripts/bench.sh includes it in docs/benchmarks.md). Needs podman, skopeo, docker-registry and gpg.
#
#   scripts/bench-podman.sh [QUORATE_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
quorate=${1:-$root/target/release/quorate}
runs=${PODMAN_RUNS:-7}
for tool in podman skopeo docker-registry gpg; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIPPED: $tool is not installed; no pull-time figures" >&2
    exit 0
  fi
done
work=$(mktemp -d /tmp/quorate-bench-podman.XXXXXX)
cleanup() {
  [ -n "${registry_pid:-}" ] && kill "$registry_pid" 2>/dev/null || true
  gpgconf --homedir "$work/gnupg" --kill all 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A registry on a free port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/registry.yml" <<EOF
version: 0.1
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
log:
  level: error
EOF
docker-registry serve "$work/registry.yml" >/dev/null 2>&1 &
registry_pid=$!
for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

# A one-layer image, pushed; the digest to sign is the one the registry serves.
mkdir -p "$work/rootfs" "$work/oci/blobs/sha256"
head -c 1048576 /dev/urandom > "$work/rootfs/data"
tar -cf "$work/layer.tar" -C "$work/rootfs" .
blob() { local h; h=$(sha256sum "$1" | cut -d' ' -f1); cp "$1" "$work/oci/blobs/sha256/$h"; echo "$h"; }
layer=$(blob "$work/layer.tar")
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"config":{}}' "$layer" > "$work/config.json"
config=$(blob "$work/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%d}]}' \
  "$config" "$(stat -c %s "$work/config.json")" "$layer" "$(stat -c %s "$work/layer.tar")" > "$work/manifest.json"
manifest=$(blob "$work/manifest.json")
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"annotations":{"org.opencontainers.image.ref.name":"1.0"}}]}' \
  "$manifest" "$(stat -c %s "$work/manifest.json")" > "$work/oci/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' > "$work/oci/oci-layout"
image="127.0.0.1:$port/stagex/bench"
skopeo copy --quiet --dest-tls-verify=false "oci:$work/oci:1.0" "docker://$image:1.0"
digest=$(skopeo inspect --raw --tls-verify=false "docker://$image:1.0" | sha256sum | cut -d' ' -f1)

# Sixteen maintainers with Ed25519 keys; a team of M is the first M of them, and the first three
# sign, in each team's own workspace. M = 8 is the team the main table is measured with.
teams=(${PODMAN_TEAMS:-8 12 16})
mkdir -p "$work/gnupg" "$work/keys"
chmod 700 "$work/gnupg"
export GNUPGHOME="$work/gnupg"
fprs=()
for i in $(seq "${teams[-1]}"); do
  gpg --batch --quiet --passphrase '' --quick-gen-key "m$i <m$i@example.org>" ed25519 sign,cert never 2>/dev/null
  fpr=$(gpg --with-colons --list-keys "m$i@example.org" 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
  gpg --armor --export "$fpr" 2>/dev/null > "$work/keys/m$i.asc"
  fprs+=("$fpr")
done
scope="127.0.0.1:$port/stagex"
for m in "${teams[@]}"; do
  ws="$work/ws$m"
  mkdir -p "$ws/keyring"
  : > "$ws/MAINTAINERS"
  for i in $(seq "$m"); do
    cp "$work/keys/m$i.asc" "$ws/keyring/"
    printf '[people.m%s]\nname = "M%s"\n[keys.m%s.main]\nid = "%s"\n' "$i" "$i" "$i" "${fprs[$((i - 1))]}" >> "$ws/MAINTAINERS"
  done
  (cd "$ws" && git init -q)
  for fpr in "${fprs[@]:0:3}"; do
    (cd "$ws" && "$quorate" sign --no-rebuild --no-commit --gpg --signer "$fpr" "$image:1.0@sha256:$digest" >/dev/null)
  done
  for k in 2 3; do
    (cd "$ws" && "$quorate" policy export -o "$work/m${m}k$k" --scope "$scope" --lookaside "file://$ws/signatures" --threshold "$k" >/dev/null)
  done
done
ws="$work/ws8"
lookaside="file://$ws/signatures"
mv "$work/m8k2" "$work/k2"
mv "$work/m8k3" "$work/k3"
(cd "$ws" && "$quorate" keyring export -o "$work/keyring.pgp" >/dev/null)
mkdir -p "$work/single/registries.d"
cp "$work/k2/registries.d/quorate.yaml" "$work/single/registries.d/"
printf '{"default":[{"type":"reject"}],"transports":{"docker":{"%s":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"%s","signedIdentity":{"type":"matchRepoDigestOrExact"}}]}}}\n' \
  "$scope" "$work/keyring.pgp" > "$work/single/policy.json"
mkdir -p "$work/open/registries.d"
printf '{"default":[{"type":"reject"}],"transports":{"docker":{"%s":[{"type":"insecureAcceptAnything"}]}}}\n' "$scope" > "$work/open/policy.json"

# The median of $runs pulls, each into an empty vfs storage (nothing cached), in milliseconds.
pull_ms() {
  local dir=$1 times=() i s e
  for i in $(seq "$runs"); do
    rm -rf "$work/p"; mkdir -p "$work/p/home/.config/containers/registries.d"
    cp "$dir"/registries.d/*.yaml "$work/p/home/.config/containers/registries.d/" 2>/dev/null || true
    s=$(date +%s%N)
    HOME="$work/p/home" podman --storage-driver vfs --root "$work/p/store" --runroot "$work/p/run" \
      pull --quiet --tls-verify=false --signature-policy "$dir/policy.json" "$image@sha256:$digest" >/dev/null 2>"$work/p.err" \
      || { echo "pull failed with $dir: $(cat "$work/p.err")" >&2; exit 1; }
    e=$(date +%s%N)
    times+=("$(( (e - s) / 1000000 ))")
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}
open_ms=$(pull_ms "$work/open")
single_ms=$(pull_ms "$work/single")
k2_ms=$(pull_ms "$work/k2")
k3_ms=$(pull_ms "$work/k3")
req() { python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['transports']['docker'][sys.argv[2]]))" "$1/policy.json" "$scope"; }
size() { echo $(( $(stat -c %s "$1/policy.json") / 1024 )); }

team_rows=""
for m in "${teams[@]}"; do
  for k in 2 3; do
    dir="$work/m${m}k$k"; [ "$m" = 8 ] && dir="$work/k$k"
    if [ "$m" = 8 ]; then ms=$([ "$k" = 2 ] && echo "$k2_ms" || echo "$k3_ms"); else ms=$(pull_ms "$dir"); fi
    team_rows+="| M = $m | $k | $(req "$dir") | $(size "$dir") KiB | $ms ms | $(printf '%.1f' "$(echo "scale=3; $ms / $single_ms" | bc)") |"$'\n'
  done
done
team_rows=${team_rows%$'\n'}
cat <<EOF
## At pull time: podman with the generated policy

\`scripts/bench-podman.sh\`: Debian's podman $(podman --version | awk '{print $3}') pulling a 1 MiB one-layer image by digest
from docker-registry on 127.0.0.1, into an empty vfs storage each time, the lookaside on \`file://\`; the image
carries 3 signatures of 8 maintainers (Ed25519). Median of $runs pulls.

| policy | requirements | policy.json | pull | vs one signedBy |
|---|---|---|---|---|
| \`insecureAcceptAnything\` (no signature checked) | 1 | $(size "$work/open") KiB | $open_ms ms | |
| one \`signedBy\`, the whole keyring (StageX's documented policy: 1 maintainer suffices) | 1 | $(size "$work/single") KiB (+ keyring file) | $single_ms ms | 1 |
| \`quorate policy export\`, k = 2 of 8 | $(req "$work/k2") | $(size "$work/k2") KiB | $k2_ms ms | $(printf '%.1f' "$(echo "scale=3; $k2_ms / $single_ms" | bc)") |
| \`quorate policy export\`, k = 3 of 8 | $(req "$work/k3") | $(size "$work/k3") KiB | $k3_ms ms | $(printf '%.1f' "$(echo "scale=3; $k3_ms / $single_ms" | bc)") |

Each \`signedBy\` imports its keyring into a temporary GnuPG home and checks the image's signatures against it,
so the cost grows with the number of requirements times the signatures served.

As the team grows (\`PODMAN_TEAMS\`, each a workspace of M maintainers of whom 3 sign; C(M, k−1) requirements):

| team | k | requirements | policy.json | pull | vs one signedBy |
|---|---|---|---|---|---|
$team_rows
EOF
