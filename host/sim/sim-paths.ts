// Paths in the simulated file system: plain POSIX-style strings. Every path is normalised to one
// spelling before it is used as a key: absolute, single slashes, no trailing slash, "." and ".."
// resolved ("a//b/./c/../d/" is "/a/b/d"). A relative path is taken from the root: the simulated
// process has "/" as its working directory.
import { assert } from "../assert.js";

export const ROOT = "/";

/** The longest path accepted, as Linux's PATH_MAX: longer is a caller bug, not a disk state. */
export const SIM_PATH_LENGTH_MAX = 4096;

export function normalizePath(path: string): string {
  assert(typeof path === "string" && path.length > 0, "a simulated path is a non-empty string");
  assert(path.length <= SIM_PATH_LENGTH_MAX, `a simulated path is at most ${SIM_PATH_LENGTH_MAX} characters`);
  assert(!path.includes("\0"), "a simulated path has no NUL character");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return ROOT + parts.join("/");
}

/** The directory holding a normalised path ("/a/b" -> "/a", "/a" -> "/"); the root has none. */
export function parentOf(path: string): string {
  assert(path !== ROOT, "the root has no parent");
  const cut = path.lastIndexOf("/");
  return cut === 0 ? ROOT : path.slice(0, cut);
}

/** The last component of a normalised path ("/a/b" -> "b"). */
export function baseNameOf(path: string): string {
  assert(path !== ROOT, "the root has no name");
  return path.slice(path.lastIndexOf("/") + 1);
}

/** True when `dir` is a proper ancestor of `path` (both normalised): "/a" of "/a/b/c", "/" of "/a". */
export function isAncestor(dir: string, path: string): boolean {
  if (dir === path) return false;
  if (dir === ROOT) return true;
  return path.startsWith(dir + "/");
}

/** The proper ancestors of a normalised path, root first: "/a/b/c" -> ["/", "/a", "/a/b"]. */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let at = path; at !== ROOT; ) {
    at = parentOf(at);
    out.push(at);
  }
  return out.reverse();
}
