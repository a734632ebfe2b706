// Reading a hot segment or staging log (host/store/store-file-scan.ts, docs/FORMAT.md "Reading a
// store file"): one test per rule, on real frames sealed by the real core, each damaged with a
// byte helper so that the rule under test is the one that decides.
import { expect } from "chai";
import fc from "fast-check";
import { type Core } from "../../host/core/index.js";
import { CorruptionError } from "../../host/errors.js";
import { type StoreFileScan, scanStoreFile } from "../../host/store/store-file-scan.js";
import { type StoreFileIdentity, storeFileName } from "../../host/store/store-files.js";
import { type StoreRecord, encodeStoreRecord } from "../../host/store/store-record.js";
import { encodeStoreSegmentHeader, storeFrameSeed } from "../../host/store/store-segment.js";
import { SEGMENT_CHECKSUM_OFFSET, SEGMENT_HEADER_SIZE, SegmentKind, encodeSegmentHeader } from "../../host/wal/segment-format.js";
import { SYNC_MARK_FRAME_SIZE, encodeSyncMark } from "../../host/wal/sync-mark.js";
import { sharedCore } from "../core/core-suite.js";
import { propertySeed } from "../core/core-check.js";
import { thrownTyped } from "./thrown-typed.js";

const HOT: StoreFileIdentity = { kind: "hot", spaceId: 3, generation: 2n };
const STAGING: StoreFileIdentity = { kind: "staging", generation: 5n };
const FRAME_HEADER = 8;

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const put = (revision: bigint, key: bigint, value: string, spaceId = 3): StoreRecord =>
  ({ type: "put", revision, batchEnd: revision, spaceId, key, value: text(value) });
const del = (revision: bigint, key: bigint, spaceId = 3): StoreRecord => ({ type: "delete", revision, batchEnd: revision, spaceId, key });
const space = (revision: bigint, spaceId: number): StoreRecord => ({ type: "space", revision, batchEnd: revision, spaceId, dims: 2, bits: 16, name: `s${spaceId}` });

/** A payload: a store record, or a sync mark stating `durable` (a file offset). */
type Item = StoreRecord | { readonly mark: number };
const mark = (durable: number): Item => ({ mark: durable });

function payloadOf(item: Item): Uint8Array {
  return "mark" in item ? encodeSyncMark(BigInt(item.mark)) : encodeStoreRecord(item);
}

function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** The frame offsets `items` take after a 64-byte header, and the end of the last one. */
function frameOffsets(items: readonly Item[]): { starts: number[]; end: number } {
  const starts: number[] = [];
  let at = SEGMENT_HEADER_SIZE;
  for (const item of items) {
    starts.push(at);
    at += FRAME_HEADER + payloadOf(item).byteLength;
  }
  return { starts, end: at };
}

function flipBit(bytes: Uint8Array, offset: number, bit = 0): Uint8Array {
  const copy = bytes.slice();
  copy[offset] = (copy[offset] as number) ^ (1 << bit);
  return copy;
}

