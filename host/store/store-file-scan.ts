// Reading one hot segment or staging log back from its bytes: the header, the records of its
// verified frames, and what follows them, deciding torn tail against corruption (docs/FORMAT.md
// "Hot segments and staging", "Reading a store file"). Pure: the caller reads the file, and cuts
// or removes it as the result says.
//
// The rules, in the order they are applied (each is a test in test/store/store-file-scan.test.ts):
// - every byte 0, or none: "empty", a creation that never got its header;
// - under 64 bytes, or a header that does not verify: "torn", a header write cut short, unless
//   a frame verifying under the file's seed follows it or a sync mark after it proves bytes
//   durable. The header is fdatasynced before any frame is written, so then the header was
//   durable and is damaged: corruption;
// - a header that verifies but is not this file's (kind, space, generation, a rule of the log's
//   header): corruption. A writer wrote those 64 bytes whole, so this is never a torn write;
// - frames, walked by the core; a verified frame's payload must decode (decodeStoreRecord), a
//   sync mark must not claim bytes past itself, and a hot segment holds only its own space's puts
//   and deletes. A verified frame that breaks one was written whole: corruption;
// - the stop: nothing left is a clean end, zeros are preallocated or unwritten space, anything
//   else is a torn tail, unless a sync mark after it proves the stop's bytes were fdatasynced.
import { assert } from "../assert.js";
import { type Core, FRAME_HEADER_SIZE, type ScanStopName } from "../core/index.js";
import { CorruptionError } from "../errors.js";
import { type HeaderProblem, SEGMENT_HEADER_SIZE, type SegmentHeader, decodeSegmentHeader } from "../wal/segment-format.js";
import { durableProofAfter, scanSegmentFrames } from "../wal/segment-scan.js";
import { type StoreFileIdentity, assertStoreFileIdentity } from "./store-files.js";
import { type StoreRecord, decodeStoreRecord, isStoreRecordMalformed } from "./store-record.js";
import { type StoreHeaderMismatch, storeFrameSeed, storeHeaderMismatch } from "./store-segment.js";

/** A record of a verified frame; `offset` and `end` are the frame's, in the file. */
export interface ScannedStoreRecord {
  /** A put's value is a view of the scanned bytes, not a copy. */
  readonly record: StoreRecord;
  readonly offset: number;
  readonly end: number;
}

export type StoreFileTailKind = "clean" | "zero" | "torn";

export interface StoreFileScan {
  /** empty: no byte, or all 0. torn: a header write cut short (see the file's comment). */
  readonly header: "valid" | "empty" | "torn";
  /** The header's baseLsn: the store's next revision when the file was created (0n unless valid). */
  readonly baseRevision: bigint;
  /** Puts, deletes and space definitions of the verified frames, in file order; no sync marks. */
  readonly records: readonly ScannedStoreRecord[];
  /** Just past the last verified frame: 64 for a header-only file, 0 unless the header is valid. */
  readonly dataEnd: number;
  /** What follows dataEnd: nothing, zeros, or a torn frame; `bytes` = file size - `at`. */
  readonly tail: { readonly kind: StoreFileTailKind; readonly at: number; readonly bytes: number };
  /** The largest `durable` of a sync mark among the verified frames (0 if none); <= dataEnd. */
  readonly durableProven: number;
}

/**
 * Why a store file is corrupt (CorruptionError.reason): a header rule of the log's
 * (decodeSegmentHeader), a header of another file (StoreHeaderMismatch), or one of these:
 * "framesAfterBadHeader", "record" (a payload that does not decode), "syncMarkPastItself",
 * "durableFrame" (a stop a later sync mark proves durable), "spaceInHot", "foreignSpace".
 */
export type StoreFileProblem =
  | Exclude<HeaderProblem, "short" | "zero" | "checksum">
  | StoreHeaderMismatch
  | "framesAfterBadHeader" | "record" | "syncMarkPastItself" | "durableFrame" | "spaceInHot" | "foreignSpace";

function corruption(file: string, offset: number, reason: StoreFileProblem, detail: string): CorruptionError {
  return new CorruptionError(`corrupt store file: ${file} at offset ${offset}: ${reason} (${detail})`, file, offset, reason);
}

/** Scans a hot segment or staging log; throws CorruptionError naming `fileName` and the offset. */
export function scanStoreFile(core: Core, fileName: string, bytes: Uint8Array, expected: StoreFileIdentity): StoreFileScan {
  assertStoreFileIdentity(expected);
  if (bytes.every((b) => b === 0)) return withoutHeader("empty", bytes.byteLength);
  if (bytes.byteLength < SEGMENT_HEADER_SIZE) return withoutHeader("torn", bytes.byteLength);
  const seed = storeFrameSeed(core, expected);
  const header = decodeSegmentHeader(core, bytes);
  // "short" cannot come back (64 bytes or more); "zero" is 64 zero bytes with others after them.
  if (header === "zero" || header === "checksum" || header === "short") {
    refuseFramesAfterBadHeader(core, fileName, bytes, seed, header);
    return withoutHeader("torn", bytes.byteLength);
  }
  if (typeof header === "string") throw corruption(fileName, 0, header, `the header verifies but breaks a rule of the log's (${header})`);
  const mismatch = storeHeaderMismatch(header, expected);
  if (mismatch !== null) throw corruption(fileName, 0, mismatch, `the header verifies but is not ${describe(expected)}'s: ${describeHeader(header)}`);
  assert(header.frameSeed === seed, "a header of the expected kind, id and generation has the expected frame seed");
  return scanFrames(core, fileName, bytes, header, expected);
}

