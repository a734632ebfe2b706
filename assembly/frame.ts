// Encoding and scanning frames (layout in frame-format.ts, prose in docs/FORMAT.md).
//
// Encode works in place: the host has already placed each payload at its frame's offset + 8; the
// core writes the length and the CRC. Frames in a batch are contiguous, in order.
//
// Scan walks the headers first (cheap, sequential), then verifies CRCs four frames at a time, so
// the table loads of four frames overlap. Only frames before the first failure are reported.

import { crc32c, crc32cTables, crcTableRaw, crcTableRaw4, crcUsesSparse, crcWordRaw } from "./crc32";
import {
  ENCODE_ERROR_LENGTH, ENCODE_ERROR_TOTAL, FRAME_CRC_OFFSET, FRAME_HEADER_SIZE, FRAME_LENGTH_OFFSET, FRAME_PAYLOAD_MAX,
  FRAME_PAYLOAD_OFFSET, SCAN_RECORD_SIZE, SCAN_STOP_CRC, SCAN_STOP_END, SCAN_STOP_LENGTH,
  SCAN_STOP_OUTPUT_FULL, SCAN_STOP_TORN, SCAN_STOP_ZERO_TAIL,
} from "./frame-format";
import { scratchPointer } from "./scratch";

// The four lockstep registers live at the start of scratch, after the CRC ring's region would
// end: offset 8 KiB + 64 keeps them clear of the ring (crc32.ts uses [0, 8 KiB)).
// @ts-ignore: decorator
@inline const LANES_OFFSET: usize = 8192 + 64;

/** CRC of one frame whose length word is already stored: the length bytes, then the payload. */
function frameCrcOne(frame: usize, payloadLength: u32, seed: u32): u32 {
  const tables = crc32cTables();
  const lengthWord = load<u32>(frame, FRAME_LENGTH_OFFSET);
  const afterLength = ~crcWordRaw(tables, lengthWord, ~seed);
  return crc32c(frame + FRAME_PAYLOAD_OFFSET, payloadLength, afterLength);
}

/**
 * CRCs of four frames (length words already stored) into `out` (4 x u32), with the common prefix
 * of their payloads in lockstep. Frames long enough for the sparse method go one by one.
 */
function frameCrcFour(f0: usize, f1: usize, f2: usize, f3: usize, seed: u32, out: usize): void {
  const l0 = load<u32>(f0), l1 = load<u32>(f1), l2 = load<u32>(f2), l3 = load<u32>(f3);
  const shortest = min(min(l0, l1), min(l2, l3));
  if (crcUsesSparse(<usize>max(max(l0, l1), max(l2, l3)))) {
    store<u32>(out, frameCrcOne(f0, l0, seed), 0);
    store<u32>(out, frameCrcOne(f1, l1, seed), 4);
    store<u32>(out, frameCrcOne(f2, l2, seed), 8);
    store<u32>(out, frameCrcOne(f3, l3, seed), 12);
    return;
  }
  const tables = crc32cTables();
  const start = ~seed;
  store<u32>(out, crcWordRaw(tables, l0, start), 0);
  store<u32>(out, crcWordRaw(tables, l1, start), 4);
  store<u32>(out, crcWordRaw(tables, l2, start), 8);
  store<u32>(out, crcWordRaw(tables, l3, start), 12);
  const common = <usize>(shortest & ~7);
  crcTableRaw4(tables, f0 + FRAME_PAYLOAD_OFFSET, f1 + FRAME_PAYLOAD_OFFSET, f2 + FRAME_PAYLOAD_OFFSET,
    f3 + FRAME_PAYLOAD_OFFSET, common, out);
  const p = FRAME_PAYLOAD_OFFSET + common;
  store<u32>(out, ~crcTableRaw(tables, f0 + p, <usize>l0 - common, load<u32>(out, 0)), 0);
  store<u32>(out, ~crcTableRaw(tables, f1 + p, <usize>l1 - common, load<u32>(out, 4)), 4);
  store<u32>(out, ~crcTableRaw(tables, f2 + p, <usize>l2 - common, load<u32>(out, 8)), 8);
  store<u32>(out, ~crcTableRaw(tables, f3 + p, <usize>l3 - common, load<u32>(out, 12)), 12);
}

/**
 * Encodes `count` contiguous frames starting at `buf`: lengths[i] (u32 array) is frame i's payload
 * length, and its payload is already at its offset + 8. Writes each length and CRC. Returns the
 * total bytes of the batch, or a negative ENCODE_ERROR_* code (nothing written): a length of 0 or over
 * FRAME_PAYLOAD_MAX, or a batch of 2 GiB or more (more than the core's memory can hold).
 */
