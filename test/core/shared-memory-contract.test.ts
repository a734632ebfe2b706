// The build contract of the core over one shared memory (issue 9, point 1): every thread
// instantiates the module over the same memory, and an instantiation copies each active data
// segment to its offset again. So no instantiation may write a byte another instance may be
// reading, and nothing in an active segment may be written at run time.
//
// Regression: the CRC slicing tables lived in all-zero active segments that crcInit() filled.
// Each new instance zeroed them until its own crcInit() ran, and the writers' thread, framing
// while the I/O thread instantiated at openLog, sealed acknowledged frames with wrong CRCs.
import { expect } from "chai";
import hashWasm from "hash-wasm";
import { Worker } from "node:worker_threads";
import { Core, type Region, asPtr, coreModule, createCoreMemory, instantiateCore } from "../../host/core/index.js";
import { type CoreCheck, patternBytes } from "./core-check.js";
import { crcChecks } from "./crc-checks.js";
import { completionsChecks } from "./completions-checks.js";
import { frameChecks } from "./frame-checks.js";
import { hilbertChecks } from "./hilbert-checks.js";
import { hilbertRangesChecks } from "./hilbert-ranges-checks.js";
import { sortChecks } from "./sort-checks.js";
import { xxh64Checks } from "./xxh64-checks.js";
import { payloadsOf } from "./frame-bytes.js";
import {
  type InstantiationWorkerData, PROGRESS_FAILED, PROGRESS_FINISHED, PROGRESS_INSTANTIATIONS,
} from "./instantiation-worker.js";
import { type DataSegment, coreWasmBytes, dataSegments } from "./wasm-data-segments.js";
import { POLY_CRC32, POLY_CRC32C, slicingTables } from "./crc-reference-tables.js";

const ARENA_SIZE = 4 << 20; // as the log gives its I/O thread: scratch (1 MiB) and room for its own regions
const ASC_STRING_ID = 2; // the runtime id of String in every AssemblyScript module
const ASC_OBJECT_HEADER_SIZE = 20; // mmInfo, gcInfo, gcInfo2, rtId, rtSize: five u32s
const WORKERS_WAIT_MS_MAX = 60_000; // a worker that never starts must fail the test, not hang it

const hex32 = (hex: string): number => Number.parseInt(hex, 16) >>> 0;
const abort = (): never => {
  throw new Error("the core aborted");
};