/** An empty file, or one whose header was torn: no records, nothing proven. */
function withoutHeader(header: "empty" | "torn", size: number): StoreFileScan {
  const kind: StoreFileTailKind = header === "torn" ? "torn" : size === 0 ? "clean" : "zero";
  return { header, baseRevision: 0n, records: [], dataEnd: 0, tail: { kind, at: 0, bytes: size }, durableProven: 0 };
}

/**
 * A header that does not verify is torn only if nothing after it shows the writer got past it:
 * the header is fdatasynced before the file's first frame is written, so a verified frame at 64
 * or a sync mark proving any byte durable means those 64 bytes were durable and are now damaged.
 */
function refuseFramesAfterBadHeader(core: Core, fileName: string, bytes: Uint8Array, seed: number, problem: HeaderProblem): void {
  const first = scanSegmentFrames(core, bytes.subarray(SEGMENT_HEADER_SIZE), seed).frames[0];
  if (first !== undefined) {
    const at = SEGMENT_HEADER_SIZE + first.offset;
    throw corruption(fileName, 0, "framesAfterBadHeader", `the header does not verify (${problem}), but the frame at offset ${at} verifies under the file's seed`);
  }
  if (durableProofAfter(core, bytes, SEGMENT_HEADER_SIZE, seed, 0n, 0n)) {
    throw corruption(fileName, 0, "framesAfterBadHeader", `the header does not verify (${problem}), but a later sync mark proves it was fdatasynced`);
  }
}

/** The frames after a valid header: their records, and the tail, proven durable or not. */
function scanFrames(core: Core, fileName: string, bytes: Uint8Array, header: SegmentHeader, expected: StoreFileIdentity): StoreFileScan {
  const scan = scanSegmentFrames(core, bytes.subarray(SEGMENT_HEADER_SIZE), header.frameSeed);
  const records: ScannedStoreRecord[] = [];
  let durableProven = 0;
  for (const frame of scan.frames) {
    const offset = SEGMENT_HEADER_SIZE + frame.offset;
    const end = offset + FRAME_HEADER_SIZE + frame.payloadLength;
    const decoded = decodeStoreRecord(bytes.subarray(offset + FRAME_HEADER_SIZE, end));
    if (isStoreRecordMalformed(decoded)) throw corruption(fileName, offset, "record", `${decoded.malformed}, at payload byte ${decoded.offsetInPayload}`);
    if (decoded.type === "sync-mark") {
      // A writer states only what was synced before it wrote the mark (as the log's recovery checks).
      if (decoded.durable > BigInt(offset)) throw corruption(fileName, offset, "syncMarkPastItself", `a sync mark at offset ${offset} claims ${decoded.durable} durable`);
      durableProven = Math.max(durableProven, Number(decoded.durable));
      continue;
    }
    refuseMisplaced(fileName, offset, decoded, expected);
    records.push({ record: decoded, offset, end });
  }
  const dataEnd = SEGMENT_HEADER_SIZE + scan.stopOffset;
  const tail = { kind: tailKindOf(scan.stop), at: dataEnd, bytes: bytes.byteLength - dataEnd };
  // A store file's marks hold file offsets, so the stream offset of byte 0 is 0.
  if (tail.kind === "torn" && durableProofAfter(core, bytes, dataEnd + 1, header.frameSeed, BigInt(dataEnd), 0n)) {
    throw corruption(fileName, dataEnd, "durableFrame", `${scan.stop} at offset ${dataEnd}, and a later sync mark proves the bytes there were fdatasynced`);
  }
  assert(tail.kind !== "clean" || tail.bytes === 0, "a clean end is the end of the file");
  assert(durableProven <= dataEnd, "every verified sync mark lies before dataEnd and claims nothing past itself");
  return { header: "valid", baseRevision: header.baseLsn, records, dataEnd, tail, durableProven };
}

/** A hot segment holds its own space's puts and deletes only: definitions go to staging. */
function refuseMisplaced(fileName: string, offset: number, record: StoreRecord, expected: StoreFileIdentity): void {
  if (expected.kind !== "hot") return;
  if (record.type === "space") throw corruption(fileName, offset, "spaceInHot", `a definition of space ${record.spaceId} (revision ${record.revision}) in a hot segment`);
  if (record.spaceId !== expected.spaceId) {
    throw corruption(fileName, offset, "foreignSpace", `a ${record.type} of space ${record.spaceId} (revision ${record.revision}) in space ${expected.spaceId}'s hot segment`);
  }
}

/**
 * The core's stop as a tail. ZeroTail: zeros are preallocated or unwritten space, never data.
 * Torn, Crc, Length: the writer died mid-frame, or the bytes are damaged; the caller's proof
 * search tells which. OutputFull never reaches here: scanSegmentFrames resumes until a real stop.
 */
function tailKindOf(stop: ScanStopName): StoreFileTailKind {
  switch (stop) {
    case "End": return "clean";
    case "ZeroTail": return "zero";
    case "Torn": case "Crc": case "Length": return "torn";
    case "OutputFull": assert(false, "scanSegmentFrames resumes after OutputFull");
  }
}

function describe(identity: StoreFileIdentity): string {
  return identity.kind === "hot" ? `space ${identity.spaceId}'s hot segment, generation ${identity.generation}` : `the staging log, generation ${identity.generation}`;
}

function describeHeader(header: SegmentHeader): string {
  return `kind ${header.kind}, segmentId ${header.segmentId}, generation ${header.generation}, baseOffset ${header.baseOffset}`;
}
