#!/bin/sh
# Installs the lmlb binary for this machine from the project's GitHub releases:
#   curl -fsSL https://raw.githubusercontent.com/lmlb-dev/lmlb/main/install.sh | sh
# It picks the archive for this OS and architecture (musl where the system's
# libc is musl), checks it against SHA256SUMS, and puts `lmlb` into
# ~/.local/bin (or $LMLB_INSTALL_DIR). Nothing is installed unless every
# step succeeds.
#   LMLB_INSTALL_BASE_URL  a folder laid out as dist/release/ is (the archives
#                          and SHA256SUMS), instead of the GitHub release
#   LMLB_INSTALL_DIR       where `lmlb` goes (default ~/.local/bin)
#   LMLB_REPO              owner/name on GitHub (default lmlb-dev/lmlb)
#   LMLB_VERSION           a release tag such as v0.1.0 (default: the latest)
set -eu

die() {
  echo "lmlb install: $*" >&2
  exit 1
}

os=$(uname -s)
machine=$(uname -m)
case "$os" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) die "no lmlb build for this system ($os); builds exist for Linux, macOS and Windows (download the .zip from the releases page)" ;;
esac
case "$machine" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "no lmlb build for this processor ($machine); builds exist for x86_64 and arm64" ;;
esac
libc=
if [ "$os" = linux ]; then
  # musl (Alpine...): its loader is in /lib, and its ldd says so.
  if ls /lib/ld-musl-*.so.1 >/dev/null 2>&1 || { ldd --version 2>&1 | grep -qi musl; }; then libc=-musl; fi
fi
platform="$os-$arch$libc"

repo=${LMLB_REPO:-lmlb-dev/lmlb}
if [ -n "${LMLB_INSTALL_BASE_URL:-}" ]; then
  base=${LMLB_INSTALL_BASE_URL%/}
elif [ -n "${LMLB_VERSION:-}" ]; then
  base="https://github.com/$repo/releases/download/$LMLB_VERSION"
else
  base="https://github.com/$repo/releases/latest/download"
fi
into=${LMLB_INSTALL_DIR:-$HOME/.local/bin}

fetch() { # URL FILE
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL -o "$2" "$1" || die "could not download $1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1" || die "could not download $1"
  else
    die "needs curl or wget to download"
  fi
}

sha256() { # FILE
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    die "needs sha256sum or shasum to check the download"
  fi
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

fetch "$base/SHA256SUMS" "$work/SHA256SUMS"
# The archive's name (with its version) as SHA256SUMS lists it: "<sha256>  lmlb-<version>-<platform>.tar.gz".
line=$(grep -E "  lmlb-[^ ]+-$platform\.tar\.gz\$" "$work/SHA256SUMS" | head -n 1 || true)
[ -n "$line" ] || die "no archive for $platform in $base/SHA256SUMS"
want=${line%% *}
archive=${line##* }

fetch "$base/$archive" "$work/$archive"
got=$(sha256 "$work/$archive")
[ "$got" = "$want" ] || die "$archive does not match SHA256SUMS (expected $want, got $got): nothing installed"

tar -xzf "$work/$archive" -C "$work"
bin="$work/${archive%.tar.gz}/lmlb"
[ -f "$bin" ] || die "$archive holds no ${archive%.tar.gz}/lmlb"

mkdir -p "$into"
# Copied beside the target, then renamed: a running lmlb is never half-overwritten.
cp "$bin" "$into/.lmlb.new"
chmod 755 "$into/.lmlb.new"
mv -f "$into/.lmlb.new" "$into/lmlb"
echo "lmlb: installed $into/lmlb ($archive)"
case ":$PATH:" in
  *":$into:"*) ;;
  *) echo "lmlb: $into is not on your PATH; add it, e.g. export PATH=\"$into:\$PATH\"" ;;
esac