function freshCore(): Core {
  return new Core(instantiateCore(createCoreMemory()));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/**
 * A static AssemblyScript string: an assertion's file name or message, passed to env.abort, which
 * ignores it (host/core/load-core.ts). Nothing writes it, and nothing but abort would read it.
 */
function isStaticString(segment: DataSegment): boolean {
  if (segment.bytes.byteLength < ASC_OBJECT_HEADER_SIZE) return false;
  const view = new DataView(segment.bytes.buffer, segment.bytes.byteOffset, segment.bytes.byteLength);
  const rtSize = view.getUint32(16, true);
  return view.getUint32(12, true) === ASC_STRING_ID && ASC_OBJECT_HEADER_SIZE + rtSize <= segment.bytes.byteLength;
}

/** The first byte index where two snapshots differ outside [skipStart, skipEnd), or -1. */
function firstDifference(before: Uint8Array, after: Uint8Array, skipStart = 0, skipEnd = 0): number {
  expect(after.byteLength, "the memory grew during an instantiation").to.equal(before.byteLength);
  const ranges: Array<[number, number]> = [[0, skipStart], [skipEnd, before.byteLength]];
  for (const [start, end] of ranges) {
    if (start >= end || sameBytes(before.subarray(start, end), after.subarray(start, end))) continue;
    for (let i = start; i < end; i++) if (before[i] !== after[i]) return i;
  }
  return -1;
}

/** Runs the core's own checks on `core`: a workload that touches every export. */
async function runWorkload(core: Core): Promise<void> {
  const lists: ReadonlyArray<readonly CoreCheck[]> = [
    crcChecks, xxh64Checks, frameChecks, hilbertChecks, hilbertRangesChecks, sortChecks, completionsChecks,
  ];
  for (const checks of lists) for (const check of checks) await check.run(core);
}

describe("core: build contract over a shared memory", () => {
  it("every active data segment is constant: a CRC slicing table or a static string", () => {
    const segments = dataSegments(coreWasmBytes()).filter((s) => s.active);
    const tables = [slicingTables(POLY_CRC32), slicingTables(POLY_CRC32C)];
    for (const segment of segments) {
      const what = `active segment at ${segment.offset} (${segment.bytes.byteLength} bytes)`;
      expect(tables.some((t) => sameBytes(t, segment.bytes)) || isStaticString(segment), what).to.equal(true);
    }
  });

  it("nothing writes an active data segment at run time: after every check, memory still holds each one", async function () {
    this.timeout(120_000);
    const core = freshCore();
    await runWorkload(core);
    const u8 = new Uint8Array(core.memory.buffer);
    for (const segment of dataSegments(coreWasmBytes()).filter((s) => s.active)) {
      const now = u8.subarray(segment.offset, segment.offset + segment.bytes.byteLength);
      expect(sameBytes(now, segment.bytes), `active segment at ${segment.offset} was written at run time`).to.equal(true);
    }
  });

  it("a bare instantiation over a memory in use leaves every byte of it as it was", () => {
    const core = freshCore();
    const bytes = patternBytes(70000, 3);
    for (const length of [0, 100, 4096, 70000]) core.crc32c(bytes.subarray(0, length));
    const before = new Uint8Array(core.memory.buffer).slice();
    new WebAssembly.Instance(coreModule(), { env: { memory: core.memory, abort } });
    const at = firstDifference(before, new Uint8Array(core.memory.buffer));
    expect(at, `byte ${at} changed (before ${before[at]}, after ${new Uint8Array(core.memory.buffer)[at]})`).to.equal(-1);
  });

  it("instantiateCore over a memory in use writes only inside the arena it was given", () => {
    const core = freshCore();
    const arena = core.allocateRegion(ARENA_SIZE);
    core.crc32c(patternBytes(70000, 4));
    for (let round = 0; round < 20; round++) {
      const before = new Uint8Array(core.memory.buffer).slice();
      instantiateCore(core.memory, coreModule(), { ptr: arena.ptr, sizeBytes: arena.sizeBytes });
      const at = firstDifference(before, new Uint8Array(core.memory.buffer), arena.ptr, arena.ptr + arena.sizeBytes);
      expect(at, `round ${round}: byte ${at} outside the arena changed`).to.equal(-1);
    }
  });

  it("CRCs and frames equal hash-wasm's while workers instantiate the core over the same memory", async function () {
    this.timeout(120_000);
    const core = freshCore();
    const crcCases = await placeCrcCases(core);
    const frameCase = await oracleFrames();
    const workers = startInstantiationWorkers(core, 3, 500);
    const mismatches: string[] = [];
    let rounds = 0;
    const deadline = performance.now() + WORKERS_WAIT_MS_MAX;
    try {
      // The workers run on their own threads; this one never yields until they are done, as the
      // writers' thread keeps framing while the I/O thread starts.
      while (Atomics.load(workers.progress, PROGRESS_FINISHED) < workers.count && performance.now() < deadline) {
        checkRound(core, crcCases, frameCase, mismatches);
        rounds++;
      }
    } finally {
      await workers.exited;
    }
    expect(Atomics.load(workers.progress, PROGRESS_FAILED), "a worker failed to instantiate").to.equal(0);
    expect(Atomics.load(workers.progress, PROGRESS_INSTANTIATIONS)).to.equal(workers.count * workers.instantiations);
    expect(rounds, "the main thread checked nothing while the workers ran").to.be.greaterThan(0);
    expect(mismatches.slice(0, 5), `${mismatches.length} mismatches in ${rounds} rounds`).to.deep.equal([]);
  });
});

interface CrcCase {
  readonly ptr: number;
  readonly length: number;
  readonly crc32: number;
  readonly crc32c: number;
}

interface FrameCase {
  readonly payloads: Uint8Array[];
  readonly frames: Uint8Array;
}

/** Buffers in the core's memory, one per CRC method (table, four lanes, sparse), with their oracle CRCs. */
async function placeCrcCases(core: Core): Promise<CrcCase[]> {
  const lengths = [1, 7, 100, 511, 512, 1000, 4096, 19199, 19200, 70000];
  const region: Region = core.allocateRegion(lengths.reduce((sum, l) => sum + l + 64, 0));
  const cases: CrcCase[] = [];
  let at: number = region.ptr;
  for (const [i, length] of lengths.entries()) {
    const bytes = patternBytes(length, 100 + i);
    new Uint8Array(core.memory.buffer).set(bytes, at);
    const crc32 = hex32(await hashWasm.crc32(bytes));
    const crc32c = hex32(await hashWasm.crc32(bytes, POLY_CRC32C));
    cases.push({ ptr: at, length, crc32, crc32c });
    at += length + 64;
  }
  return cases;
}

/** Frames built here from hash-wasm's CRC-32C (seed 0): 128-byte entries, as the log writes, and long ones. */
async function oracleFrames(): Promise<FrameCase> {
  const payloads = payloadsOf([...Array<number>(12).fill(128), 4096, 30000], 9);
  const parts: Uint8Array[] = [];
  for (const payload of payloads) {
    const frame = new Uint8Array(8 + payload.byteLength);
    const view = new DataView(frame.buffer);
    view.setUint32(0, payload.byteLength, true);
    frame.set(payload, 8);
    const covered = new Uint8Array(4 + payload.byteLength);
    covered.set(frame.subarray(0, 4));
    covered.set(payload, 4);
    view.setUint32(4, hex32(await hashWasm.crc32(covered, POLY_CRC32C)), true);
    parts.push(frame);
  }
  return { payloads, frames: Buffer.concat(parts) };
}

function checkRound(core: Core, crcCases: readonly CrcCase[], frameCase: FrameCase, mismatches: string[]): void {
  for (const c of crcCases) {
    const crc32 = core.crc32At(asPtr(c.ptr), c.length);
    const crc32c = core.crc32cAt(asPtr(c.ptr), c.length);
    if (crc32 !== c.crc32) mismatches.push(`crc32 of ${c.length} bytes: ${crc32} != ${c.crc32}`);
    if (crc32c !== c.crc32c) mismatches.push(`crc32c of ${c.length} bytes: ${crc32c} != ${c.crc32c}`);
  }
  const encoded = core.encodeFrames(frameCase.payloads, 0);
  if (!sameBytes(encoded, frameCase.frames)) mismatches.push("encodeFrames differs from the oracle frames");
  const scan = core.scanFrames(frameCase.frames, 0);
  if (scan.frames.length !== frameCase.payloads.length || scan.stop !== "End") {
    mismatches.push(`scan of the oracle frames found ${scan.frames.length} of ${frameCase.payloads.length}, stop ${scan.stop}`);
  }
}

interface InstantiationWorkers {
  readonly count: number;
  readonly instantiations: number;
  readonly progress: Int32Array;
  readonly exited: Promise<void>;
}

function startInstantiationWorkers(core: Core, count: number, instantiations: number): InstantiationWorkers {
  const progress = new SharedArrayBuffer(3 * 4);
  const exits: Array<Promise<void>> = [];
  for (let w = 0; w < count; w++) {
    const arena = core.allocateRegion(ARENA_SIZE);
    const data: InstantiationWorkerData = {
      memory: core.memory,
      module: coreModule(),
      arena: { ptr: arena.ptr, sizeBytes: arena.sizeBytes },
      instantiations,
      progress,
    };
    const worker = new Worker(new URL("./instantiation-worker.js", import.meta.url), { workerData: data });
    exits.push(new Promise((resolve, reject) => {
      worker.once("error", reject);
      worker.once("exit", () => resolve());
    }));
  }
  return { count, instantiations, progress: new Int32Array(progress), exited: Promise.all(exits).then(() => undefined) };
}
