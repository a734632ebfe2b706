// One gathered write, whole: a short write is continued with its rest at the advanced offset until
// every byte is written or a write fails. Shared by the log's I/O loop and the store's.
//
// A short write is not an error by itself. On a filling ext4, a pwritev writes what still fits
// and returns its count (seen on an 8 MiB ext4 with 1 KiB blocks: 1316 of 4108 bytes, up to a
// block boundary); the write of the rest is the one that fails, with ENOSPC. A write that returns
// 0 bytes and no errno makes no progress and cannot be continued.
//
// The completion table fails a file at a short completion (its cap drops to the write's start),
// so each short part is held and completed only once the rest's fate is known: with its whole
// length when the rest was written (its range then is written, by more than one call), with the
// bytes it wrote when the rest failed. Each pass writes at least one byte; SHORT_PARTS_MAX bounds
// the passes and the table slots the held parts take.
import { assert } from "../assert.js";
import { CompletionOutcome } from "../core/index.js";
import { type IoCompletion, type IoFile, type StorageIo } from "./storage-io.js";

/**
 * Short parts one write may hold before it fails as one that makes no progress. A kernel
 * shortens a write at most a few times (at the disk's last blocks, or on a signal); the table
 * has IO_LIMITS_DEFAULT.opsMax = 1024 slots, and a turn's other ops take a handful.
 */
const SHORT_PARTS_MAX = 64;

interface ShortPart {
  readonly token: bigint;
  readonly length: number;
  readonly written: number;
}

/**
 * Writes `buffers` at `position` of `file`, whole. Resolves null once every byte is written, or
 * with the completion that failed (errno "" when a write made no progress). The caller owns the
 * rollback: nothing here truncates. No other op of `io` may be in flight meanwhile.
 */
export async function writeWhole(io: StorageIo, file: IoFile, buffers: readonly Uint8Array[], position: number): Promise<IoCompletion | null> {
  const held: ShortPart[] = [];
  let rest: readonly Uint8Array[] = buffers;
  let at = position;
  for (;;) {
    const length = byteLengthOf(rest);
    const completion = await writeOnce(io, file, rest, at);
    const progressed = completion.errno === "" && completion.result > 0 && completion.result < length;
    if (progressed && held.length < SHORT_PARTS_MAX) {
      held.push({ token: completion.token, length, written: completion.result });
      rest = buffersAfter(rest, completion.result);
      at += completion.result;
      continue;
    }
    const outcome = io.completions.complete(completion.token, completion.result);
    for (const part of held) {
      const partOutcome = io.completions.complete(part.token, outcome === CompletionOutcome.Ok ? part.length : part.written);
      assert(outcome !== CompletionOutcome.Ok || partOutcome === CompletionOutcome.Ok, "a short part whose rest was written completes");
    }
    return outcome === CompletionOutcome.Ok ? null : completion;
  }
}

/** Submits one gathered write and returns its completion (the only op in flight). */
async function writeOnce(io: StorageIo, file: IoFile, buffers: readonly Uint8Array[], position: number): Promise<IoCompletion> {
  const token = io.submitWrite(file, buffers, position);
  assert(token !== null, "the completion table has room for a write");
  io.flush();
  const arrived: IoCompletion[] = [];
  while (arrived.length === 0) {
    await io.awaitCompletion();
    io.pollCompletions(arrived);
  }
  const completion = arrived[0];
  assert(arrived.length === 1 && completion !== undefined && completion.token === token, "the write's own completion arrives");
  return completion;
}

export function byteLengthOf(buffers: readonly Uint8Array[]): number {
  let length = 0;
  for (const buffer of buffers) length += buffer.byteLength;
  return length;
}

/** The buffers past their first `skip` bytes (views, no copy); skip < their total length. */
function buffersAfter(buffers: readonly Uint8Array[], skip: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  let left = skip;
  for (const buffer of buffers) {
    if (left >= buffer.byteLength) {
      left -= buffer.byteLength;
      continue;
    }
    rest.push(left === 0 ? buffer : buffer.subarray(left));
    left = 0;
  }
  assert(left === 0 && rest.length > 0, "a short write leaves a rest");
  return rest;
}
