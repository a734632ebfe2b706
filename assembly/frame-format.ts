// Frame layout, shared by the encoder and the scanner; the host mirrors these numbers in
// host/core/frame-format.ts and checks them against the core's exported copies when it loads.
// docs/FORMAT.md ("Frames") is the prose for every number here.
//
//   0         4         8                      8 + payloadLength
//   +---------+---------+----------+-----------+
//   | length  |  crc    | type u8  | body ...  |
//   | u32 LE  |  u32 LE |          |           |
//   +---------+---------+----------+-----------+
//             \________ payload (length bytes) _/
//
// crc = CRC-32C over the 4 length bytes and then the payload, continued from the file's frame
// seed (a u32 derived from the segment's identity and generation; docs/FORMAT.md). Covering the
// length means a corrupted length is caught (LevelDB's CRC leaves it out); seeding means a frame
// left over from an earlier generation of the same file never verifies.

// @ts-ignore: decorator
@inline export const FRAME_LENGTH_OFFSET: usize = 0;
// @ts-ignore: decorator
@inline export const FRAME_CRC_OFFSET: usize = FRAME_LENGTH_OFFSET + 4;
// @ts-ignore: decorator
@inline export const FRAME_PAYLOAD_OFFSET: usize = FRAME_CRC_OFFSET + 4;
// @ts-ignore: decorator
@inline export const FRAME_HEADER_SIZE: usize = FRAME_PAYLOAD_OFFSET;
/** The largest payload a frame may carry: 16 MiB. A larger length is corruption, not a torn tail. */
// @ts-ignore: decorator
@inline export const FRAME_PAYLOAD_MAX: u32 = 1 << 24;

// Why scanning stopped (ScanStop). Each value's comment says whether recovery treats it as the
// clean end, a torn tail, or possible corruption; the host's recovery table makes the final call
// by looking for valid frames after the stop.
/** The buffer was consumed exactly: the clean end. */
// @ts-ignore: decorator
@inline export const SCAN_STOP_END: u32 = 0;
/** A zero length at a frame boundary and only zeros after it: the pre-allocated or unwritten end. */
// @ts-ignore: decorator
@inline export const SCAN_STOP_ZERO_TAIL: u32 = 1;
/** A header cut short, or a payload running past the end: the writer died mid-frame (torn tail). */
// @ts-ignore: decorator
@inline export const SCAN_STOP_TORN: u32 = 2;
/** The CRC does not match: a torn or corrupted frame; "length" itself may be wrong, so stop here. */
// @ts-ignore: decorator
@inline export const SCAN_STOP_CRC: u32 = 3;
/** Length over FRAME_PAYLOAD_MAX, or zero with non-zero bytes after it: not something a writer writes. */
// @ts-ignore: decorator
@inline export const SCAN_STOP_LENGTH: u32 = 4;
/** The caller's output array is full; scanning may resume at the stop offset. */
// @ts-ignore: decorator
@inline export const SCAN_STOP_OUTPUT_FULL: u32 = 5;

// One scanned frame in the caller's output array: 16 bytes.
//   +0 offset u32 (of the frame's first byte in the buffer)  +4 payloadLength u32
//   +8 type u32 (the payload's first byte)                    +12 crc u32 (as stored)
// @ts-ignore: decorator
@inline export const SCAN_RECORD_SIZE: usize = 16;
// The scan result written at the caller's `result` pointer: stopOffset u32, reason u32.
// @ts-ignore: decorator
@inline export const SCAN_RESULT_SIZE: usize = 8;

/** Error code from frameEncodeBatch: a payload length of 0 or over FRAME_PAYLOAD_MAX. */
// @ts-ignore: decorator
@inline export const ENCODE_ERROR_LENGTH: i32 = -1;
/** Error code from frameEncodeBatch: the batch's total size does not fit an i32. */
// @ts-ignore: decorator
@inline export const ENCODE_ERROR_TOTAL: i32 = -2;

// Exported copies for the host's load-time check (globals cost nothing on the hot path).
export const frameHeaderSize: u32 = <u32>FRAME_HEADER_SIZE;
export const framePayloadMax: u32 = FRAME_PAYLOAD_MAX;
export const scanRecordSize: u32 = <u32>SCAN_RECORD_SIZE;
