// package-lock.json is complete: every optional dependency of every locked package is locked
// too, for every platform (bun and deno ship one optional package per platform, lmdb's
// msgpackr-extract too). npm records only what it could install unless the entries are already
// there, so a lock written on one machine made `npm install` on a fresh clone rewrite it (120
// lines for the other platforms' @deno/* and @msgpackr-extract/* packages). Offline: it reads the
// file; `npm install` in a clone left the committed lock unchanged when it was made.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

interface LockedPackage {
  readonly optionalDependencies?: Record<string, string>;
}

describe("package: the lock file", () => {
  it("everyOptionalDependencyOfALockedPackageIsLocked", () => {
    const lock = JSON.parse(fs.readFileSync(path.join(repo, "package-lock.json"), "utf8")) as { packages: Record<string, LockedPackage> };
    const missing: string[] = [];
    for (const [where, locked] of Object.entries(lock.packages)) {
      for (const name of Object.keys(locked.optionalDependencies ?? {})) {
        // Node's lookup: the package's own node_modules first, then each enclosing one up to the top.
        const candidates = [`${where}/node_modules/${name}`, `node_modules/${name}`];
        if (!candidates.some((key) => key in lock.packages)) missing.push(`${where || "(root)"} -> ${name}`);
      }
    }
    expect(missing).to.deep.equal([]);
  });
});
