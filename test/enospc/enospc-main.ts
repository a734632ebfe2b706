// The disk-full stage (npm run test:enospc; test/stages/enospc.sh makes the file system): on a
// small real ext4, concurrent writers append with durability "sync" until the disk is full.
// Per case (preallocation on and off, 128 B and 4 KiB entries, the I/O thread and in-process):
//   1. the failure every writer sees is DiskFullError (StoreFailedError caused by one for calls
//      made after the log failed), never IoError EIO "a log write was short";
//   2. a reopen replays every acknowledged entry with its exact bytes, LSNs 1..n with no hole;
//   3. with the rest of the disk filled to the last byte by another file, a reopen still opens
//      the log, replays all of it, and closes.
// Usage: node dist/test/enospc/enospc-main.js <directory on a small, empty file system>
import * as fs from "node:fs";
import * as path from "node:path";
import { DiskFullError, StoreFailedError } from "../../host/errors.js";
import { type Log, type LogOptions, openLog } from "../../host/wal/index.js";
import { decodeStageEntry, stageEntryBytes } from "../stages/stage-entries.js";

interface FullCase {
  readonly name: string;
  readonly preallocate: boolean;
  readonly entrySizeBytes: number;
  readonly ioThread: boolean;
}

const WRITERS = 32;

const CASES: readonly FullCase[] = [true, false].flatMap((ioThread) =>
  [true, false].flatMap((preallocate) =>
    [128, 4096].map((entrySizeBytes) => ({
      name: `${ioThread ? "thread" : "in-process"} preallocate=${preallocate ? "on" : "off"} ${entrySizeBytes === 128 ? "128 B" : "4 KiB"}`,
      preallocate,
      entrySizeBytes,
      ioThread,
    }))));

interface FillResult {
  /** Acknowledged LSN -> the counter whose bytes it holds. */
  readonly acked: Map<bigint, number>;
  readonly errors: Error[];
  readonly firstError: Error | null;
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const errno = "errno" in error ? ` errno=${String(error.errno)}` : "";
  const cause = error.cause instanceof Error ? ` (cause: ${errorText(error.cause)})` : "";
  return `${error.name}${errno} "${error.message}"${cause}`;
}

/** Appends from WRITERS concurrent writers until every one of them has failed. */
async function fill(log: Log, round: number, testCase: FullCase, countMax: number): Promise<FillResult> {
  const acked = new Map<bigint, number>();
  const errors: Error[] = [];
  let firstError: Error | null = null;
  let next = 0;
  await Promise.all(Array.from({ length: WRITERS }, async () => {
    while (next < countMax) {
      const counter = next++;
      try {
        // A call may throw instead of rejecting (a failed log refuses calls): both count.
        const lsn = await Promise.resolve().then(() => log.append(stageEntryBytes(round, counter, testCase.entrySizeBytes)));
        acked.set(lsn, counter);
      } catch (error) {
        const caught = error instanceof Error ? error : new Error(String(error));
        firstError ??= caught;
        errors.push(caught);
        return;
      }
    }
  }));
  return { acked, errors, firstError };
}

/** A full-disk failure: DiskFullError, or the StoreFailedError of a later call caused by one. */
function isDiskFull(error: Error): boolean {
  if (error instanceof DiskFullError) return true;
  return error instanceof StoreFailedError && error.cause instanceof DiskFullError;
}

/** Replays the log; checks LSNs 1..n and every acknowledged entry's bytes. Returns n. */
async function checkReplay(log: Log, round: number, testCase: FullCase, acked: ReadonlyMap<bigint, number>, problems: string[]): Promise<number> {
  let lsn = 0n;
  for await (const record of log.replay()) {
    if (record.lsn !== lsn + 1n) {
      problems.push(`LSN ${record.lsn} follows ${lsn}: a hole`);
      return Number(lsn);
    }
    lsn = record.lsn;
    const bytes = record.entry.type === "raw" ? record.entry.bytes : new Uint8Array(0);
    const id = decodeStageEntry(bytes);
    if (id === null || id.round !== round || bytes.byteLength !== testCase.entrySizeBytes) problems.push(`entry ${lsn} is not one the writers made`);
    const counter = acked.get(lsn);
    if (counter !== undefined && (id === null || id.counter !== counter)) problems.push(`acknowledged entry ${lsn} (counter ${counter}) holds other bytes`);
  }
  if (lsn !== log.nextLsn - 1n) problems.push(`replay yielded ${lsn} entries; recovery counted ${log.nextLsn - 1n}`);
  for (const ackedLsn of acked.keys()) if (ackedLsn > lsn) problems.push(`acknowledged entry ${ackedLsn} is missing`);
  return Number(lsn);
}

