// I/O completion bookkeeping (DESIGN section 4 "completions"): one token space for every submitted
// op (write, datasync, close), a fixed table of pending ops, and per-file written and synced
// positions. A state machine: it never does I/O, it takes submissions and completions and answers
// with tokens, codes and positions. The layout is drawn in completions-layout.ts.
//
// Tokens come from one u64 counter, start at 1, and are never 0 and never reused, whatever the op
// kind (the originals drew write and sync tokens from two counters that collided).
//
// Positions, per file:
// - written position: the greatest end among the longest registration-order prefix of the file's
//   writes that all completed successfully. Writes may complete in any order: with writes A [0,100)
//   and B [100,200) registered in that order, B completing first leaves the written position
//   where it was; A completing then moves it to 200.
// - a datasync records the written position at its submission as its boundary. Its successful
//   completion moves syncedPosition to max(syncedPosition, boundary) and never further: a write
//   that completed after the datasync was submitted is not known to be covered by it.
//
// Failures are reported, never counted as done, and they fail the file (F = 1) with a cap, the
// position the file is trusted up to from then on. Written and synced positions never pass it:
// - a failed or short write: the cap is the write's start (its bytes and everything registered
//   after it are in doubt); writes registered before it still count once they complete;
// - a failed datasync or close: the cap is syncedPosition at that moment. After a failed fsync the
//   kernel may have dropped dirty pages and a later fsync can succeed without writing them, so no
//   later datasync may move the synced position (DESIGN section 5: never retry an fsync).
//
// A full table is a normal result: registering returns 0 and the caller decides.

import {
  COMPLETIONS_FILES_MAX, COMPLETIONS_MAGIC, COMPLETIONS_OPS_MAX, FILE_FAIL_CAP, FILE_FAILED, FILE_PENDING_OPS,
  FILE_PREFIX_END, FILE_SIZE, FILE_STATE, FILE_STATE_CLOSED, FILE_STATE_CLOSING, FILE_STATE_OPEN,
  FILE_STATE_UNUSED, FILE_SYNCED, FILE_WRITE_HEAD, FILE_WRITE_TAIL, HEADER_FILES_MAX, HEADER_MAGIC,
  HEADER_NEXT_TOKEN, HEADER_OPS_MAX, HEADER_PENDING, HEADER_SIZE, HEADER_SLOTS_USED, KIND_CLOSE,
  KIND_DATASYNC, KIND_WRITE, NONE, SLOT_DONE, SLOT_END, SLOT_FILE, SLOT_FREE, SLOT_KIND, SLOT_NEXT,
  SLOT_ORPHAN, SLOT_PENDING, SLOT_SIZE, SLOT_START, SLOT_STATE, SLOT_TOKEN, addToHeader, fileAt,
  filesMaxOf, opsMaxOf, slotAt,
} from "./completions-layout";

// Codes of registration and queries (negative; a registration's positive result is its token).
// @ts-ignore: decorator
@inline const COMPLETIONS_TABLE_INVALID: i32 = -1; // no table here: wrong magic, or never initialised
// @ts-ignore: decorator
@inline const COMPLETIONS_FILE_OUT_OF_RANGE: i32 = -2; // file index >= filesMax
// @ts-ignore: decorator
@inline const COMPLETIONS_FILE_NOT_OPEN: i32 = -3; // never opened, or closed
// @ts-ignore: decorator
@inline const COMPLETIONS_FILE_CLOSING: i32 = -4; // a close was registered: no more ops
// @ts-ignore: decorator
@inline const COMPLETIONS_RANGE_INVALID: i32 = -5; // a write with end <= start
// @ts-ignore: decorator
@inline const COMPLETIONS_FILE_BUSY: i32 = -6; // opening a file that is open or has pending ops
// @ts-ignore: decorator
@inline const COMPLETIONS_CAPACITY_INVALID: i32 = -7; // opsMax or filesMax is 0 or above its maximum

