// The LOCK on a 100% full disk (issue 9, parts 2 and 4): a log closed cleanly on an ext4 that then
// filled up must open again and be read. The LOCK used to be deleted at close and created again at
// open, and creating it needs a data block: ENOSPC. Now LOCK keeps its block for good, and taking
// it overwrites that block in place. A small ext4 image is loop-mounted (root only; the test says
// plainly why it skips elsewhere), with no blocks reserved for root, so root sees ENOSPC too.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { type Core, loadCore } from "../../host/core/index.js";
import { DiskFullError } from "../../host/errors.js";
import { createRealIo } from "../../host/io/create-io.js";
import { DirectoryLock } from "../../host/wal/directory-lock.js";
import { openLog } from "../../host/wal/index.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";

function run(command: string, args: string[]): string | null {
  const result = spawnSync(command, args, { encoding: "utf8" });
  if (result.error !== undefined) return `${command}: ${result.error.message}`;
  return result.status === 0 ? null : `${command} ${args.join(" ")}: ${result.stderr.trim()}`;
}

/** Writes zeros into `file` until the file system refuses a single byte more. */
function fill(file: string): void {
  const fd = fs.openSync(file, "w");
  try {
    for (const chunk of [1 << 16, 4096, 512, 1]) {
      const zeros = new Uint8Array(chunk);
      for (;;) {
        try {
          fs.writeSync(fd, zeros);
        } catch (error) {
          if ((error as { code?: string }).code === "ENOSPC") break;
          throw error;
        }
      }
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

describe("wal: the LOCK on a full disk", function () {
  this.timeout(60_000);
  let work = "";
  let mnt = "";
  let core: Core;

  before(async function () {
    const refusal = process.getuid?.() !== 0 ? "not root (loop-mounting an ext4 image needs root)" : null;
    if (refusal !== null) {
      console.log(`      skipped: ${refusal}`);
      this.skip();
    }
    core = await loadCore();
    work = makeTempDir("lock-full");
    mnt = path.join(work, "mnt");
    fs.mkdirSync(mnt);
    const image = path.join(work, "ext4.img");
    fs.writeFileSync(image, new Uint8Array(0));
    fs.truncateSync(image, 4 << 20);
    const failed = run("mkfs.ext4", ["-q", "-F", "-m", "0", image]) ?? run("mount", ["-o", "loop", image, mnt]);
    if (failed !== null) {
      console.log(`      skipped: cannot loop-mount an ext4 image: ${failed}`);
      removeTempDir(work);
      work = "";
      this.skip();
    }
  });

  after(() => {
    if (work === "") return;
    run("umount", [mnt]);
    removeTempDir(work);
  });

  it("theLockOfAClosedLogIsTakenAgainOnAFullDiskWithoutANewBlock", async () => {
    const dir = path.join(mnt, "log");
    const log = await openLog(dir, { ioThread: false, preallocate: false });
    for (let i = 0; i < 10; i++) await log.append(new TextEncoder().encode(`entry ${i}`));
    await log.close();
    const fresh = path.join(mnt, "fresh"); // a directory needs a block of its own: made before the disk fills
    fs.mkdirSync(fresh);
    fill(path.join(mnt, "filler"));
    // The control: the disk really is full, a new small file cannot be written.
    expect(() => fs.writeFileSync(path.join(mnt, "one-more"), "x".repeat(128), { flush: true })).to.throw().with.property("code", "ENOSPC");
    const io = createRealIo(core, "sync");
    try {
      for (let round = 0; round < 3; round++) DirectoryLock.acquire(io, dir).release();
      // A LOCK that does not exist yet needs its one block: on a full disk that is DiskFullError.
      expect(() => DirectoryLock.acquire(io, fresh)).to.throw(DiskFullError);
    } finally {
      io.dispose();
    }
    // openLog gets past the LOCK (it failed there with ENOSPC before); what it writes after
    // recovery on a full disk is part 2's business (test/stages/enospc.sh).
    const again = await openLog(dir, { ioThread: false, preallocate: false });
    await again.close();
    expect(fs.readFileSync(path.join(dir, "LOCK"), "latin1").trimEnd()).to.equal("spacelog-lock 1 free");
  });
});
