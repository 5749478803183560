#!/usr/bin/env bash
# `npm run container`: the lmlb image, FROM scratch (nothing to pull). Stages
# its whole filesystem in dist/container/ (the binary, the shared libraries
# ldd names: glibc's libc, libm, libpthread, libdl and the loader; /tmp and
# an empty /app), then builds the Containerfile as `lmlb`.
# CONTAINER_ENGINE: the engine command (default podman, else docker).
# Usage: bash scripts/container.sh [dist/lmlb]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-dist/lmlb}")
engine=${CONTAINER_ENGINE:-$(command -v podman || command -v docker || true)}
[ -n "$engine" ] || { echo "container: needs podman or docker (Debian: apt-get install podman)" >&2; exit 1; }
root=dist/container
rm -rf "$root" && mkdir -p "$root/app" "$root/tmp"
chmod 1777 "$root/tmp"
for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib"
done
cp "$bin" "$root/lmlb"
$engine build -q -t lmlb -f Containerfile . >/dev/null
echo "container: image lmlb built from Containerfile ($(du -sh "$root" | cut -f1) staged: the binary and $(ldd "$bin" | grep -c '/') library files)"
