// Bad input gets a typed error and changes nothing; a second opener gets a lock error.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { openLog } from "../../host/wal/index.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";
import { rejection } from "../support/rejection.js";

describe("wal: errors", () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir("errors");
  });
  afterEach(() => removeTempDir(dir));

  it("bad options are InvalidArgumentError before anything is created", async () => {
    const target = path.join(dir, "log");
    for (const options of [{ durability: "always" }, { durability: { intervalMs: 0 } }, { segmentSizeMax: 10 }, { ringSizeBytes: 5000 }, { io: "uring" }, { lockOwnerContent: "x" }, { lockOwnerAlive: () => true },
      { ioThread: "false" }, { salvage: "yes" }, { preallocate: 1 }, { durabilty: "sync" }, { entrySizeMax: 16 * 1024 * 1024 }, { ringSizeBytes: 256 * 1024 * 1024, entrySizeMax: 16 * 1024 * 1024 },
      { core: {} }, { storage: "sim" }, { clock: 5 }, { timers: {} }, { storage: () => null, ioThread: true }]) {
      const error = await rejection(openLog(target, options as never));
      expect(error, JSON.stringify(options)).to.have.property("code", "SPACELOG_INVALID_ARGUMENT");
    }
    expect(fs.existsSync(target)).to.equal(false);
  });

  it("bad appends are InvalidArgumentError and leave the position unchanged", async () => {
    const log = await openLog(dir, { ioThread: false, entrySizeMax: 1024 });
    await log.append(new Uint8Array(1));
    const position = log.position;
    expect(await rejection(log.append("text" as never))).to.have.property("code", "SPACELOG_INVALID_ARGUMENT");
    expect(await rejection(log.append(new Uint8Array(1025)))).to.have.property("code", "SPACELOG_INVALID_ARGUMENT");
    expect(await rejection(log.appendCheckpoint(-1n))).to.have.property("code", "SPACELOG_INVALID_ARGUMENT");
    expect(await rejection(log.appendCommit({ a: 1n }, 1n << 63n))).to.have.property("code", "SPACELOG_INVALID_ARGUMENT");
    expect(await rejection(log.appendPut(new Uint8Array(70_000), new Uint8Array(1)))).to.have.property("code", "SPACELOG_INVALID_ARGUMENT");
    expect(await rejection(log.appendDelete(null as never))).to.have.property("code", "SPACELOG_INVALID_ARGUMENT");
    const epoch = log.epoch;
    expect(log.epoch, "a refused call changes nothing").to.equal(epoch);
    expect(await rejection(log.truncateBefore(99n))).to.have.property("code", "SPACELOG_INVALID_ARGUMENT");
    expect(log.position).to.equal(position);
    expect(log.nextLsn).to.equal(2n);
    await log.close();
  });

  it("calls after close are ClosedError", async () => {
    const log = await openLog(dir, { ioThread: false });
    await log.close();
    for (const call of [
      () => log.append(new Uint8Array(1)), () => log.appendPut(new Uint8Array(1), new Uint8Array(1)), () => log.appendDelete(new Uint8Array(1)),
      () => log.appendCheckpoint(1n), () => log.appendEpochBarrier(), () => log.appendCommit({ a: 1n }), () => log.sync(), () => log.truncateBefore(1n),
    ]) {
      // Each call returns a promise that rejects: `.catch(handler)` on it must never be bypassed by a throw.
      let returned: Promise<unknown> | null = null;
      expect(() => (returned = call())).not.to.throw();
      expect(await rejection(returned as unknown as Promise<unknown>)).to.have.property("code", "SPACELOG_CLOSED");
    }
    expect(log.epoch).to.equal(0n);
    await log.close(); // idempotent
  });

  it("a folder that is not a log is NotALogError, and is left as it was", async () => {
    fs.writeFileSync(path.join(dir, "notes.txt"), "mine");
    expect(await rejection(openLog(dir, {}))).to.have.property("code", "SPACELOG_NOT_A_LOG");
    expect(fs.readdirSync(dir)).to.deep.equal(["notes.txt"]);
  });

  it("a second open in this process is DirectoryInUseError", async () => {
    const log = await openLog(dir, { ioThread: false });
    expect(await rejection(openLog(dir, { ioThread: false }))).to.have.property("code", "SPACELOG_DIRECTORY_IN_USE");
    await log.close();
    const again = await openLog(dir, { ioThread: false });
    await again.close();
  });

  it("another process opening the same directory gets DirectoryLockedError", async () => {
    const log = await openLog(dir, { ioThread: false });
    const walIndex = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "host", "wal", "index.js");
    const script = `import("${walIndex}").then(({ openLog }) => openLog(${JSON.stringify(dir)}, {})).then(() => console.log("OPENED"), (e) => console.log(e.code))`;
    const child = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 30_000 });
    expect(child.stdout.trim()).to.equal("SPACELOG_DIRECTORY_LOCKED");
    await log.close();
  });

  it("a LOCK left by a dead process is taken over", async () => {
    const first = await openLog(dir, { ioThread: false });
    await first.close();
    fs.writeFileSync(path.join(dir, "LOCK"), "999999999\n");
    const log = await openLog(dir, { ioThread: false });
    expect(await log.append(new Uint8Array(1))).to.equal(1n);
    await log.close();
  });
});
