// Reopening after damage: a torn tail is cut and reported; a bad frame followed by valid frames,
// or damage before a later segment, is corruption (file + offset) unless salvage is asked for.
// A log closed cleanly has LOGSTATE proving every byte durable, so any damage to it is corruption;
// the torn-tail cases first put back the LOGSTATE a writer that died mid-append leaves.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { type Core, loadCore } from "../../host/core/index.js";
import { type Log, type LogRecord, openLog } from "../../host/wal/index.js";
import { SEGMENT_HEADER_SIZE, decodeSegmentHeader } from "../../host/wal/segment-format.js";
import { writeLogState } from "./log-files.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";

async function count(log: Log): Promise<number> {
  let n = 0;
  for await (const _ of log.replay()) n++;
  return n;
}

async function records(log: Log): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of log.replay()) out.push(r);
  return out;
}

function segments(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith(".seg")).sort();
}

describe("wal: recovery on reopen", () => {
  let dir: string;
  let core: Core;
  before(async () => {
    core = await loadCore();
  });
  beforeEach(() => {
    dir = makeTempDir("recovery");
  });
  afterEach(() => removeTempDir(dir));

  /** Rewrites LOGSTATE as a writer that died after creating the last segment leaves it: only its header proven. */
  function forgetClose(): void {
    const last = segments(dir)[segments(dir).length - 1] ?? "";
    const header = decodeSegmentHeader(core, fs.readFileSync(path.join(dir, last)));
    if (typeof header === "string") throw new Error(`${last}: header ${header}`);
    writeLogState(core, dir, { lastSegmentId: header.segmentId, durableOffset: header.baseOffset + BigInt(SEGMENT_HEADER_SIZE) });
  }

  async function writeEntries(n: number, options = {}): Promise<LogRecord[]> {
    const log = await openLog(dir, { ioThread: false, ...options });
    for (let i = 0; i < n; i++) await log.append(new Uint8Array(40).fill(i));
    const out = await records(log);
    await log.close();
    return out;
  }

  it("a torn last frame is cut, reported, and the entries before it survive", async () => {
    await writeEntries(10);
    forgetClose();
    const file = path.join(dir, segments(dir)[0] ?? "");
    const size = fs.statSync(file).size;
    fs.truncateSync(file, size - 5);
    const log = await openLog(dir, { ioThread: false });
    expect(log.recovery.tornTail).to.include({ droppedBytes: 49 - 5 }); // frame: 8 header + 1 type + 40
    expect(await count(log)).to.equal(9);
    expect(fs.statSync(file).size).to.equal(size - 49);
    expect(await log.append(new Uint8Array(1))).to.equal(10n);
    await log.close();
  });

  it("zeros after the last frame (preallocated, or a file extended but not written) are cut, not reported as torn", async () => {
    await writeEntries(3);
    const file = path.join(dir, segments(dir)[0] ?? "");
    const size = fs.statSync(file).size;
    fs.appendFileSync(file, new Uint8Array(4096));
    const log = await openLog(dir, { ioThread: false });
    expect(log.recovery.tornTail).to.equal(null);
    expect(fs.statSync(file).size).to.equal(size);
    expect(await count(log)).to.equal(3);
    await log.close();
  });

  it("a flipped byte in a middle frame is CorruptLogError naming file and offset; nothing is changed", async () => {
    const written = await writeEntries(10);
    const file = path.join(dir, segments(dir)[0] ?? "");
    const before = fs.readFileSync(file);
    const target = written[4]?.offsetInSegment ?? 0;
    const damaged = Buffer.from(before);
    damaged[target + 12] = (damaged[target + 12] ?? 0) ^ 0x40;
    fs.writeFileSync(file, damaged);
    let error: unknown = null;
    try {
      await openLog(dir, { ioThread: false });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.include({ name: "CorruptLogError", code: "SPACELOG_CORRUPT_LOG", file, offset: target });
    expect(fs.readFileSync(file).equals(damaged)).to.equal(true);
    const salvaged = await openLog(dir, { ioThread: false, salvage: true }); // the refused open let the directory go
    await salvaged.close();
  });

  it("salvage cuts at the corruption and reports what was dropped", async () => {
    const written = await writeEntries(10);
    const file = path.join(dir, segments(dir)[0] ?? "");
    const damaged = fs.readFileSync(file);
    const target = written[4]?.offsetInSegment ?? 0;
    damaged[target + 12] = (damaged[target + 12] ?? 0) ^ 0x40;
    fs.writeFileSync(file, damaged);
    const log = await openLog(dir, { ioThread: false, salvage: true });
    expect(log.recovery.salvaged).to.include({ offset: target, droppedBytes: damaged.byteLength - target });
    expect(await count(log)).to.equal(4);
    await log.close();
  });

  it("damage in a segment that is not the last is corruption, even at its tail", async () => {
    await writeEntries(200, { segmentSizeMax: 4096 });
    const names = segments(dir);
    expect(names.length).to.be.greaterThan(1);
    const first = path.join(dir, names[0] ?? "");
    fs.truncateSync(first, fs.statSync(first).size - 3);
    let error: unknown = null;
    try {
      await openLog(dir, { ioThread: false, segmentSizeMax: 4096 });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.have.property("name", "CorruptLogError");
    const log = await openLog(dir, { ioThread: false, segmentSizeMax: 4096, salvage: true });
    expect(log.recovery.salvaged?.droppedSegments.length).to.equal(names.length - 1);
    expect(segments(dir).length).to.equal(1);
    await log.close();
  });

  it("a last segment cut inside its header (a torn creation) is removed and reported", async () => {
    await writeEntries(3);
    fs.writeFileSync(path.join(dir, "log-0000000000000002.seg"), new Uint8Array([0x53, 0x50, 0x4c]));
    const log = await openLog(dir, { ioThread: false });
    expect(log.recovery.removedTornSegments).to.deep.equal(["log-0000000000000002.seg"]);
    expect(await count(log)).to.equal(3);
    expect(await log.append(new Uint8Array(1))).to.equal(4n);
    await log.close();
  });

  it("recovering twice gives the same state", async () => {
    await writeEntries(20);
    forgetClose();
    const file = path.join(dir, segments(dir)[0] ?? "");
    fs.truncateSync(file, fs.statSync(file).size - 17);
    const first = await openLog(dir, { ioThread: false });
    const a = (await records(first)).map((r) => [r.lsn, r.end]);
    await first.close();
    const second = await openLog(dir, { ioThread: false });
    expect(second.recovery.tornTail).to.equal(null);
    expect((await records(second)).map((r) => [r.lsn, r.end])).to.deep.equal(a);
    await second.close();
  });
});
