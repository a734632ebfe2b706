// A random workload on a bare SimDisk (no core, no I/O of its own), for trace-hash tests: several
// files, appends in flight together, datasyncs, steps, directory changes, faults, crashes and
// reopens. Everything it does is decided by the seed, so its trace hash is a function of the seed.
import { IoError } from "../../host/errors.js";
import { Prng } from "../../host/sim/prng.js";
import { CRASH_MODELS } from "../../host/sim/sim-crash.js";
import { SimDisk } from "../../host/sim/sim-disk.js";
import { type SimHandle } from "../../host/sim/sim-file-system.js";

const FILES = ["/log/a", "/log/b", "/log/c"] as const;

interface OpenFile {
  readonly path: string;
  readonly handle: SimHandle;
  end: number;
  inFlight: number;
}

/** Runs `rounds` rounds of random ops with a crash after each round; returns the trace hash. */
export function traceWorkload(seed: number, rounds = 4, opsPerRound = 60): bigint {
  const disk = new SimDisk({
    prng: new Prng(seed),
    faults: { writeEioProbability: 0.02, writeShortProbability: 0.02, datasyncEioProbability: 0.02, readEioProbability: 0.02, bitFlipAtCrashProbability: 0.2 },
  });
  const choose = new Prng(seed).fork("workload");
  disk.mkdir("/log");
  disk.syncDirectory("/");
  for (let round = 0; round < rounds; round++) {
    const files: OpenFile[] = FILES.map((path) => {
      const handle = disk.open(path, { create: true });
      return { path, handle, end: disk.size(handle), inFlight: 0 };
    });
    for (let i = 0; i < opsPerRound; i++) runOne(disk, choose, files);
    if (choose.chance(0.5)) disk.syncDirectory("/log");
    if (choose.chance(0.3)) disk.rename("/log/c", `/log/c${round}`);
    disk.crash(choose.pick(CRASH_MODELS));
  }
  return disk.traceHash();
}

function runOne(disk: SimDisk, choose: Prng, files: OpenFile[]): void {
  const file = choose.pick(files);
  const action = choose.below(10);
  if (action < 4) {
    const length = choose.between(1, 900);
    const bytes = new Uint8Array(length);
    choose.fill(bytes);
    file.inFlight++;
    disk.submitWrite(file.handle, [bytes], file.end, () => {
      file.inFlight--;
    });
    file.end += length;
  } else if (action < 6) {
    disk.submitDatasync(file.handle, () => {});
  } else if (action < 9) {
    disk.step();
  } else if (file.inFlight === 0) {
    readAll(disk, file);
  }
}

/** Reads the file; a read fault is part of the workload, anything else is a bug. */
function readAll(disk: SimDisk, file: OpenFile): void {
  try {
    disk.readAt(file.handle, new Uint8Array(disk.size(file.handle)), 0);
  } catch (error) {
    if (!(error instanceof IoError && error.errno === "EIO")) throw error;
  }
}

/** Seeds whose hashes every runtime must agree on (one above 2^32). */
export const TRACE_SEEDS = [1, 2, 3, 1234567, 2 ** 40 + 5] as const;

export function traceHashes(): string[] {
  return TRACE_SEEDS.map((seed) => traceWorkload(seed).toString(16));
}