// Outcomes of completionsComplete.
// @ts-ignore: decorator
@inline const COMPLETION_OK: i32 = 0;
// @ts-ignore: decorator
@inline const COMPLETION_WRITE_FAILED: i32 = 1; // negative errno
// @ts-ignore: decorator
@inline const COMPLETION_WRITE_SHORT: i32 = 2; // 0 <= bytes < end - start
// @ts-ignore: decorator
@inline const COMPLETION_DATASYNC_FAILED: i32 = 3;
// @ts-ignore: decorator
@inline const COMPLETION_CLOSE_FAILED: i32 = 4;
// @ts-ignore: decorator
@inline const COMPLETION_UNKNOWN_TOKEN: i32 = 5; // never issued, or already completed: nothing changed
// A result no kernel returns (a write of more bytes than asked, a positive datasync or close
// result): the op is failed like a failure of its kind, and reported apart so the backend's bug shows.
// @ts-ignore: decorator
@inline const COMPLETION_RESULT_INVALID: i32 = 6;

// Tokens stay below 2^63 so that a registration returns them as a positive i64. At 10^9 tokens a
// second that is 292 years; the counter refuses (a full table) rather than wrap.
// @ts-ignore: decorator
@inline const TOKEN_MAX: u64 = <u64>i64.MAX_VALUE;

/** Bytes of a table for `opsMax` ops and `filesMax` files; 0 if either is 0 or above its maximum. */
export function completionsTableSize(opsMax: u32, filesMax: u32): usize {
  if (opsMax == 0 || opsMax > COMPLETIONS_OPS_MAX) return 0;
  if (filesMax == 0 || filesMax > COMPLETIONS_FILES_MAX) return 0;
  return HEADER_SIZE + <usize>filesMax * FILE_SIZE + <usize>opsMax * SLOT_SIZE;
}

/** Zeroes a table of completionsTableSize(opsMax, filesMax) bytes at `table`. Returns 0 or a code. */
export function completionsInit(table: usize, opsMax: u32, filesMax: u32): i32 {
  const size = completionsTableSize(opsMax, filesMax);
  if (size == 0) return COMPLETIONS_CAPACITY_INVALID;
  memory.fill(table, 0, size);
  store<u32>(table, opsMax, HEADER_OPS_MAX);
  store<u32>(table, filesMax, HEADER_FILES_MAX);
  store<u64>(table, 1, HEADER_NEXT_TOKEN); // token 0 means "none" (a full table)
  for (let f: u32 = 0; f < filesMax; f++) {
    store<u32>(fileAt(table, f), NONE, FILE_WRITE_HEAD);
    store<u32>(fileAt(table, f), NONE, FILE_WRITE_TAIL);
  }
  store<u32>(table, COMPLETIONS_MAGIC, HEADER_MAGIC); // last: a half-initialised table is invalid
  return 0;
}

// @ts-ignore: decorator
@inline function tableValid(table: usize): bool {
  return load<u32>(table, HEADER_MAGIC) == COMPLETIONS_MAGIC;
}

/** 0 if ops may be registered on `file`, else a negative code. */
function fileAcceptsOps(table: usize, file: u32): i32 {
  if (!tableValid(table)) return COMPLETIONS_TABLE_INVALID;
  if (file >= filesMaxOf(table)) return COMPLETIONS_FILE_OUT_OF_RANGE;
  const state = load<u8>(fileAt(table, file), FILE_STATE);
  if (state == FILE_STATE_CLOSING) return COMPLETIONS_FILE_CLOSING;
  if (state != FILE_STATE_OPEN) return COMPLETIONS_FILE_NOT_OPEN;
  return 0;
}

/**
 * Starts tracking `file` at `position` (both positions start there: what a recovered segment
 * already holds). The file must be unused or closed, with no pending ops. Returns 0 or a code.
 */
export function completionsOpenFile(table: usize, file: u32, position: u64): i32 {
  if (!tableValid(table)) return COMPLETIONS_TABLE_INVALID;
  if (file >= filesMaxOf(table)) return COMPLETIONS_FILE_OUT_OF_RANGE;
  const f = fileAt(table, file);
  const state = load<u8>(f, FILE_STATE);
  if (state != FILE_STATE_UNUSED && state != FILE_STATE_CLOSED) return COMPLETIONS_FILE_BUSY;
  if (load<u32>(f, FILE_PENDING_OPS) != 0) return COMPLETIONS_FILE_BUSY;
  // A closed file's leftover writes all completed, so none is linked any more.
  assert(load<u32>(f, FILE_WRITE_HEAD) == NONE);
  store<u64>(f, position, FILE_PREFIX_END);
  store<u64>(f, position, FILE_SYNCED);
  store<u64>(f, u64.MAX_VALUE, FILE_FAIL_CAP);
  store<u8>(f, FILE_STATE_OPEN, FILE_STATE);
  store<u8>(f, 0, FILE_FAILED);
  return 0;
}