describe("store file scan", () => {
  let core: Core;
  before(async () => {
    core = await sharedCore();
  });

  /** A whole store file: the header of `identity`, then `items` framed under its seed. */
  function fileOf(identity: StoreFileIdentity, items: readonly Item[], baseRevision = 1n): Uint8Array {
    const header = encodeStoreSegmentHeader(core, { ...identity, baseRevision });
    if (items.length === 0) return header;
    return concat(header, core.encodeFrames(items.map(payloadOf), storeFrameSeed(core, identity)));
  }

  function scan(bytes: Uint8Array, expected: StoreFileIdentity = HOT): StoreFileScan {
    return scanStoreFile(core, storeFileName(expected), bytes, expected);
  }

  function corruption(bytes: Uint8Array, expected: StoreFileIdentity, reason: string, offset: number): CorruptionError {
    const error = thrownTyped(() => scan(bytes, expected), CorruptionError, "SPACELOG_CORRUPTION");
    expect(error.reason, error.message).to.equal(reason);
    expect(error.offset, error.message).to.equal(offset);
    expect(error.file).to.equal(storeFileName(expected));
    expect(error.message).to.contain(storeFileName(expected));
    return error;
  }

  const records = (result: StoreFileScan): StoreRecord[] => result.records.map((r) => r.record);

  it("emptyFileIsEmpty", () => {
    expect(scan(new Uint8Array(0))).to.deep.equal({
      header: "empty", baseRevision: 0n, records: [], dataEnd: 0, tail: { kind: "clean", at: 0, bytes: 0 }, durableProven: 0,
    });
    // Zeros of any size, even past a header's 64 bytes: extended by a crash, never written.
    for (const size of [1, 63, 64, 4096]) {
      const result = scan(new Uint8Array(size));
      expect(result.header).to.equal("empty");
      expect(result.tail).to.deep.equal({ kind: "zero", at: 0, bytes: size });
    }
  });

  it("headerCutShortIsTorn", () => {
    const header = fileOf(HOT, []);
    for (let size = 1; size < SEGMENT_HEADER_SIZE; size++) {
      const result = scan(header.subarray(0, size));
      expect(result.header, `${size} bytes`).to.equal("torn");
      expect(result.tail).to.deep.equal({ kind: "torn", at: 0, bytes: size });
      expect(result.records).to.deep.equal([]);
      expect(result.dataEnd).to.equal(0);
    }
  });

  it("headerThatDoesNotVerifyWithNothingVerifiedAfterItIsTorn", () => {
    const header = fileOf(HOT, []);
    for (const offset of [0, 8, 16, 24, 40, SEGMENT_CHECKSUM_OFFSET]) {
      expect(scan(flipBit(header, offset)).header, `bit flipped at ${offset}`).to.equal("torn");
      // Followed by preallocated zeros, or by garbage that is no frame of this file.
      expect(scan(concat(flipBit(header, offset), new Uint8Array(4096))).header).to.equal("torn");
      expect(scan(concat(flipBit(header, offset), text("not a frame at all"))).header).to.equal("torn");
    }
    // 64 zero bytes where the header should be, then something: the header write never landed.
    expect(scan(concat(new Uint8Array(SEGMENT_HEADER_SIZE), text("x"))).header).to.equal("torn");
  });

  it("headerThatDoesNotVerifyFollowedByAVerifiedFrameIsCorruption", () => {
    const bytes = fileOf(HOT, [put(1n, 1n, "a"), del(2n, 2n)]);
    corruption(flipBit(bytes, 20), HOT, "framesAfterBadHeader", 0);
    // The first frame is damaged too, but a later sync mark proves the header durable.
    const items = [put(1n, 1n, "a"), put(2n, 2n, "b")];
    const { starts, end } = frameOffsets(items);
    const proven = fileOf(HOT, [...items, mark(end)]);
    corruption(flipBit(flipBit(proven, 20), (starts[0] as number) + FRAME_HEADER), HOT, "framesAfterBadHeader", 0);
  });

  it("headerOnlyFileIsValidWithNoRecords", () => {
    expect(scan(fileOf(HOT, [], 77n))).to.deep.equal({
      header: "valid", baseRevision: 77n, records: [], dataEnd: SEGMENT_HEADER_SIZE,
      tail: { kind: "clean", at: SEGMENT_HEADER_SIZE, bytes: 0 }, durableProven: 0,
    });
  });

  it("hotRecordsRoundTripWithFrameOffsetsAndWithoutSyncMarks", () => {
    const items: Item[] = [put(10n, 0x11n, "hi"), mark(64), del(11n, 0x2an), put(12n, 0n, ""), mark(120)];
    const { starts, end } = frameOffsets(items);
    const result = scan(fileOf(HOT, items, 10n));
    expect(result.header).to.equal("valid");
    expect(result.baseRevision).to.equal(10n);
    expect(result.records.map((r) => [r.offset, r.end])).to.deep.equal([
      [starts[0], starts[1]], [starts[2], starts[3]], [starts[3], starts[4]],
    ]);
    expect(records(result)).to.deep.equal([put(10n, 0x11n, "hi"), del(11n, 0x2an), put(12n, 0n, "")]);
    expect(result.dataEnd).to.equal(end);
    expect(result.tail).to.deep.equal({ kind: "clean", at: end, bytes: 0 });
    expect(result.durableProven).to.equal(120);
  });

  it("stagingHoldsDefinitionsAndRecordsOfAnySpace", () => {
    const items: Item[] = [space(1n, 1), space(2n, 9), put(3n, 5n, "v", 9), del(4n, 6n, 1), { ...put(5n, 7n, "w", 2), batchEnd: 6n }];
    expect(records(scan(fileOf(STAGING, items), STAGING))).to.deep.equal(items);
  });

  it("recordsRoundTripProperty", () => {
    const record = fc.oneof(
      fc.record({ key: fc.bigInt(0n, (1n << 64n) - 1n), value: fc.uint8Array({ maxLength: 300 }) }).map(({ key, value }) => ({ key, value, kind: "put" as const })),
      fc.record({ key: fc.bigInt(0n, (1n << 64n) - 1n) }).map(({ key }) => ({ key, value: new Uint8Array(0), kind: "delete" as const })),
    );
    fc.assert(
      fc.property(fc.array(record, { maxLength: 40 }), fc.boolean(), (drawn, staged) => {
        const written: StoreRecord[] = drawn.map((d, i) => d.kind === "put"
          ? { type: "put", revision: BigInt(i + 1), batchEnd: BigInt(i + 1), spaceId: 3, key: d.key, value: d.value }
          : { type: "delete", revision: BigInt(i + 1), batchEnd: BigInt(i + 1), spaceId: 3, key: d.key });
        const identity = staged ? STAGING : HOT;
        const result = scan(fileOf(identity, written), identity);
        expect(records(result)).to.deep.equal(written);
        expect(result.tail.kind).to.equal("clean");
      }),
      { seed: propertySeed(), numRuns: 200 },
    );
  });

  it("tornTailAtEveryCutOfTheLastFrameIsTornNotCorruption", () => {
    const items: Item[] = [put(1n, 1n, "first"), mark(64), put(2n, 2n, "the last frame, cut anywhere")];
    const { starts, end } = frameOffsets(items);
    const bytes = fileOf(HOT, items);
    const last = starts[2] as number;
    for (let cut = last + 1; cut < end; cut++) {
      const result = scan(bytes.subarray(0, cut));
      expect(result.tail, `cut at ${cut}`).to.deep.equal({ kind: "torn", at: last, bytes: cut - last });
      expect(records(result)).to.deep.equal([put(1n, 1n, "first")]);
      expect(result.dataEnd).to.equal(last);
    }
    // Cut exactly between frames: a clean end one record earlier.
    expect(scan(bytes.subarray(0, last)).tail).to.deep.equal({ kind: "clean", at: last, bytes: 0 });
  });

  it("zeroTailIsPreallocationNotATornTail", () => {
    const items: Item[] = [put(1n, 1n, "a"), del(2n, 1n)];
    const { end } = frameOffsets(items);
    for (const zeros of [1, 7, 8, 4096]) {
      const result = scan(concat(fileOf(HOT, items), new Uint8Array(zeros)));
      expect(result.tail, `${zeros} zeros`).to.deep.equal({ kind: "zero", at: end, bytes: zeros });
      expect(records(result)).to.deep.equal(items);
    }
    expect(scan(concat(fileOf(HOT, []), new Uint8Array(4096))).tail).to.deep.equal({ kind: "zero", at: SEGMENT_HEADER_SIZE, bytes: 4096 });
  });

  it("badFrameProvenDurableByALaterSyncMarkIsCorruption", () => {
    // The mark after B says every byte below B's end was fdatasynced: damage in B is to synced bytes.
    const head: Item[] = [put(1n, 1n, "a"), put(2n, 2n, "b")];
    const { starts, end } = frameOffsets(head);
    const bytes = fileOf(HOT, [...head, mark(end), put(3n, 3n, "c")]);
    const b = starts[1] as number;
    // Every byte of B's frame: its length, its CRC, its payload.
    for (let offset = b; offset < end; offset++) corruption(flipBit(bytes, offset), HOT, "durableFrame", b);
  });

  it("badFrameWithoutAProvingMarkIsATornTail", () => {
    const head: Item[] = [put(1n, 1n, "a"), put(2n, 2n, "b")];
    const { starts, end } = frameOffsets(head);
    const b = starts[1] as number;
    // No mark, or a mark stating only what lies before B (durable = B's offset proves nothing of B).
    for (const after of [[put(3n, 3n, "c")], [mark(b), put(3n, 3n, "c")]] as Item[][]) {
      const result = scan(flipBit(fileOf(HOT, [...head, ...after]), b + FRAME_HEADER + 3));
      expect(result.tail.kind).to.equal("torn");
      expect(result.tail.at).to.equal(b);
      expect(records(result)).to.deep.equal([put(1n, 1n, "a")]);
    }
    // A mark past itself, written by hand after the stop, proves nothing (it would be corruption
    // only as a verified frame of the chain).
    const seed = storeFrameSeed(core, HOT);
    const boastful = concat(fileOf(HOT, head), core.encodeFrames([encodeSyncMark(BigInt(end + 1000))], seed));
    expect(scan(flipBit(boastful, b + FRAME_HEADER + 3)).tail).to.deep.equal({ kind: "torn", at: b, bytes: boastful.byteLength - b });
  });

  it("verifiedHeaderOfAnotherFileIsCorruption", () => {
    corruption(fileOf(HOT, []), { kind: "hot", spaceId: 3, generation: 3n }, "generation", 0);
    corruption(fileOf(HOT, []), { kind: "hot", spaceId: 4, generation: 2n }, "segmentId", 0);
    corruption(fileOf(HOT, []), { kind: "staging", generation: 2n }, "kind", 0);
    corruption(fileOf(STAGING, []), { kind: "hot", spaceId: 3, generation: 5n }, "kind", 0);
    const logSegment = encodeSegmentHeader(core, { kind: SegmentKind.Log, segmentId: 3n, generation: 2n, baseLsn: 1n, baseOffset: 0n });
    corruption(logSegment, HOT, "kind", 0);
    const streamPiece = encodeSegmentHeader(core, { kind: SegmentKind.Hot, segmentId: 3n, generation: 2n, baseLsn: 1n, baseOffset: 64n });
    corruption(streamPiece, HOT, "baseOffset", 0);
  });

  it("verifiedHeaderBreakingALogRuleIsCorruption", () => {
    const header = fileOf(HOT, []);
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    view.setUint16(4, 2, true); // version 2, checksum recomputed: a writer wrote it whole
    view.setBigUint64(SEGMENT_CHECKSUM_OFFSET, core.xxh64(header.subarray(0, SEGMENT_CHECKSUM_OFFSET)), true);
    corruption(header, HOT, "version", 0);
  });

  it("frameSealedWithAnotherFilesSeedStopsTheScan", () => {
    // Frames of the space's previous generation (or of another file) after this file's own: the
    // scan stops there, and not as corruption, even if one of them would be a proving sync mark.
    const own: Item[] = [put(5n, 1n, "a")];
    const { end } = frameOffsets(own);
    for (const other of [{ kind: "hot", spaceId: 3, generation: 1n }, { kind: "hot", spaceId: 4, generation: 2n }, STAGING] as StoreFileIdentity[]) {
      const foreign = core.encodeFrames([encodeStoreRecord(put(6n, 2n, "b")), encodeSyncMark(BigInt(end + 37))], storeFrameSeed(core, other));
      const result = scan(concat(fileOf(HOT, own), foreign));
      expect(records(result)).to.deep.equal(own);
      expect(result.tail).to.deep.equal({ kind: "torn", at: end, bytes: foreign.byteLength });
    }
  });

  it("verifiedPayloadThatDoesNotDecodeIsCorruption", () => {
    const seed = storeFrameSeed(core, HOT);
    const raw = Uint8Array.of(1, 0x68, 0x69); // a log entry (raw, "hi"), not a store record
    const longDelete = concat(encodeStoreRecord(del(2n, 1n)), Uint8Array.of(0));
    for (const payload of [raw, longDelete, Uint8Array.of(16)]) {
      const bytes = concat(fileOf(HOT, [put(1n, 1n, "a")]), core.encodeFrames([payload], seed));
      corruption(bytes, HOT, "record", frameOffsets([put(1n, 1n, "a")]).end);
    }
  });

  it("syncMarkClaimingBytesPastItselfIsCorruption", () => {
    const { end } = frameOffsets([put(1n, 1n, "a")]);
    corruption(fileOf(HOT, [put(1n, 1n, "a"), mark(end + 1)]), HOT, "syncMarkPastItself", end);
    // Exactly its own offset is allowed: everything before the mark was synced.
    expect(scan(fileOf(HOT, [put(1n, 1n, "a"), mark(end)])).durableProven).to.equal(end);
    expect(SYNC_MARK_FRAME_SIZE).to.equal(17);
  });

  it("spaceDefinitionInAHotSegmentIsCorruption", () => {
    corruption(fileOf(HOT, [put(1n, 1n, "a"), space(2n, 3)]), HOT, "spaceInHot", frameOffsets([put(1n, 1n, "a")]).end);
  });

  it("recordOfAnotherSpaceInAHotSegmentIsCorruption", () => {
    corruption(fileOf(HOT, [put(1n, 1n, "a", 4)]), HOT, "foreignSpace", SEGMENT_HEADER_SIZE);
    corruption(fileOf(HOT, [put(1n, 1n, "a"), del(2n, 1n, 1)]), HOT, "foreignSpace", frameOffsets([put(1n, 1n, "a")]).end);
  });

  it("workedExampleReadsAsTheDocumentSays", () => {
    const identity: StoreFileIdentity = { kind: "hot", spaceId: 1, generation: 1n };
    const header = fileOf(identity, [], 1n);
    expect(scan(header, identity)).to.deep.include({ header: "valid", baseRevision: 1n, records: [], dataEnd: 64, tail: { kind: "clean", at: 64, bytes: 0 } });
    expect(scan(concat(header, new Uint8Array(4096)), identity).tail).to.deep.equal({ kind: "zero", at: 64, bytes: 4096 });
    expect(scan(header.subarray(0, 63), identity).header).to.equal("torn");
    corruption(header, { kind: "hot", spaceId: 1, generation: 2n }, "generation", 0);
    corruption(header, { kind: "staging", generation: 1n }, "kind", 0);
  });
});
