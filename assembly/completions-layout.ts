// The completion table's memory layout and its one-line accessors (DESIGN section 4
// "completions"; the rules that use them are in completions.ts).
//
// The host assigns one region of completionsTableSize(opsMax, filesMax) bytes; the core never
// allocates. One thread owns a table (the log's I/O thread): nothing here is atomic.
//
// ╒════════════════════════════ Table layout ═════════════════════════════╕
//   0          HEADER_SIZE          + filesMax × FILE_SIZE       + opsMax × SLOT_SIZE
// ├──────────┼──────────────────────┼──────────────────────────────┤
// │  header  │ files[filesMax]      │ slots[opsMax]                │
// └──────────┴──────────────────────┴──────────────────────────────┘
//
// ╒════════════════════════ Header (64 bytes) ════════════════════════════╕
//   0       4        8         12         16                24        28      64
// ├───────┼────────┼─────────┼──────────┼─────────────────┼─────────┼───────┤
// │ magic │ opsMax │filesMax │slotsUsed │ nextToken u64   │ pending │ zero  │
// └───────┴────────┴─────────┴──────────┴─────────────────┴─────────┴───────┘
// slotsUsed counts every occupied slot (pending ops, and writes that completed but wait for an
// earlier write of their file); pending counts ops submitted and not yet completed.
//
// ╒═════════════════════════ File (48 bytes) ═════════════════════════════╕
//   0              8              16             24     28     32      36  37  38  48
// ├──────────────┼──────────────┼──────────────┼──────┼──────┼───────┼───┼───┼────┤
// │ prefixEnd    │ synced       │ failCap      │ write│ write│pending│ st│ F │zero│
// │ u64          │ Position u64 │ u64          │ Head │ Tail │ Ops   │   │   │    │
// └──────────────┴──────────────┴──────────────┴──────┴──────┴───────┴───┴───┴────┘
// prefixEnd: the greatest end among the longest registration-order prefix of this file's writes
// that all completed successfully. failCap: U64 max until an op fails, then the position the file
// is trusted up to (see completions.ts). writeHead/writeTail: the file's writes in registration
// order, linked through the slots' `next`. st: FILE_STATE_*. F: 1 once any op on the file failed.
//
// ╒═════════════════════════ Slot (40 bytes) ═════════════════════════════╕
//   0              8              16             24     28     32   33   34    40
// ├──────────────┼──────────────┼──────────────┼──────┼──────┼────┼────┼─────┤
// │ token u64    │ start u64 or │ end u64      │ file │ next │kind│ st │ zero│
// │ (0: free)    │ boundary u64 │ (writes)     │ u32  │ u32  │ u8 │ u8 │     │
// └──────────────┴──────────────┴──────────────┴──────┴──────┴────┴────┴─────┘
// A token's slot is token % opsMax, so a completion finds its op in O(1); registering skips
// counter values whose slot is still taken (those values are never issued).

// @ts-ignore: decorator
@inline export const COMPLETIONS_MAGIC: u32 = 0x4c504d43; // "CMPL" little-endian
// @ts-ignore: decorator
@inline export const COMPLETIONS_OPS_MAX: u32 = 1 << 16;
// @ts-ignore: decorator
@inline export const COMPLETIONS_FILES_MAX: u32 = 1 << 12;
// @ts-ignore: decorator
@inline export const NONE: u32 = 0xffffffff;

// @ts-ignore: decorator
@inline export const HEADER_MAGIC: usize = 0;
// @ts-ignore: decorator
@inline export const HEADER_OPS_MAX: usize = HEADER_MAGIC + 4;
// @ts-ignore: decorator
@inline export const HEADER_FILES_MAX: usize = HEADER_OPS_MAX + 4;
// @ts-ignore: decorator
@inline export const HEADER_SLOTS_USED: usize = HEADER_FILES_MAX + 4;
// @ts-ignore: decorator
@inline export const HEADER_NEXT_TOKEN: usize = HEADER_SLOTS_USED + 4;
// @ts-ignore: decorator
@inline export const HEADER_PENDING: usize = HEADER_NEXT_TOKEN + 8;
// @ts-ignore: decorator
@inline const HEADER_END: usize = HEADER_PENDING + 4;
// @ts-ignore: decorator
@inline export const HEADER_SIZE: usize = 64;

