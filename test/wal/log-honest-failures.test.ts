// Failures are named for what failed (issue 9 part 2): a worker that cannot start or dies is an
// IoThreadError with its cause, never "fdatasync failed"; the worker ignores the parent's
// execArgv; close() is one promise however often it is called; a file is not a log directory.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { terminateIoThreadForTests, withIoThreadScript } from "../../host/wal/io-thread.js";
import { openLog } from "../../host/wal/index.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";
import { rejection } from "../support/rejection.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const walIndex = path.join(here, "..", "..", "host", "wal", "index.js");
const dyingWorker = new URL("./dying-io-worker.js", import.meta.url);

describe("wal: honest failures", () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir("honest");
  });
  afterEach(() => removeTempDir(dir));

  it("theIoThreadRunsUnderNodeInputTypeModuleEval", () => {
    const script = `import { openLog } from ${JSON.stringify(walIndex)};
      const log = await openLog(${JSON.stringify(path.join(dir, "log"))});
      const lsns = await Promise.all([1, 2, 3].map((i) => log.append(new Uint8Array([i]))));
      await log.close();
      console.log("LSNS " + lsns.join(","));`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
    expect(child.stderr).to.equal("");
    expect(child.stdout.trim()).to.equal("LSNS 1,2,3");
    expect(child.status).to.equal(0);
  });

  it("aWorkerThatCannotStartRejectsOpenLogWithIoThreadErrorAndItsCause", async () => {
    const target = path.join(dir, "log-dies-at-start");
    const error = await withIoThreadScript(dyingWorker, () => rejection(openLog(target)));
    expect(error).to.include({ name: "IoThreadError", code: "SPACELOG_IO_THREAD" });
    expect(error.message).to.match(/failed to start: the test worker refuses to start/);
    expect(error.message).not.to.match(/fdatasync/);
    expect(error.cause).to.be.instanceOf(Error);
    // Nothing is left held: the directory opens normally afterwards.
    const log = await openLog(target);
    await log.close();
  });

  it("aWorkerThatDiesLaterFailsTheLogWithIoThreadErrorRecordedOnce", async () => {
    const target = path.join(dir, "log-dies-later");
    const log = await openLog(target);
    expect(await log.append(new Uint8Array([1]))).to.equal(1n);
    await terminateIoThreadForTests(target);
    const first = await rejection(log.append(new Uint8Array([2])));
    expect(first).to.include({ name: "IoThreadError", code: "SPACELOG_IO_THREAD" });
    expect(first).to.be.instanceOf(Error);
    expect(first.message).to.match(/I\/O thread exited \(code 1\) while the log was open/);
    expect(first.message).not.to.match(/fdatasync/);
    expect(first.cause).to.have.property("message", "worker exit code 1");
    const second = await rejection(log.sync());
    expect(second, "the first failure is kept: the thread's exit afterwards does not replace it").to.equal(first);
    await log.close();
    const again = await openLog(target);
    const entries: number[] = [];
    for await (const record of again.replay()) if (record.entry.type === "raw") entries.push(record.entry.bytes[0] ?? -1);
    expect(entries).to.deep.equal([1]);
    await again.close();
  });

  it("twoConcurrentClosesBothResolveOnlyOnceTheLogIsDurableAndClosed", async () => {
    const log = await openLog(path.join(dir, "log"), { durability: "none" });
    for (let i = 0; i < 2000; i++) void log.append(new Uint8Array(64).fill(i & 0xff));
    const first = log.close();
    const second = log.close();
    await second;
    expect(log.syncedPosition, "the second close resolved only after everything was synced").to.equal(log.position);
    await first;
    const again = await openLog(path.join(dir, "log"));
    expect(again.nextLsn).to.equal(2001n);
    await again.close();
  });

  it("openLogOnARegularFileIsNotALogErrorNamingIt", async () => {
    const file = path.join(dir, "plain-file");
    fs.writeFileSync(file, "mine");
    const error = await rejection(openLog(file));
    expect(error).to.include({ code: "SPACELOG_NOT_A_LOG" });
    expect(error.message).to.include(file);
    expect(error.message).to.match(/is a file, not a directory/);
    expect(fs.readFileSync(file, "utf8")).to.equal("mine");
  });
});