/**
 * Takes a free slot for a new op and returns its token, or 0 if the table is full. The slot is
 * token % opsMax: starting at the next counter value, values whose slot is taken are skipped.
 * Among any opsMax consecutive values every slot appears once, so a free slot is found within
 * opsMax steps whenever one exists.
 */
function takeSlot(table: usize, file: u32, kind: u8, start: u64, end: u64): u64 {
  const opsMax = opsMaxOf(table);
  if (load<u32>(table, HEADER_SLOTS_USED) >= opsMax) return 0;
  let token = load<u64>(table, HEADER_NEXT_TOKEN);
  for (let probes: u32 = 0; ; probes++) {
    assert(probes < opsMax); // slotsUsed < opsMax guarantees a free slot
    if (token > TOKEN_MAX - opsMax) return 0;
    if (load<u8>(slotAt(table, <u32>(token % opsMax)), SLOT_STATE) == SLOT_FREE) break;
    token++;
  }
  const s = slotAt(table, <u32>(token % opsMax));
  store<u64>(s, token, SLOT_TOKEN);
  store<u64>(s, start, SLOT_START);
  store<u64>(s, end, SLOT_END);
  store<u32>(s, file, SLOT_FILE);
  store<u32>(s, NONE, SLOT_NEXT);
  store<u8>(s, kind, SLOT_KIND);
  store<u8>(s, SLOT_PENDING, SLOT_STATE);
  store<u64>(table, token + 1, HEADER_NEXT_TOKEN);
  addToHeader(table, HEADER_SLOTS_USED, 1);
  addToHeader(table, HEADER_PENDING, 1);
  const f = fileAt(table, file);
  store<u32>(f, load<u32>(f, FILE_PENDING_OPS) + 1, FILE_PENDING_OPS);
  return token;
}

/**
 * Registers a write of [start, end) to `file`. Returns its token (> 0), 0 if the table is full,
 * or a negative code. A write registered after the file failed gets a token but never counts.
 */
export function completionsRegisterWrite(table: usize, file: u32, start: u64, end: u64): i64 {
  const refused = fileAcceptsOps(table, file);
  if (refused != 0) return refused;
  if (end <= start) return COMPLETIONS_RANGE_INVALID;
  const token = takeSlot(table, file, KIND_WRITE, start, end);
  if (token == 0) return 0;
  const f = fileAt(table, file);
  const slot = <u32>(token % opsMaxOf(table));
  if (load<u8>(f, FILE_FAILED) != 0) {
    store<u8>(slotAt(table, slot), SLOT_ORPHAN, SLOT_STATE);
    return <i64>token;
  }
  const tail = load<u32>(f, FILE_WRITE_TAIL);
  if (tail == NONE) store<u32>(f, slot, FILE_WRITE_HEAD);
  else store<u32>(slotAt(table, tail), slot, SLOT_NEXT);
  store<u32>(f, slot, FILE_WRITE_TAIL);
  return <i64>token;
}

/** The written position of an open file: the completed prefix's end, never past the failure cap. */
// @ts-ignore: decorator
@inline function writtenOf(f: usize): u64 {
  return min(load<u64>(f, FILE_PREFIX_END), load<u64>(f, FILE_FAIL_CAP));
}

/**
 * Registers a datasync of `file`, recording the file's written position now as its boundary.
 * Returns its token (> 0), 0 if the table is full, or a negative code.
 */
export function completionsRegisterDatasync(table: usize, file: u32): i64 {
  const refused = fileAcceptsOps(table, file);
  if (refused != 0) return refused;
  const boundary = writtenOf(fileAt(table, file));
  return <i64>takeSlot(table, file, KIND_DATASYNC, boundary, 0);
}

/**
 * Registers a close of `file`; no op may be registered on it afterwards. Returns its token (> 0),
 * 0 if the table is full, or a negative code.
 */
