#!/usr/bin/env bash
# The binary in the smallest root it can run in, as in a minimal container:
# itself, the shared libraries ldd names, and a mounted /proc; nothing else.
# Needs root (chroot, mount); elsewhere it says so and passes.
# Usage: bash scripts/minimal-root.sh dist/lmlb
set -uo pipefail
# chroot lives in sbin, which a plain user PATH (and CI's) may lack.
export PATH="$PATH:/usr/sbin:/sbin"
bin=$(realpath "${1:-dist/lmlb}")
if [ "$(id -u)" != 0 ] || ! command -v chroot >/dev/null || ! command -v ldd >/dev/null; then
  echo "minimal root: skipped (needs root, chroot and ldd)"
  exit 0
fi
# Beside the binary: a filesystem that lets it run (/tmp may be noexec).
root=$(mktemp -d "$(dirname "$bin")/minimal-root.XXXXXX")
log=$root.log
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  umount "$root/proc" 2>/dev/null
  # Never rm -rf through a /proc still mounted.
  grep -q " $root/proc " /proc/mounts || rm -rf "$root"
  rm -f "$log"
}
trap cleanup EXIT

for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")" && cp "$lib" "$root$lib"
done
cp "$bin" "$root/lmlb"
mkdir -p "$root/proc"
if ! mount -t proc proc "$root/proc" 2>/dev/null; then
  echo "minimal root: skipped (cannot mount /proc here)"
  exit 0
fi

chroot "$root" /lmlb --port 0 >"$log" 2>&1 &
pid=$!
# Bounded: 10 s for the "listening" line, or lmlb exiting.
port=
for _ in $(seq 200); do
  port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$log" | grep -o '[0-9]*$')
  if [ -n "$port" ] || ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 0.05
done
answer=$([ -n "$port" ] && PORT=$port bun -e '
  const body = JSON.stringify({ model: "mock/echo", messages: [{ role: "user", content: "hi" }] })
  const res = await fetch(`http://127.0.0.1:${process.env.PORT}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(5000) })
  console.log(await res.text())')
if [[ "$answer" != *'"You said: hi"'* ]]; then
  echo "minimal root: FAILED; lmlb's output:"
  cat "$log"
  exit 1
fi
echo "minimal root: ok (the binary, the $(ldd "$bin" | grep -c '/') files ldd names, /proc; mock/echo answered)"
