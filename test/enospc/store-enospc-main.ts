// The disk-full stage for the store (run by test/stages/enospc.sh after the log's cases): on the
// same small real ext4, concurrent writers put with durability "sync" (seals starting on their
// own) until the disk is full. Per case (the I/O thread or in-process, preallocation on or off):
//   1. the failure every writer sees is DiskFullError (or the StoreFailedError of a call made
//      after the store failed, caused by it), never a bare IoError;
//   2. a reopen finds every acknowledged put with its exact bytes at its revision, and its
//      history runs 1..snapshot().revision (every revision a put made, none missing).
// Usage: node dist/test/enospc/store-enospc-main.js <directory on a small, empty file system>
import * as fs from "node:fs";
import * as path from "node:path";
import { DiskFullError, StoreFailedError } from "../../host/errors.js";
import { open, type Store, type StoreOptions } from "../../host/store/index.js";

interface StoreFullCase {
  readonly name: string;
  readonly ioThread: boolean;
  readonly preallocate: boolean;
}

const CASES: readonly StoreFullCase[] = [
  { name: "store, thread, preallocate=on", ioThread: true, preallocate: true },
  { name: "store, in-process, preallocate=off", ioThread: false, preallocate: false },
];
const WRITERS = 32;
const VALUE_BYTES = 1000;
const SPACE = "full";

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const errno = "errno" in error ? ` errno=${String(error.errno)}` : "";
  const cause = error.cause instanceof Error ? ` (cause: ${errorText(error.cause)})` : "";
  return `${error.name}${errno} "${error.message}"${cause}`;
}

function isDiskFull(error: Error): boolean {
  return error instanceof DiskFullError || (error instanceof StoreFailedError && error.cause instanceof DiskFullError);
}

/** The value of put number `counter`: its counter in the first 4 bytes, then a pattern of it. */
function valueOf(counter: number): Uint8Array {
  const bytes = new Uint8Array(VALUE_BYTES);
  new DataView(bytes.buffer).setUint32(0, counter, true);
  for (let i = 4; i < bytes.byteLength; i++) bytes[i] = (counter * 31 + i) & 0xff;
  return bytes;
}

function pointOf(counter: number): number[] {
  return [counter & 0xff, (counter >> 8) & 0xff, (counter >> 16) & 0xff];
}

async function runCase(root: string, index: number, testCase: StoreFullCase): Promise<string[]> {
  const problems: string[] = [];
  const dir = path.join(root, `store-${index}`);
  const options: StoreOptions = { durability: "sync", ioThread: testCase.ioThread, preallocate: testCase.preallocate, sealRecords: 3000 };
  const started = Date.now();
  const store = await open(dir, options);
  await store.createSpace(SPACE, { dims: 3, bits: 8 });
  const acked = new Map<bigint, number>();
  const errors: Error[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: WRITERS }, async () => {
    while (next < 1 << 20) {
      const counter = next++;
      try {
        acked.set(await store.put(SPACE, pointOf(counter), valueOf(counter)), counter);
      } catch (error) {
        errors.push(error instanceof Error ? error : new Error(String(error)));
        return;
      }
    }
  }));
  await store.close().catch((error: unknown) => problems.push(`close after the failure: ${errorText(error)}`));
  const first = errors[0];
  const failure = first instanceof StoreFailedError && first.cause instanceof Error ? first.cause : first;
  if (failure === undefined) problems.push("no write failed: the disk never filled");
  else if (!(failure instanceof DiskFullError)) problems.push(`the store failed with ${errorText(failure)}, not DiskFullError`);
  for (const error of errors.filter((e) => !isDiskFull(e)).slice(0, 3)) problems.push(`a writer saw ${errorText(error)}`);

  let checked = 0;
  let revision = 0n;
  let seals = 0;
  let again: Store | null = null;
  try {
    again = await open(dir, options);
    revision = again.snapshot().revision;
    for (const [ackedRevision, counter] of acked) {
      if (ackedRevision > revision) {
        problems.push(`acknowledged revision ${ackedRevision} is above the reopened store's ${revision}`);
        continue;
      }
      const value = await again.get(SPACE, pointOf(counter), { revision: ackedRevision });
      const expected = valueOf(counter);
      if (value === undefined || value.byteLength !== expected.byteLength || value.some((byte, i) => byte !== expected[i])) {
        problems.push(`acknowledged put ${counter} (revision ${ackedRevision}) is missing or holds other bytes`);
        if (problems.length > 10) break;
      }
      checked++;
    }
    // Revision 1 is the space's definition; every later one is a put, and none is missing.
    let count = 0;
    for await (const found of again.query(SPACE, { min: [0, 0, 0], max: [255, 255, 255] })) count += found.revision > 0n ? 1 : 0;
    if (count !== Number(revision) - 1) problems.push(`the reopened store holds ${count} points at revision ${revision}, not ${Number(revision) - 1}`);
    seals = again.stats().recovery.blocks;
    await again.close();
  } catch (error) {
    problems.push(`the reopen after the failure: ${errorText(error)}`);
    await again?.close().catch(() => undefined);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`enospc: ${testCase.name}: ${acked.size} acknowledged, ${checked} checked after the reopen (revision ${revision}, ${seals} blocks); ` +
    `the store's failure: ${failure === undefined ? "none" : errorText(failure)}; ${errors.length} writers failed; ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return problems;
}

async function main(): Promise<void> {
  const root = process.argv[2];
  if (root === undefined) throw new Error("usage: store-enospc-main.js <directory on a small empty file system>");
  let failed = 0;
  for (const [index, testCase] of CASES.entries()) {
    const problems = await runCase(root, index + 1, testCase);
    for (const problem of problems) console.log(`enospc: FAIL ${testCase.name}: ${problem}`);
    if (problems.length > 0) failed++;
  }
  console.log(`enospc: ${CASES.length - failed} of ${CASES.length} store cases passed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

await main();
