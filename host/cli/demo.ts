// `npm start`: a short demo of the core on this machine: what it computes, and how fast.
// The log runs in a local folder (default ./demo-data/log, or the first argument).
import * as fs from "node:fs";
import * as path from "node:path";
import { SORT_TUPLE_SIZE, asPtr, loadCore, type Core } from "../core/index.js";
import { openLog } from "../wal/index.js";

function timeMs(rounds: number, run: () => void): number {
  for (let i = 0; i < Math.min(rounds, 10); i++) run();
  const start = performance.now();
  for (let i = 0; i < rounds; i++) run();
  return (performance.now() - start) / rounds;
}

function demoChecksums(core: Core): void {
  const check = new TextEncoder().encode("123456789");
  console.log(`crc32("123456789")  = 0x${core.crc32(check).toString(16)}  (standard check value 0xcbf43926)`);
  console.log(`crc32c("123456789") = 0x${core.crc32c(check).toString(16)}  (standard check value 0xe3069283)`);
  console.log(`xxh64("123456789")  = 0x${core.xxh64(check).toString(16)}`);
  const size = 1 << 20;
  const region = core.allocateRegion(size);
  const bytes = core.bytesOf(region);
  for (let i = 0; i < size; i++) bytes[i] = (i * 2654435761) >>> 24;
  const crcMs = timeMs(200, () => core.crc32cAt(region.ptr, size));
  console.log(`crc32c of 1 MiB: ${(size / crcMs / 1e6).toFixed(2)} GB/s`);
  core.releaseRegion(region);
}

function demoFrames(core: Core): void {
  const payloads = ["put a", "put b", "delete a"].map((text) => new Uint8Array([1, ...new TextEncoder().encode(text)]));
  const frames = core.encodeFrames(payloads, 0x5eed);
  const torn = frames.subarray(0, frames.byteLength - 3);
  const scan = core.scanFrames(torn, 0x5eed);
  console.log(`3 frames, ${frames.byteLength} bytes; cut 3 bytes short, a scan finds ${scan.frames.length} valid frames and stops at offset ${scan.stopOffset}: ${scan.stop}`);
}

function demoHilbert(core: Core): void {
  const point = [3, 5, 7];
  const key = core.hilbertKey(3, 20, point);
  console.log(`hilbertKey(3 dims, 20 bits, [${point.join(", ")}]) = ${key}; back: [${core.hilbertPoint(3, 20, key).join(", ")}]`);
  const box = { min: [10, 10], max: [20, 13] };
  const { ranges, exact } = core.hilbertRanges(2, 16, box);
  console.log(`box [10..20] x [10..13] in 2D/16 bits covers ${ranges.length} key ranges (exact: ${exact})`);
  try {
    core.hilbertKey(2, 16, [65536, 0]);
  } catch (error) {
    console.log(`hilbertKey(2, 16, [65536, 0]) -> ${(error as Error).name}: ${(error as Error).message}`);
  }
}

function demoKeysAndSort(core: Core): void {
  const points = 1_000_000;
  const coords = core.allocateRegion(points * 12);
  const tuples = core.allocateRegion(points * SORT_TUPLE_SIZE);
  const c = new Uint32Array(core.memory.buffer, coords.ptr, points * 3);
  let x = 1;
  for (let i = 0; i < c.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    c[i] = (x >>> 0) & 0xfffff;
  }
  const ms = timeMs(5, () => {
    core.hilbertKeysAt(3, 20, coords.ptr, points, asPtr(tuples.ptr), SORT_TUPLE_SIZE);
    core.sortTuplesAt(tuples.ptr, points);
  });
  console.log(`1 M random 3D points: Hilbert keys + radix sort in ${ms.toFixed(1)} ms (${(points / ms / 1e3).toFixed(1)} M points/s)`);
}

/** The log in a local folder: durable appends from 256 concurrent writers, then a reopen and replay. */
async function demoLog(dir: string): Promise<void> {
  fs.rmSync(dir, { recursive: true, force: true });
  const log = await openLog(dir, { durability: "sync" });
  const value = new Uint8Array(128).fill(7);
  let appended = 0;
  const start = performance.now();
  const until = start + 1000;
  await Promise.all(Array.from({ length: 256 }, async () => {
    while (performance.now() < until) {
      await log.append(value);
      appended++;
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  console.log(`log in ${dir}: ${appended} durable 128-byte appends from 256 writers in ${seconds.toFixed(2)} s (${Math.round(appended / seconds)} records/s, each acknowledged after its fdatasync)`);
  await log.appendCommit({ "demo-source": BigInt(appended) }, 42n);
  await log.close();
  const reopened = await openLog(dir, {});
  let replayed = 0;
  let last = "";
  for await (const record of reopened.replay()) {
    replayed++;
    last = `${record.lsn}: ${record.entry.type}`;
  }
  console.log(`reopened: ${replayed} entries replayed, last ${last}; recovery found nothing to repair: ${reopened.recovery.tornTail === null}`);
  await reopened.close();
}

async function main(): Promise<void> {
  const core = await loadCore();
  console.log(`spacelog core: WebAssembly, shared memory (${core.memory.buffer.byteLength >> 20} MiB now, 1 GiB max), SIMD\n`);
  demoChecksums(core);
  demoFrames(core);
  demoHilbert(core);
  demoKeysAndSort(core);
  await demoLog(path.resolve(process.argv[2] ?? "demo-data/log"));
}

await main();