// @ts-ignore: decorator
@inline export const FILE_PREFIX_END: usize = 0;
// @ts-ignore: decorator
@inline export const FILE_SYNCED: usize = FILE_PREFIX_END + 8;
// @ts-ignore: decorator
@inline export const FILE_FAIL_CAP: usize = FILE_SYNCED + 8;
// @ts-ignore: decorator
@inline export const FILE_WRITE_HEAD: usize = FILE_FAIL_CAP + 8;
// @ts-ignore: decorator
@inline export const FILE_WRITE_TAIL: usize = FILE_WRITE_HEAD + 4;
// @ts-ignore: decorator
@inline export const FILE_PENDING_OPS: usize = FILE_WRITE_TAIL + 4;
// @ts-ignore: decorator
@inline export const FILE_STATE: usize = FILE_PENDING_OPS + 4;
// @ts-ignore: decorator
@inline export const FILE_FAILED: usize = FILE_STATE + 1;
// @ts-ignore: decorator
@inline const FILE_END: usize = FILE_FAILED + 1;
// @ts-ignore: decorator
@inline export const FILE_SIZE: usize = 48;

// @ts-ignore: decorator
@inline export const SLOT_TOKEN: usize = 0;
// @ts-ignore: decorator
@inline export const SLOT_START: usize = SLOT_TOKEN + 8; // a datasync's boundary lives here
// @ts-ignore: decorator
@inline export const SLOT_END: usize = SLOT_START + 8;
// @ts-ignore: decorator
@inline export const SLOT_FILE: usize = SLOT_END + 8;
// @ts-ignore: decorator
@inline export const SLOT_NEXT: usize = SLOT_FILE + 4;
// @ts-ignore: decorator
@inline export const SLOT_KIND: usize = SLOT_NEXT + 4;
// @ts-ignore: decorator
@inline export const SLOT_STATE: usize = SLOT_KIND + 1;
// @ts-ignore: decorator
@inline const SLOT_END_OF_FIELDS: usize = SLOT_STATE + 1;
// @ts-ignore: decorator
@inline export const SLOT_SIZE: usize = 40;

/** File states. A file takes ops only while OPEN; it can be opened again once CLOSED and idle. */
// @ts-ignore: decorator
@inline export const FILE_STATE_UNUSED: u8 = 0;
// @ts-ignore: decorator
@inline export const FILE_STATE_OPEN: u8 = 1;
// @ts-ignore: decorator
@inline export const FILE_STATE_CLOSING: u8 = 2;
// @ts-ignore: decorator
@inline export const FILE_STATE_CLOSED: u8 = 3;

/** Op kinds. */
// @ts-ignore: decorator
@inline export const KIND_WRITE: u8 = 1;
// @ts-ignore: decorator
@inline export const KIND_DATASYNC: u8 = 2;
// @ts-ignore: decorator
@inline export const KIND_CLOSE: u8 = 3;

/** Slot states. DONE: a write that succeeded and waits for an earlier write of its file. ORPHAN:
 * a pending write that can never count, because an earlier write of its file failed. */
// @ts-ignore: decorator
@inline export const SLOT_FREE: u8 = 0;
// @ts-ignore: decorator
@inline export const SLOT_PENDING: u8 = 1;
// @ts-ignore: decorator
@inline export const SLOT_DONE: u8 = 2;
// @ts-ignore: decorator
@inline export const SLOT_ORPHAN: u8 = 3;

// Every field fits before the next structure starts, and structures keep u64 fields aligned.
assert(HEADER_END <= HEADER_SIZE);
assert(FILE_END <= FILE_SIZE);
assert(SLOT_END_OF_FIELDS <= SLOT_SIZE);
assert(HEADER_SIZE % 8 == 0 && FILE_SIZE % 8 == 0 && SLOT_SIZE % 8 == 0);
// Slot indices and NONE share the u32 `next` and head/tail fields: no index may equal NONE.
assert(COMPLETIONS_OPS_MAX < NONE);
// The largest table stays below i32.MAX_VALUE bytes, so the host sees its size as a plain number.
assert(<u64>HEADER_SIZE + <u64>COMPLETIONS_FILES_MAX * FILE_SIZE + <u64>COMPLETIONS_OPS_MAX * SLOT_SIZE
  <= <u64>i32.MAX_VALUE);

// @ts-ignore: decorator
@inline export function opsMaxOf(table: usize): u32 {
  return load<u32>(table, HEADER_OPS_MAX);
}

// @ts-ignore: decorator
@inline export function filesMaxOf(table: usize): u32 {
  return load<u32>(table, HEADER_FILES_MAX);
}

/** The state of file `file` (checked against filesMax by the caller). */
// @ts-ignore: decorator
@inline export function fileAt(table: usize, file: u32): usize {
  return table + HEADER_SIZE + <usize>file * FILE_SIZE;
}

/** Slot `slot` (below opsMax). */
// @ts-ignore: decorator
@inline export function slotAt(table: usize, slot: u32): usize {
  return table + HEADER_SIZE + <usize>filesMaxOf(table) * FILE_SIZE + <usize>slot * SLOT_SIZE;
}

// @ts-ignore: decorator
@inline export function addToHeader(table: usize, field: usize, delta: i32): void {
  store<u32>(table + field, <u32>(<i32>load<u32>(table + field) + delta));
}
