// Helpers for the simulator's tests: a seeded disk, ops driven to completion, byte patterns, and
// failure messages that carry the seed and the trace's last lines (replay with SPACELOG_SEED).
import { expect } from "chai";
import { Prng } from "../../host/sim/prng.js";
import { SimDisk, type SimDone } from "../../host/sim/sim-disk.js";
import { type SimDiskOptions, type SimHandle } from "../../host/sim/sim-file-system.js";

export const TRACE_LINES_KEPT = 40;

export function seededDisk(seed: number, options: Partial<Omit<SimDiskOptions, "prng">> = {}): SimDisk {
  return new SimDisk({ prng: new Prng(seed), traceLinesMax: TRACE_LINES_KEPT, ...options });
}

/**
 * Runs `check` and, if it throws, rethrows with the seed and the disk's recent trace in the
 * message, so a failure in any test names what replays it.
 */
export function withSeed<T>(seed: number, disk: SimDisk | null, check: () => T): T {
  try {
    return check();
  } catch (error) {
    const trace = disk === null ? "" : `\n  recent trace:\n    ${disk.traceLines().join("\n    ")}`;
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`sim seed ${seed} (replay: SPACELOG_SEED=${seed}): ${message}${trace}`, { cause: error });
  }
}

/** withSeed for an async check. */
export async function withSeedAsync<T>(seed: number, disk: SimDisk | null, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    return withSeed(seed, disk, () => {
      throw error;
    });
  }
}

/** Seeds for example-style tests: SPACELOG_SEED pins one, else `count` fixed ones. */
export function testSeeds(count: number, base = 1): number[] {
  const env = typeof process !== "undefined" ? process.env["SPACELOG_SEED"] : undefined;
  if (env !== undefined) return [Number(env)];
  return Array.from({ length: count }, (_, i) => base + i);
}

export interface Outcome {
  result: number;
  errno: string;
}

/** A completion slot filled by the op's callback. */
export function outcomeSlot(): { outcome: Outcome | null; done: SimDone } {
  const slot: { outcome: Outcome | null; done: SimDone } = {
    outcome: null,
    done: (result, errno) => {
      slot.outcome = { result, errno };
    },
  };
  return slot;
}

/** Steps the disk until every op in flight has completed. */
export function runToIdle(disk: SimDisk): void {
  for (let budget = disk.inFlightCount(); budget > 0 && disk.step(); budget--);
  expect(disk.inFlightCount(), "no op left in flight").to.equal(0);
}

export function writeAndWait(disk: SimDisk, handle: SimHandle, bytes: Uint8Array, position: number): Outcome {
  const slot = outcomeSlot();
  disk.submitWrite(handle, [bytes], position, slot.done);
  while (slot.outcome === null) expect(disk.step(), "the write is in flight").to.equal(true);
  return slot.outcome;
}

export function datasyncAndWait(disk: SimDisk, handle: SimHandle): Outcome {
  const slot = outcomeSlot();
  disk.submitDatasync(handle, slot.done);
  while (slot.outcome === null) expect(disk.step(), "the datasync is in flight").to.equal(true);
  return slot.outcome;
}

export function filled(length: number, value: number): Uint8Array {
  return new Uint8Array(length).fill(value);
}

export function text(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

/** Bytes from a seeded PRNG. */
export function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  new Prng(seed).fill(out);
  return out;
}

/** Applies writes to a byte image, growing it as a file grows (holes are zeros). */
export function applyWrites(base: Uint8Array, writes: ReadonlyArray<{ offset: number; bytes: Uint8Array }>): Uint8Array {
  let image = base;
  for (const { offset, bytes } of writes) {
    if (offset + bytes.byteLength > image.byteLength) {
      const grown = new Uint8Array(offset + bytes.byteLength);
      grown.set(image);
      image = grown;
    } else {
      image = image.slice();
    }
    image.set(bytes, offset);
  }
  return image;
}

export function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
