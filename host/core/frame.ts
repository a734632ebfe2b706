// Frame encoding and scanning wrappers (core: assembly/frame.ts).
import { assert } from "../assert.js";
import { InvalidArgumentError } from "../errors.js";
import { type CoreContext, requireExport } from "./core-context.js";
import {
  ENCODE_ERROR_LENGTH, FRAME_HEADER_SIZE, FRAME_PAYLOAD_MAX, SCAN_RECORD_SIZE, SCAN_RESULT_SIZE,
  type ScanStopName, checkFrameFormat, scanStopName,
} from "./frame-format.js";
import { type Ptr, asPtr } from "./pointer.js";

type EncodeFn = (buf: number, lengths: number, count: number, seed: number) => number;
type ScanFn = (buf: number, len: number, seed: number, out: number, capacity: number, result: number) => number;

export interface FrameExports {
  frameEncodeBatch: EncodeFn;
  frameScan: ScanFn;
}

export function bindFrameExports(exports: WebAssembly.Exports): FrameExports {
  checkFrameFormat(exports);
  return {
    frameEncodeBatch: requireExport<EncodeFn>(exports, "frameEncodeBatch"),
    frameScan: requireExport<ScanFn>(exports, "frameScan"),
  };
}

export interface ScannedFrame {
  /** Offset of the frame's first byte in the scanned buffer. */
  readonly offset: number;
  readonly payloadLength: number;
  /** The payload's first byte: the entry type. */
  readonly type: number;
}

export interface FrameScan {
  readonly frames: ScannedFrame[];
  /** The first offset not covered by a valid frame. */
  readonly stopOffset: number;
  readonly stop: ScanStopName;
}

export function checkFrameSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InvalidArgumentError(`a frame seed is a u32; got ${seed}`);
  }
  return seed;
}

export function checkPayloadLength(length: number): void {
  if (length < 1 || length > FRAME_PAYLOAD_MAX) {
    throw new InvalidArgumentError(`a frame payload is 1..${FRAME_PAYLOAD_MAX} bytes (type byte included); got ${length}`);
  }
}

/** Encodes payloads (each starting with its type byte) into one contiguous run of frames. */
export function encodeFrames(ctx: CoreContext, fns: FrameExports, payloads: readonly Uint8Array[], seed: number): Uint8Array {
  checkFrameSeed(seed);
  let total = 0;
  for (const payload of payloads) {
    checkPayloadLength(payload.byteLength);
    total += FRAME_HEADER_SIZE + payload.byteLength;
  }
  const lengthsBytes = payloads.length * 4;
  const region = ctx.input(total + lengthsBytes);
  const lengthsPtr = asPtr(region.ptr + total);
  const u8 = ctx.u8;
  const lengths = ctx.dataView(lengthsPtr, lengthsBytes);
  let offset: number = region.ptr;
  payloads.forEach((payload, i) => {
    u8.set(payload, offset + FRAME_HEADER_SIZE);
    lengths.setUint32(i * 4, payload.byteLength, true);
    offset += FRAME_HEADER_SIZE + payload.byteLength;
  });
  const written = fns.frameEncodeBatch(region.ptr, lengthsPtr, payloads.length, seed);
  assert(written === total, `frameEncodeBatch wrote ${written} bytes, expected ${total}`);
  return ctx.u8.slice(region.ptr, region.ptr + total);
}

/** The hot path: frames in place at `buf`, payload lengths at `lengthsPtr` (u32 each). */
export function encodeFramesAt(fns: FrameExports, buf: Ptr, lengthsPtr: Ptr, count: number, seed: number): number {
  const written = fns.frameEncodeBatch(buf, lengthsPtr, count, checkFrameSeed(seed));
  if (written === ENCODE_ERROR_LENGTH) throw new InvalidArgumentError(`a frame payload length is 0 or over ${FRAME_PAYLOAD_MAX}`);
  if (written < 0) throw new InvalidArgumentError("the frame batch is larger than the core's memory");
  return written;
}

/** Scans bytes (copied in) and returns every valid frame and why scanning stopped. */
export function scanFrames(ctx: CoreContext, fns: FrameExports, bytes: Uint8Array, seed: number): FrameScan {
  checkFrameSeed(seed);
  // A frame takes at least 9 bytes, so this capacity never runs out.
  const capacity = Math.floor(bytes.byteLength / (FRAME_HEADER_SIZE + 1)) + 1;
  const outBytes = capacity * SCAN_RECORD_SIZE;
  const dataBytes = bytes.byteLength + ((64 - (bytes.byteLength % 64)) % 64);
  const region = ctx.input(dataBytes + outBytes + SCAN_RESULT_SIZE);
  ctx.u8.set(bytes, region.ptr);
  const out = asPtr(region.ptr + dataBytes);
  const result = asPtr(out + outBytes);
  const count = fns.frameScan(region.ptr, bytes.byteLength, seed, out, capacity, result);
  return readScan(ctx, out, count, result);
}

/** Reads the records and result a frameScan call left in memory. */
export function readScan(ctx: CoreContext, out: Ptr, count: number, result: Ptr): FrameScan {
  const records = ctx.dataView(out, count * SCAN_RECORD_SIZE);
  const frames: ScannedFrame[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * SCAN_RECORD_SIZE;
    frames.push({
      offset: records.getUint32(at, true),
      payloadLength: records.getUint32(at + 4, true),
      type: records.getUint32(at + 8, true),
    });
  }
  const resultView = ctx.dataView(result, SCAN_RESULT_SIZE);
  return { frames, stopOffset: resultView.getUint32(0, true), stop: scanStopName(resultView.getUint32(4, true)) };
}
