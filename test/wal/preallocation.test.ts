// Preallocation (host/wal/io-loop.ts): while turns are small, the loop writes zeros ahead of the
// active segment's data so that fdatasync overwrites blocks instead of growing the file. What a
// user relies on: the zeros never hide or damage an entry, a closed segment ends at its last frame,
// a closed log holds no zeros, and a log left open (a crash) reopens clean.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { type LogRecord, openLog } from "../../host/wal/index.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";

const MIB = 1 << 20;

function segmentPaths(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith(".seg")).sort().map((n) => path.join(dir, n));
}

describe("wal: preallocation", () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir("prealloc");
  });
  afterEach(() => removeTempDir(dir));

  for (const ioThread of [false, true]) {
    it(`zeros run ahead of the data while the log is open and are cut at close (ioThread ${ioThread})`, async () => {
      const log = await openLog(dir, { ioThread });
      for (let i = 0; i < 50; i++) await log.append(new Uint8Array(100).fill(i + 1));
      const [file] = segmentPaths(dir);
      const dataEnd = Number(log.position);
      const open = fs.readFileSync(file ?? "");
      expect(open.byteLength, "zeros ahead, at most one step").to.be.greaterThan(dataEnd + MIB / 2).and.at.most(dataEnd + MIB);
      expect(open.subarray(dataEnd).every((b) => b === 0), "everything past the data is zero").to.equal(true);
      await log.close();
      expect(fs.statSync(file ?? "").size, "a closed log's segment ends at its last frame").to.equal(dataEnd);
      const again = await openLog(dir, { ioThread });
      expect(again.recovery.tornTail).to.equal(null);
      let n = 0;
      for await (const record of again.replay()) expect(record.entry).to.deep.include({ type: "raw", bytes: new Uint8Array(100).fill(++n) });
      expect(n).to.equal(50);
      await again.close();
    });
  }

  it("with preallocate: false the file holds exactly the data", async () => {
    const log = await openLog(dir, { ioThread: false, preallocate: false });
    for (let i = 0; i < 20; i++) await log.append(new Uint8Array(100));
    expect(fs.statSync(segmentPaths(dir)[0] ?? "").size).to.equal(Number(log.position));
    await log.close();
  });

  it("a segment is cut back to its last frame before the next one starts, and the zeros never pass segmentSizeMax", async () => {
    const segmentSizeMax = 64 * 1024;
    const log = await openLog(dir, { ioThread: false, segmentSizeMax });
    for (let i = 0; i < 2000; i++) await log.append(new Uint8Array(100).fill(i & 0xff));
    const paths = segmentPaths(dir);
    expect(paths.length).to.be.greaterThan(2);
    const active = paths[paths.length - 1] ?? "";
    expect(fs.statSync(active).size).to.be.at.most(segmentSizeMax);
    const lastFrameEnd = new Map<bigint, number>();
    const records: LogRecord[] = [];
    for await (const record of log.replay()) records.push(record);
    for (const record of records) {
      const raw = record.entry.type === "raw" ? record.entry.bytes.byteLength : 0;
      lastFrameEnd.set(record.segmentId, record.offsetInSegment + 8 + 1 + raw);
    }
    const closed = paths.slice(0, -1);
    for (const [index, file] of closed.entries()) {
      const id = (records.find((r) => path.basename(file) === `log-${r.segmentId.toString(16).padStart(16, "0")}.seg`) ?? { segmentId: -1n }).segmentId;
      expect(fs.statSync(file).size, `closed segment ${index} ends at its last frame`).to.equal(lastFrameEnd.get(id));
    }
    await log.close();
    const again = await openLog(dir, { ioThread: false, segmentSizeMax });
    expect(again.recovery.tornTail).to.equal(null);
    let n = 0;
    for await (const _ of again.replay()) n++;
    expect(n).to.equal(2000);
    await again.close();
  });

  it("preallocate must be a boolean", async () => {
    let caught: unknown = null;
    try {
      await openLog(dir, { preallocate: "yes" as unknown as boolean });
    } catch (error) {
      caught = error;
    }
    expect(caught).to.include({ name: "InvalidArgumentError" });
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });
});
