// Every sync leaves proof of what is durable (issue 9 part 3): after a clean close, after sync()
// in "none" mode, and after an idle spell in "sync" and { intervalMs } modes, a single flipped
// bit in an entry is a CorruptLogError naming file and offset, never a torn tail that silently
// cuts acknowledged entries (it used to cost 1801 of 2000 closed entries in "none" mode).
import { expect } from "chai";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { openLog } from "../../host/wal/index.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";

const childScript = path.join(path.dirname(fileURLToPath(import.meta.url)), "proof-child.js");
const SEGMENT = "log-0000000000000001.seg";

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; file?: string; offset?: number }> {
  try {
    const log = (await promise) as { recovery: unknown; close(): Promise<void> };
    const report = JSON.stringify(log.recovery);
    await log.close();
    throw new Error(`expected a CorruptLogError; the log opened with recovery ${report}`);
  } catch (error) {
    return error as Error;
  }
}

/**
 * Flips one bit `fromEnd` bytes before `dataEnd` (inside the last entries; in the first segment a
 * file offset is a stream offset). The file may go on in preallocated zeros after dataEnd.
 */
function flipBitBefore(dir: string, dataEnd: number, fromEnd: number): number {
  const file = path.join(dir, SEGMENT);
  const bytes = fs.readFileSync(file);
  const at = dataEnd - fromEnd;
  bytes[at] = (bytes[at] ?? 0) ^ 0x04;
  fs.writeFileSync(file, bytes);
  return at;
}

/** Runs the child until it is READY, SIGKILLs it, and returns the stream position it reported. */
function runUntilReadyThenKill(dir: string, mode: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childScript, dir, mode, "2000"], { stdio: ["ignore", "pipe", "inherit"] });
    let position = -1;
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      const ready = /READY (\d+) (\d+)/.exec(chunk);
      if (ready === null) return;
      position = Number(ready[1]);
      expect(ready[2], "the child made everything durable").to.equal(ready[1]);
      child.kill("SIGKILL");
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => (signal === "SIGKILL" ? resolve(position) : reject(new Error(`child exited with ${code}`))));
  });
}

describe("wal: every sync leaves proof", () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir("proof");
  });
  afterEach(() => removeTempDir(dir));

  it("aFlippedBitAfterACleanCloseInNoneModeIsCorruptLogErrorNotATornTail", async () => {
    const log = await openLog(dir, { durability: "none" });
    for (let i = 0; i < 2000; i++) void log.append(new Uint8Array(40).fill(i & 0xff));
    await log.close();
    const at = flipBitBefore(dir, fs.statSync(path.join(dir, SEGMENT)).size, 1000);
    const error = await rejection(openLog(dir));
    expect(error).to.include({ name: "CorruptLogError", file: path.join(dir, SEGMENT) });
    expect(error.offset).to.be.within(at - 60, at);
  });

  for (const mode of ["none", "sync", "interval"]) {
    it(`aFlippedBitAfterA${mode}ModeSyncThenAKillIsCorruptLogError`, async () => {
      const position = await runUntilReadyThenKill(dir, mode);
      const at = flipBitBefore(dir, position, 200);
      const error = await rejection(openLog(dir));
      expect(error.name, error.message).to.equal("CorruptLogError");
      expect(error).to.include({ name: "CorruptLogError", file: path.join(dir, SEGMENT) });
      expect(error.offset).to.be.within(at - 60, at);
    });
  }
});
