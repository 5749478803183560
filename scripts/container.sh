#!/usr/bin/env bash
# `npm run container`: the lmlb image, FROM scratch (nothing to pull). Stages
# its whole filesystem in dist/container/ (the binary, the shared libraries
# it links against: glibc's libc, libm, libpthread, libdl and the loader;
# /tmp and an empty /app), then builds the Containerfile for the binary's
# architecture.
# A binary of this machine's architecture takes its libraries where ldd
# finds them. An arm64 binary on another machine (the release's
# linux-arm64) takes them from Debian's cross libc (libc6-arm64-cross:
# /usr/aarch64-linux-gnu, or LMLB_SYSROOT), as its ELF header names them.
# CONTAINER_ENGINE: the engine command (default podman, else docker).
# LMLB_IMAGE: the image's name (default lmlb).
# Usage: bash scripts/container.sh [dist/lmlb]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-dist/lmlb}")
engine=${CONTAINER_ENGINE:-$(command -v podman || command -v docker || true)}
[ -n "$engine" ] || { echo "container: needs podman or docker (Debian: apt-get install podman)" >&2; exit 1; }
image=${LMLB_IMAGE:-lmlb}
case $(LC_ALL=C readelf -h "$bin" | sed -n 's/^ *Machine: *//p') in
  *X86-64*) platform=linux/amd64 machine=x86_64 ;;
  *AArch64*) platform=linux/arm64 machine=aarch64 ;;
  *) echo "container: $bin is not a linux x64 or arm64 binary" >&2; exit 1 ;;
esac
root=dist/container
rm -rf "$root" && mkdir -p "$root/app" "$root/tmp"
chmod 1777 "$root/tmp"
if [ "$machine" = "$(uname -m)" ]; then
  libs=$(ldd "$bin" | grep -o '/[^ ]*')
  for lib in $libs; do
    mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib"
  done
else
  sysroot=${LMLB_SYSROOT:-/usr/$machine-linux-gnu}
  [ -d "$sysroot/lib" ] || { echo "container: a $machine binary needs its libraries in $sysroot/lib (Debian: apt-get install libc6-arm64-cross)" >&2; exit 1; }
  # What the ELF header names: the loader at its own path, the libraries in /lib (the loader's default search path).
  loader=$(LC_ALL=C readelf -l "$bin" | sed -n 's/.*interpreter: \(.*\)\]/\1/p')
  libs=$(LC_ALL=C readelf -d "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
  mkdir -p "$root/lib" "$root$(dirname "$loader")"
  cp -L "$sysroot/lib/$(basename "$loader")" "$root$loader"
  for lib in $libs; do cp -L "$sysroot/lib/$lib" "$root/lib/$lib"; done
fi
cp "$bin" "$root/lmlb"
$engine build -q --platform "$platform" -t "$image" -f Containerfile . >/dev/null
echo "container: image $image ($platform) built from Containerfile ($(du -sh "$root" | cut -f1) staged: the binary and $(echo "$libs" | wc -w) library files)"
