#!/usr/bin/env bash
# A benchmark tree made by gpg the way StageX's sign.sh makes it: the payload piped to
# `gpg --sign --no-armor` (a compressed signed message), by two RSA-4096 and two Ed25519
# maintainers, each digest signed by one of each kind. Used by scripts/bench.sh.
#
#   scripts/bench-gpgtree.sh QUORATE DIR SIGNATURES SEED
set -euo pipefail
quorate=$1 dir=$2 signatures=$3 seed=$4
mkdir -p "$dir/keyring" "$dir/digests" "$dir/signatures"
home=$(mktemp -d /tmp/quorate-gpgtree.XXXXXX)
chmod 700 "$home"
trap 'gpgconf --homedir "$home" --kill all 2>/dev/null || true; rm -rf "$home"' EXIT
g() { gpg --homedir "$home" --batch --quiet --pinentry-mode loopback --passphrase '' "$@"; }

names=(rsa1 rsa2 ed1 ed2)
fprs=()
: > "$dir/MAINTAINERS"
for name in "${names[@]}"; do
  case $name in rsa*) algo=rsa4096 ;; *) algo=ed25519 ;; esac
  g --quick-gen-key "$name <$name@bench.invalid>" "$algo" sign,cert 2y 2>/dev/null
  fpr=$(g --with-colons --list-keys "$name@bench.invalid" | awk -F: '/^fpr/ {print $10; exit}')
  fprs+=("$fpr")
  g --armor --export "$fpr" > "$dir/keyring/$name.asc"
  printf '[people.%s]\nname = "%s"\n[keys.%s.bench]\nid = "%s"\n' "$name" "$name" "$name" "$fpr" >> "$dir/MAINTAINERS"
done

digests=$((signatures / 2))
: > "$dir/digests/user.txt"
for i in $(seq 0 $((digests - 1))); do
  hex=$(printf '%s/%s' "$seed" "$i" | sha256sum | cut -d' ' -f1)
  pkg=$(printf 'user-pkg%06d' "$i")
  echo "$hex $pkg" >> "$dir/digests/user.txt"
  image="$dir/signatures/stagex/$pkg@sha256=$hex"
  mkdir -p "$image"
  n=1
  for signer in "${fprs[$((i % 2))]}" "${fprs[$((2 + i % 2))]}"; do
    "$quorate" payload "docker.io/stagex/$pkg:bench@sha256:$hex" |
      g --sign --no-armor --local-user "$signer" > "$image/signature-$n"
    n=$((n + 1))
  done
done