/** Fills the file system to its last byte with one file (halving the chunk at each ENOSPC). */
function fillDisk(file: string): number {
  const fd = fs.openSync(file, "w");
  let total = 0;
  try {
    for (let chunk = 1 << 20; chunk >= 1;) {
      try {
        total += fs.writeSync(fd, new Uint8Array(chunk), 0, chunk, total);
      } catch (error) {
        if (!(typeof error === "object" && error !== null && "code" in error && error.code === "ENOSPC")) throw error;
        chunk >>= 1;
      }
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return total;
}

async function runCase(root: string, round: number, testCase: FullCase): Promise<string[]> {
  const problems: string[] = [];
  const dir = path.join(root, `log-${round}`);
  const filler = path.join(root, `filler-${round}`);
  const options: LogOptions = { durability: "sync", preallocate: testCase.preallocate, ioThread: testCase.ioThread };
  const started = Date.now();
  const free = fs.statfsSync(root);
  const countMax = Math.ceil((2 * free.bavail * free.bsize) / testCase.entrySizeBytes) + 1000;
  const log = await openLog(dir, options);
  const { acked, errors, firstError } = await fill(log, round, testCase, countMax);
  await log.close().catch((error: unknown) => problems.push(`close after the failure: ${errorText(error)}`));
  // The log's failure: the first error a writer caught, or its cause when that writer's call
  // came after the log had failed (StoreFailedError, caused by the failure itself).
  const failure = firstError instanceof StoreFailedError && firstError.cause instanceof Error ? firstError.cause : firstError;
  if (failure === null) problems.push(`${countMax} appends and no failure: the disk never filled`);
  else if (!(failure instanceof DiskFullError)) problems.push(`the log failed with ${errorText(failure)}, not DiskFullError`);
  const others = errors.filter((error) => !isDiskFull(error));
  for (const error of others.slice(0, 3)) problems.push(`a writer saw ${errorText(error)}`);
  const again = await openLog(dir, options);
  const replayed = await checkReplay(again, round, testCase, acked, problems);
  await again.close();
  const fillerBytes = fillDisk(filler);
  const left = fs.statfsSync(root);
  let fullReplayed = -1;
  try {
    const onFull = await openLog(dir, options);
    fullReplayed = await checkReplay(onFull, round, testCase, acked, problems);
    await onFull.close();
  } catch (error) {
    problems.push(`on the 100% full disk (${left.bavail} blocks free): ${errorText(error)}`);
  }
  fs.rmSync(filler);
  fs.rmSync(dir, { recursive: true });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `enospc: ${testCase.name}: ${acked.size} acknowledged, ${replayed} replayed after the failure, ` +
      `${fullReplayed} replayed on the full disk (filler ${fillerBytes} B, ${left.bavail} blocks left); ` +
      `the log's failure: ${failure === null ? "none" : errorText(failure)}; ` +
      `${errors.length} writers failed, ${errors.length - others.length} with a disk-full error; ${seconds} s`,
  );
  return problems;
}

async function main(): Promise<void> {
  const root = process.argv[2];
  if (root === undefined) throw new Error("usage: enospc-main.js <directory on a small empty file system>");
  let failed = 0;
  for (const [index, testCase] of CASES.entries()) {
    const problems = await runCase(root, index + 1, testCase);
    for (const problem of problems) console.log(`enospc: FAIL ${testCase.name}: ${problem}`);
    if (problems.length > 0) failed++;
  }
  console.log(`enospc: ${CASES.length - failed} of ${CASES.length} cases passed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

await main();
