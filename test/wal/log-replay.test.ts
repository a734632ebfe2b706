// replay() yields exactly the entries recovery accepted plus those appended since, and a frame
// that fails its check on the way back is a CorruptLogError with file and offset, never a silent
// end (issue 9 part 1: replay used to treat any scan stop as the end).
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { type Log, openLog } from "../../host/wal/index.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";
import { rejection } from "../support/rejection.js";

async function replayedBytes(log: Log): Promise<number[]> {
  const out: number[] = [];
  for await (const record of log.replay()) {
    if (record.entry.type === "raw") out.push(new DataView(record.entry.bytes.buffer, record.entry.bytes.byteOffset).getUint32(0, true));
  }
  return out;
}

function entry(i: number): Uint8Array {
  const bytes = new Uint8Array(100).fill(i & 0xff);
  new DataView(bytes.buffer).setUint32(0, i, true);
  return bytes;
}

describe("wal: replay", () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir("replay");
  });
  afterEach(() => removeTempDir(dir));

  it("replayYieldsExactlyTheEntriesRecoveryAcceptedAcrossSegments", async () => {
    const log = await openLog(dir, { segmentSizeMax: 8192 });
    await Promise.all(Array.from({ length: 600 }, (_, i) => log.append(entry(i))));
    await log.close();
    const again = await openLog(dir, { segmentSizeMax: 8192 });
    expect(again.stats().segments).to.be.greaterThan(5);
    const replayed = await replayedBytes(again);
    expect(replayed.length).to.equal(Number(again.nextLsn) - 1);
    expect(replayed).to.deep.equal(Array.from({ length: 600 }, (_, i) => i));
    await again.close();
  });

  it("aFrameDamagedUnderAnOpenLogIsCorruptLogErrorNamingFileAndOffset", async () => {
    const log = await openLog(dir, { ioThread: false, segmentSizeMax: 8192 });
    await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(entry(i))));
    const file = path.join(dir, "log-0000000000000001.seg");
    const bytes = fs.readFileSync(file);
    bytes[2000] = (bytes[2000] ?? 0) ^ 0x10;
    fs.writeFileSync(file, bytes);
    const error = await rejection(replayedBytes(log));
    expect(error).to.include({ name: "CorruptLogError", code: "SPACELOG_CORRUPT_LOG", file });
    expect(error.offset).to.be.within(64, 2000);
    expect(error.message).to.include("log-0000000000000001.seg");
    await log.close().catch(() => undefined);
  });

  it("aSegmentCutUnderAnOpenLogIsCorruptLogErrorNotAShortReplay", async () => {
    const log = await openLog(dir, { ioThread: false });
    await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(entry(i))));
    const file = path.join(dir, "log-0000000000000001.seg");
    fs.truncateSync(file, 5000);
    const error = await rejection(replayedBytes(log));
    expect(error).to.include({ name: "CorruptLogError", file });
    expect(error.message).to.match(/before the written end|Torn/);
    await log.close().catch(() => undefined);
  });
});