export function completionsRegisterClose(table: usize, file: u32): i64 {
  const refused = fileAcceptsOps(table, file);
  if (refused != 0) return refused;
  const token = takeSlot(table, file, KIND_CLOSE, 0, 0);
  if (token != 0) store<u8>(fileAt(table, file), FILE_STATE_CLOSING, FILE_STATE);
  return <i64>token;
}

/** Returns slot `slot` to the free pool. */
function freeSlot(table: usize, slot: u32): void {
  const s = slotAt(table, slot);
  store<u64>(s, 0, SLOT_TOKEN);
  store<u8>(s, SLOT_FREE, SLOT_STATE);
  addToHeader(table, HEADER_SLOTS_USED, -1);
}

/** Fails the file and lowers its cap to `cap`. */
// @ts-ignore: decorator
@inline function failFile(f: usize, cap: u64): void {
  store<u8>(f, 1, FILE_FAILED);
  store<u64>(f, min(load<u64>(f, FILE_FAIL_CAP), cap), FILE_FAIL_CAP);
}

/**
 * Retires completed writes from the head of the file's list while they are DONE, moving the
 * prefix end: the written position advances only over a gap-free run of completed writes.
 */
function advancePrefix(table: usize, f: usize): void {
  let head = load<u32>(f, FILE_WRITE_HEAD);
  let prefixEnd = load<u64>(f, FILE_PREFIX_END);
  while (head != NONE) {
    const s = slotAt(table, head);
    if (load<u8>(s, SLOT_STATE) != SLOT_DONE) break;
    prefixEnd = max(prefixEnd, load<u64>(s, SLOT_END));
    const next = load<u32>(s, SLOT_NEXT);
    freeSlot(table, head);
    head = next;
  }
  store<u64>(f, prefixEnd, FILE_PREFIX_END);
  store<u32>(f, head, FILE_WRITE_HEAD);
  if (head == NONE) store<u32>(f, NONE, FILE_WRITE_TAIL);
}

/**
 * A write of the file failed at slot `failed` (linked in the file's list): unlinks it and every
 * later write. Later writes that completed are freed; pending ones become ORPHANs, which their
 * completion frees. Earlier writes stay linked and still count when they complete.
 */
function cutWritesFrom(table: usize, f: usize, failed: u32): void {
  let previous = NONE;
  let at = load<u32>(f, FILE_WRITE_HEAD);
  while (at != failed) {
    assert(at != NONE); // a linked slot is on its file's list
    previous = at;
    at = load<u32>(slotAt(table, at), SLOT_NEXT);
  }
  if (previous == NONE) store<u32>(f, NONE, FILE_WRITE_HEAD);
  else store<u32>(slotAt(table, previous), NONE, SLOT_NEXT);
  store<u32>(f, previous, FILE_WRITE_TAIL);
  at = load<u32>(slotAt(table, failed), SLOT_NEXT);
  freeSlot(table, failed);
  while (at != NONE) {
    const s = slotAt(table, at);
    const next = load<u32>(s, SLOT_NEXT);
    store<u32>(s, NONE, SLOT_NEXT);
    if (load<u8>(s, SLOT_STATE) == SLOT_DONE) freeSlot(table, at);
    else store<u8>(s, SLOT_ORPHAN, SLOT_STATE);
    at = next;
  }
}

/** A write's completion: `result` is the bytes written or a negative errno. */
function completeWrite(table: usize, f: usize, slot: u32, result: i64): i32 {
  const s = slotAt(table, slot);
  const start = load<u64>(s, SLOT_START);
  const length = load<u64>(s, SLOT_END) - start;
  let outcome = COMPLETION_OK;
  if (result < 0) outcome = COMPLETION_WRITE_FAILED;
  else if (<u64>result < length) outcome = COMPLETION_WRITE_SHORT;
  else if (<u64>result > length) outcome = COMPLETION_RESULT_INVALID;
  const orphan = load<u8>(s, SLOT_STATE) == SLOT_ORPHAN;
  if (outcome != COMPLETION_OK) failFile(f, start);
  if (orphan) {
    freeSlot(table, slot);
  } else if (outcome != COMPLETION_OK) {
    cutWritesFrom(table, f, slot);
  } else {
    store<u8>(s, SLOT_DONE, SLOT_STATE);
    advancePrefix(table, f);
  }
  return outcome;
}

