#!/usr/bin/env bash
# npm run test:enospc: the log and the store on a real, small, full file system. Makes a 16 MiB ext4 image
# (no blocks reserved for root, so root sees ENOSPC like anyone), loop-mounts it, and runs
# dist/test/enospc/enospc-main.js (the log) and store-enospc-main.js (the store) on it; unmounts and detaches in a trap, even on failure.
# Needs root and loop devices; without them it says why and exits 0.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)

skip() { echo "test:enospc: SKIPPED: $*"; exit 0; }

[ "$(id -u)" = 0 ] || skip "not root (loop-mounting an ext4 image needs root)"
for tool in mkfs.ext4 mount umount losetup mountpoint; do
  command -v "$tool" >/dev/null || skip "$tool is not installed"
done
[ -e /dev/loop-control ] || ls /dev/loop[0-9]* >/dev/null 2>&1 || skip "no loop devices (/dev/loop-control is missing)"

cd "$repo"
[ "${SPACELOG_STAGE_NO_BUILD:-}" = 1 ] || npm run --silent build

work=$(mktemp -d "${TMPDIR:-/tmp}/spacelog-enospc-XXXXXX")
image="$work/ext4.img"
mnt="$work/mnt"
cleanup() {
  if mountpoint -q "$mnt"; then umount "$mnt" || umount -l "$mnt" || true; fi
  # mount -o loop sets autoclear, so the device goes with the unmount; detach any that stayed.
  for dev in $(losetup -j "$image" -O NAME -n 2>/dev/null); do losetup -d "$dev" || true; done
  rm -rf "$work"
}
trap cleanup EXIT

truncate -s 16M "$image"
mkfs.ext4 -q -F -m 0 "$image"
mkdir -p "$mnt"
if ! err=$(mount -o loop "$image" "$mnt" 2>&1); then skip "cannot loop-mount an ext4 image: $err"; fi

start=$SECONDS
node dist/test/enospc/enospc-main.js "$mnt"
node dist/test/enospc/store-enospc-main.js "$mnt"
echo "test:enospc: passed in $((SECONDS - start)) s"
