#!/usr/bin/env bash
# npm run test:power-loss: real power cuts under LazyFS (../shared/lazyfs/README.md). Installs
# LazyFS's Debian build dependencies if they are missing, builds it (lazyfs.sh skips that when it
# is up to date), mounts a private instance, runs dist/test/power-loss/power-loss-main.js (the
# log) and dist/test/power-loss/store-power-loss-main.js (the store) on it, and unmounts in a
# trap, even on failure.
#
# lazyfs.sh is, in order: $LAZYFS_SH, <repo>/../shared/lazyfs/lazyfs.sh, /work/shared/lazyfs/lazyfs.sh.
# Without root, /dev/fuse or lazyfs.sh the stage says why and exits 0.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)

skip() { echo "test:power-loss: SKIPPED: $*"; exit 0; }

[ "$(id -u)" = 0 ] || skip "not root (mounting LazyFS, a FUSE file system, needs root here)"
[ -e /dev/fuse ] || skip "/dev/fuse is missing (modprobe fuse, or run the container with --device /dev/fuse --cap-add SYS_ADMIN)"

lazyfs_sh=""
for candidate in "${LAZYFS_SH:-}" "$repo/../shared/lazyfs/lazyfs.sh" /work/shared/lazyfs/lazyfs.sh; do
  if [ -n "$candidate" ] && [ -f "$candidate" ]; then lazyfs_sh=$(cd "$(dirname "$candidate")" && pwd)/$(basename "$candidate"); break; fi
done
[ -n "$lazyfs_sh" ] || skip "no lazyfs.sh (looked at \$LAZYFS_SH, $repo/../shared/lazyfs/lazyfs.sh and /work/shared/lazyfs/lazyfs.sh)"

# The Debian packages lazyfs.sh deps installs; apt runs only when one is missing.
packages="g++ make pkg-config fuse3 libfuse3-dev libspdlog-dev libtoml11-dev"
missing=""
for package in $packages; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing="$missing $package"
done
if [ -n "$missing" ]; then
  command -v apt-get >/dev/null || skip "LazyFS needs$missing, and there is no apt-get to install them"
  echo "test:power-loss: installing LazyFS's build dependencies:$missing"
  bash "$lazyfs_sh" deps
fi
# LazyFS's truncate (lazyfs/src/lazyfs.cpp, lfs_truncate, at a47a5baea559) returns an
# uninitialised `res` when it shrinks a file it has cached: now and then that reads as -1 and the
# call fails with a stale errno (seen here: recovery's ftruncate of a zero tail failed with ENOENT
# in 1 round of 300, on a log that opens cleanly on ext4). The stage builds a copy of the source
# with that one variable initialised to 0, in its own build folder; nothing else is changed.
lazyfs_src_upstream="$(dirname "$lazyfs_sh")/src"
lazyfs_src="${TMPDIR:-/tmp}/spacelog-lazyfs-src"
export LAZYFS_BUILD="${TMPDIR:-/tmp}/spacelog-lazyfs-build"
rm -rf "$lazyfs_src"
cp -rp "$lazyfs_src_upstream" "$lazyfs_src"
chmod -R u+w "$lazyfs_src"
perl -0pi -e 's/(int LazyFS::lfs_truncate \(.*?\n    int res);/$1 = 0;/s' "$lazyfs_src/lazyfs/src/lazyfs.cpp"
grep -q "^    int res = 0;" "$lazyfs_src/lazyfs/src/lazyfs.cpp" || { echo "test:power-loss: FAILED: could not apply the lfs_truncate fix to LazyFS's source (has upstream changed?)"; exit 1; }
# A fresh copy is newer than the last build, so lazyfs.sh would rebuild every time: keep the copy's
# times of the upstream files instead, and let it rebuild only when upstream changes.
touch -r "$lazyfs_src_upstream/lazyfs/src/lazyfs.cpp" "$lazyfs_src/lazyfs/src/lazyfs.cpp"
LAZYFS_SRC="$lazyfs_src" bash "$lazyfs_sh" build

cd "$repo"
[ "${SPACELOG_STAGE_NO_BUILD:-}" = 1 ] || npm run --silent build

# A private mount and state folder, so that no other LazyFS on this machine is disturbed.
work=$(mktemp -d "${TMPDIR:-/tmp}/spacelog-power-loss-XXXXXX")
export LAZYFS_STATE="$work/state" LAZYFS_MNT="$work/mnt" LAZYFS_ROOT="$work/root"
cleanup() {
  bash "$lazyfs_sh" umount "$LAZYFS_MNT" || true
  rm -rf "$work"
}
trap cleanup EXIT
bash "$lazyfs_sh" mount "$LAZYFS_MNT"
# shellcheck disable=SC1091
. "$LAZYFS_STATE/env"

# The log's variants, then the store's (store-power-loss-main.ts), on the same mount; both run
# even if the first fails. SPACELOG_POWER_LOSS_PARTS=log or =store runs one of them.
parts="${SPACELOG_POWER_LOSS_PARTS:-log,store}"
start=$SECONDS
failed=""
if [[ ",$parts," == *,log,* ]]; then
  node dist/test/power-loss/power-loss-main.js "$LAZYFS_MNT" || failed="$failed log"
  echo "test:power-loss: the log's variants took $((SECONDS - start)) s"
fi
if [[ ",$parts," == *,store,* ]]; then
  store_start=$SECONDS
  node dist/test/power-loss/store-power-loss-main.js "$LAZYFS_MNT" || failed="$failed store"
  echo "test:power-loss: the store's variants took $((SECONDS - store_start)) s"
fi
[ -z "$failed" ] || { echo "test:power-loss: FAILED:$failed"; exit 1; }
echo "test:power-loss: passed in $((SECONDS - start)) s"