/** A datasync's or a close's completion: `result` is 0 or a negative errno. */
function completeSyncOrClose(table: usize, f: usize, slot: u32, result: i64): i32 {
  const s = slotAt(table, slot);
  const kind = load<u8>(s, SLOT_KIND);
  const boundary = load<u64>(s, SLOT_START);
  freeSlot(table, slot);
  let outcome = COMPLETION_OK;
  if (result < 0) outcome = kind == KIND_DATASYNC ? COMPLETION_DATASYNC_FAILED : COMPLETION_CLOSE_FAILED;
  else if (result > 0) outcome = COMPLETION_RESULT_INVALID;
  if (kind == KIND_CLOSE) store<u8>(f, FILE_STATE_CLOSED, FILE_STATE);
  if (outcome != COMPLETION_OK) {
    failFile(f, load<u64>(f, FILE_SYNCED));
  } else if (kind == KIND_DATASYNC) {
    const reached = min(boundary, load<u64>(f, FILE_FAIL_CAP));
    store<u64>(f, max(load<u64>(f, FILE_SYNCED), reached), FILE_SYNCED);
  }
  return outcome;
}

/**
 * Records the completion of `token` with `result` (bytes written for a write; 0 for a datasync or
 * a close; a negative errno for a failure). Returns a COMPLETION_ outcome, or a negative code.
 */
export function completionsComplete(table: usize, token: u64, result: i64): i32 {
  if (!tableValid(table)) return COMPLETIONS_TABLE_INVALID;
  if (token == 0 || token >= load<u64>(table, HEADER_NEXT_TOKEN)) return COMPLETION_UNKNOWN_TOKEN;
  const slot = <u32>(token % opsMaxOf(table));
  const s = slotAt(table, slot);
  if (load<u64>(s, SLOT_TOKEN) != token) return COMPLETION_UNKNOWN_TOKEN;
  const state = load<u8>(s, SLOT_STATE);
  if (state != SLOT_PENDING && state != SLOT_ORPHAN) return COMPLETION_UNKNOWN_TOKEN; // completed before
  const file = load<u32>(s, SLOT_FILE);
  const f = fileAt(table, file);
  addToHeader(table, HEADER_PENDING, -1);
  store<u32>(f, load<u32>(f, FILE_PENDING_OPS) - 1, FILE_PENDING_OPS);
  if (load<u8>(s, SLOT_KIND) == KIND_WRITE) return completeWrite(table, f, slot, result);
  return completeSyncOrClose(table, f, slot, result);
}

/** The file's written position (see the header); 0 for a file index out of range. */
export function completionsWrittenPosition(table: usize, file: u32): u64 {
  if (!tableValid(table) || file >= filesMaxOf(table)) return 0;
  return writtenOf(fileAt(table, file));
}

/** The file's synced (durable) position; 0 for a file index out of range. */
export function completionsSyncedPosition(table: usize, file: u32): u64 {
  if (!tableValid(table) || file >= filesMaxOf(table)) return 0;
  return load<u64>(fileAt(table, file), FILE_SYNCED);
}

/** The file's state (FILE_STATE_*) in bits 0-7, and 256 if it failed; or a negative code. */
export function completionsFileState(table: usize, file: u32): i32 {
  if (!tableValid(table)) return COMPLETIONS_TABLE_INVALID;
  if (file >= filesMaxOf(table)) return COMPLETIONS_FILE_OUT_OF_RANGE;
  const f = fileAt(table, file);
  return <i32>load<u8>(f, FILE_STATE) | (<i32>load<u8>(f, FILE_FAILED) << 8);
}

/** Ops submitted and not yet completed; or a negative code. */
export function completionsPendingCount(table: usize): i32 {
  if (!tableValid(table)) return COMPLETIONS_TABLE_INVALID;
  return <i32>load<u32>(table, HEADER_PENDING);
}

/** Occupied slots: pending ops plus completed writes waiting for an earlier write; or a negative code. */
export function completionsSlotsInUse(table: usize): i32 {
  if (!tableValid(table)) return COMPLETIONS_TABLE_INVALID;
  return <i32>load<u32>(table, HEADER_SLOTS_USED);
}