export function frameEncodeBatch(buf: usize, lengths: usize, count: u32, seed: u32): i32 {
  let total: u64 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const length = load<u32>(lengths + (<usize>i << 2));
    if (length == 0 || length > FRAME_PAYLOAD_MAX) return ENCODE_ERROR_LENGTH;
    total += <u64>FRAME_HEADER_SIZE + length;
  }
  if (total > <u64>i32.MAX_VALUE) return ENCODE_ERROR_TOTAL;
  let frame = buf;
  for (let i: u32 = 0; i < count; i++) {
    const length = load<u32>(lengths + (<usize>i << 2));
    store<u32>(frame, length, FRAME_LENGTH_OFFSET);
    frame += FRAME_HEADER_SIZE + length;
  }
  const lanes = scratchPointer() + LANES_OFFSET;
  frame = buf;
  let i: u32 = 0;
  for (; i + 4 <= count; i += 4) {
    const f0 = frame;
    const f1 = f0 + FRAME_HEADER_SIZE + load<u32>(f0);
    const f2 = f1 + FRAME_HEADER_SIZE + load<u32>(f1);
    const f3 = f2 + FRAME_HEADER_SIZE + load<u32>(f2);
    frameCrcFour(f0, f1, f2, f3, seed, lanes);
    store<u32>(f0, load<u32>(lanes, 0), FRAME_CRC_OFFSET);
    store<u32>(f1, load<u32>(lanes, 4), FRAME_CRC_OFFSET);
    store<u32>(f2, load<u32>(lanes, 8), FRAME_CRC_OFFSET);
    store<u32>(f3, load<u32>(lanes, 12), FRAME_CRC_OFFSET);
    frame = f3 + FRAME_HEADER_SIZE + load<u32>(f3);
  }
  for (; i < count; i++) {
    const length = load<u32>(frame);
    store<u32>(frame, frameCrcOne(frame, length, seed), FRAME_CRC_OFFSET);
    frame += FRAME_HEADER_SIZE + length;
  }
  return <i32>total;
}

/** True if every byte of [p, end) is zero. */
function allZero(p: usize, end: usize): bool {
  while (p + 8 <= end) {
    if (load<u64>(p) != 0) return false;
    p += 8;
  }
  while (p < end) {
    if (load<u8>(p) != 0) return false;
    p++;
  }
  return true;
}

/**
 * The structural walk: records each frame whose header is sane and whose payload fits, up to
 * `capacity`. Returns the count; stores the stop offset and reason at `result`.
 */
function scanHeaders(buf: usize, len: usize, out: usize, capacity: u32, result: usize): u32 {
  let offset: usize = 0;
  let count: u32 = 0;
  let reason = SCAN_STOP_END;
  while (offset < len) {
    const left = len - offset;
    if (left < FRAME_HEADER_SIZE) {
      // A header cut short is a torn tail, unless what is there is the zero-filled end.
      reason = allZero(buf + offset, buf + len) ? SCAN_STOP_ZERO_TAIL : SCAN_STOP_TORN;
      break;
    }
    const length = load<u32>(buf + offset, FRAME_LENGTH_OFFSET);
    if (length == 0) {
      // Writers never write a zero length; zeros to the end are the unwritten tail.
      reason = allZero(buf + offset, buf + len) ? SCAN_STOP_ZERO_TAIL : SCAN_STOP_LENGTH;
      break;
    }
    if (length > FRAME_PAYLOAD_MAX) { reason = SCAN_STOP_LENGTH; break; }
    if (<usize>length > left - FRAME_HEADER_SIZE) { reason = SCAN_STOP_TORN; break; }
    if (count == capacity) { reason = SCAN_STOP_OUTPUT_FULL; break; }
    const record = out + <usize>count * SCAN_RECORD_SIZE;
    store<u32>(record, <u32>offset, 0);
    store<u32>(record, length, 4);
    store<u32>(record, load<u8>(buf + offset, FRAME_PAYLOAD_OFFSET), 8);
    store<u32>(record, load<u32>(buf + offset, FRAME_CRC_OFFSET), 12);
    count++;
    offset += FRAME_HEADER_SIZE + <usize>length;
  }
  store<u32>(result, <u32>offset, 0);
  store<u32>(result, reason, 4);
  return count;
}

/** Cuts the scan result at frame `index`, whose CRC failed. */
function scanStopAtCrc(out: usize, index: u32, result: usize): u32 {
  store<u32>(result, load<u32>(out + <usize>index * SCAN_RECORD_SIZE, 0), 0);
  store<u32>(result, SCAN_STOP_CRC, 4);
  return index;
}

/**
 * Scans [buf, buf+len) for frames sealed with `seed`. Writes one 16-byte record per valid frame
 * to `out` (at most `capacity`), and the stop offset and reason (SCAN_STOP_*) to `result`.
 * Returns the number of valid frames. Never traps on any bytes.
 */
export function frameScan(buf: usize, len: usize, seed: u32, out: usize, capacity: u32, result: usize): u32 {
  const count = scanHeaders(buf, len, out, capacity, result);
  const lanes = scratchPointer() + LANES_OFFSET;
  let i: u32 = 0;
  for (; i + 4 <= count; i += 4) {
    const r = out + <usize>i * SCAN_RECORD_SIZE;
    frameCrcFour(buf + load<u32>(r, 0), buf + load<u32>(r, SCAN_RECORD_SIZE), buf + load<u32>(r, 2 * SCAN_RECORD_SIZE),
      buf + load<u32>(r, 3 * SCAN_RECORD_SIZE), seed, lanes);
    for (let k: u32 = 0; k < 4; k++) {
      const stored = load<u32>(r + <usize>k * SCAN_RECORD_SIZE, 12);
      if (load<u32>(lanes + (<usize>k << 2)) != stored) return scanStopAtCrc(out, i + k, result);
    }
  }
  for (; i < count; i++) {
    const r = out + <usize>i * SCAN_RECORD_SIZE;
    const frame = buf + load<u32>(r, 0);
    if (frameCrcOne(frame, load<u32>(r, 4), seed) != load<u32>(r, 12)) return scanStopAtCrc(out, i, result);
  }
  return count;
}
