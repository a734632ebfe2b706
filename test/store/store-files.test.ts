// Store file names and headers (docs/FORMAT.md "Hot segments and staging"): names round-trip and
// are parsed strictly, misnamed files are recognised, the header carries the store's meaning in
// the log's fields, the worked example is the encoder's output, and every store file has its own
// frame seed.
import { expect } from "chai";
import fc from "fast-check";
import { AssertionError } from "../../host/assert.js";
import { type Core } from "../../host/core/index.js";
import {
  STORE_IDENTITY, type StoreFileIdentity, hotFileName, isMisnamedStoreFile, parseStoreFileName, stagingFileName, storeFileName,
} from "../../host/store/store-files.js";
import { encodeStoreSegmentHeader, storeFrameSeed } from "../../host/store/store-segment.js";
import { SEGMENT_HEADER_SIZE, SegmentKind, decodeSegmentHeader, segmentFileName } from "../../host/wal/segment-format.js";
import { sharedCore } from "../core/core-suite.js";
import { propertySeed } from "../core/core-check.js";
import { formatExampleBytes } from "../support/format-example.js";

const U32_MAX = 0xffffffff;
const U64_MAX = (1n << 64n) - 1n;

describe("store file names", () => {
  it("namesAreFixedWidthLowercaseHex", () => {
    expect(hotFileName(1, 1n)).to.equal("hot-00000001-0000000000000001.seg");
    expect(hotFileName(0xabc, 0x1fn)).to.equal("hot-00000abc-000000000000001f.seg");
    expect(hotFileName(U32_MAX, U64_MAX)).to.equal("hot-ffffffff-ffffffffffffffff.seg");
    expect(stagingFileName(1n)).to.equal("staging-0000000000000001.seg");
    expect(stagingFileName(U64_MAX)).to.equal("staging-ffffffffffffffff.seg");
  });

  it("namesRoundTrip", () => {
    const identity = fc.oneof(
      fc.record({ kind: fc.constant("hot" as const), spaceId: fc.integer({ min: 1, max: U32_MAX }), generation: fc.bigInt(1n, U64_MAX) }),
      fc.record({ kind: fc.constant("staging" as const), generation: fc.bigInt(1n, U64_MAX) }),
    );
    fc.assert(
      fc.property(identity, (id: StoreFileIdentity) => {
        const name = storeFileName(id);
        expect(parseStoreFileName(name)).to.deep.equal(id);
        expect(isMisnamedStoreFile(name)).to.equal(false);
      }),
      { seed: propertySeed(), numRuns: 500 },
    );
  });

  it("nameOrderIsSpaceThenGenerationOrder", () => {
    const pair = fc.tuple(fc.integer({ min: 1, max: U32_MAX }), fc.bigInt(1n, U64_MAX));
    fc.assert(
      fc.property(pair, pair, ([s1, g1], [s2, g2]) => {
        const byFields = s1 !== s2 ? Math.sign(s1 - s2) : g1 === g2 ? 0 : g1 < g2 ? -1 : 1;
        const a = hotFileName(s1, g1);
        const b = hotFileName(s2, g2);
        expect(a < b ? -1 : a === b ? 0 : 1).to.equal(byFields);
      }),
      { seed: propertySeed(), numRuns: 300 },
    );
  });

  it("parsingIsStrictAndMisnamedFilesAreRecognised", () => {
    const misnamed = [
      "hot-0000000A-0000000000000001.seg", // uppercase hex
      "HOT-00000001-0000000000000001.seg",
      "hot-00000001-0000000000000001.SEG",
      "hot-0000001-0000000000000001.seg", // 7 digits
      "hot-000000001-0000000000000001.seg", // 9 digits
      "hot-00000001-000000000000001.seg", // 15 digits
      "hot-00000000-0000000000000001.seg", // space 0
      "hot-00000001-0000000000000000.seg", // generation 0
      "hot-1-1.seg",
      "hot-00000001.seg",
      "staging-000000000000001.seg",
      "staging-00000000000000001.seg",
      "staging-0000000000000000.seg",
      "staging-000000000000000A.seg",
      "Staging-0000000000000001.seg",
      "staging-.seg",
    ];
    for (const name of misnamed) {
      expect(parseStoreFileName(name), name).to.equal(undefined);
      expect(isMisnamedStoreFile(name), name).to.equal(true);
    }
    const foreign = ["log-0000000000000001.seg", "blk-0000000000000001.blk", "MANIFEST", "SPACELOG", "LOCK", "hot-00000001-0000000000000001.seg.tmp", "staging.seg", ""];
    for (const name of foreign) {
      expect(parseStoreFileName(name), name).to.equal(undefined);
      expect(isMisnamedStoreFile(name), name).to.equal(false);
    }
  });

  it("outOfRangeIdsAreWriterBugs", () => {
    expect(() => hotFileName(0, 1n)).to.throw(AssertionError);
    expect(() => hotFileName(U32_MAX + 1, 1n)).to.throw(AssertionError);
    expect(() => hotFileName(1.5, 1n)).to.throw(AssertionError);
    expect(() => hotFileName(1, 0n)).to.throw(AssertionError);
    expect(() => hotFileName(1, U64_MAX + 1n)).to.throw(AssertionError);
    expect(() => stagingFileName(0n)).to.throw(AssertionError);
    expect(() => stagingFileName(-1n)).to.throw(AssertionError);
  });

  it("identityIsTheStoresNotTheLogs", () => {
    expect(STORE_IDENTITY).to.equal("spacelog store 1\n");
    expect(new TextEncoder().encode(STORE_IDENTITY).byteLength).to.equal(17);
    // A log segment's name is never a store file's, nor misnamed as one.
    expect(parseStoreFileName(segmentFileName(1n))).to.equal(undefined);
    expect(isMisnamedStoreFile(segmentFileName(1n))).to.equal(false);
  });
});

describe("store segment header", () => {
  let core: Core;
  before(async () => {
    core = await sharedCore();
  });

  it("hotHeaderHoldsSpaceGenerationAndBaseRevision", () => {
    const bytes = encodeStoreSegmentHeader(core, { kind: "hot", spaceId: 7, generation: 3n, baseRevision: 1234n });
    expect(bytes.byteLength).to.equal(SEGMENT_HEADER_SIZE);
    expect(decodeSegmentHeader(core, bytes)).to.deep.equal({
      kind: SegmentKind.Hot, segmentId: 7n, generation: 3n, baseLsn: 1234n, baseOffset: 0n,
      frameSeed: storeFrameSeed(core, { kind: "hot", spaceId: 7, generation: 3n }),
    });
  });

  it("stagingHeaderHoldsSegmentIdZero", () => {
    const bytes = encodeStoreSegmentHeader(core, { kind: "staging", generation: 9n, baseRevision: 1n });
    expect(decodeSegmentHeader(core, bytes)).to.deep.equal({
      kind: SegmentKind.Staging, segmentId: 0n, generation: 9n, baseLsn: 1n, baseOffset: 0n,
      frameSeed: storeFrameSeed(core, { kind: "staging", generation: 9n }),
    });
  });

  it("outOfRangeHeaderFieldsAreWriterBugs", () => {
    expect(() => encodeStoreSegmentHeader(core, { kind: "hot", spaceId: 1, generation: 1n, baseRevision: 0n })).to.throw(AssertionError);
    expect(() => encodeStoreSegmentHeader(core, { kind: "hot", spaceId: 0, generation: 1n, baseRevision: 1n })).to.throw(AssertionError);
    expect(() => encodeStoreSegmentHeader(core, { kind: "staging", generation: 0n, baseRevision: 1n })).to.throw(AssertionError);
    expect(() => encodeStoreSegmentHeader(core, { kind: "staging", generation: 1n, baseRevision: U64_MAX + 1n })).to.throw(AssertionError);
  });

  it("workedExampleIsTheEncodersOutput", () => {
    const example = formatExampleBytes("Hot segments and staging");
    expect(example.byteLength).to.equal(SEGMENT_HEADER_SIZE);
    expect(Array.from(example)).to.deep.equal(Array.from(encodeStoreSegmentHeader(core, { kind: "hot", spaceId: 1, generation: 1n, baseRevision: 1n })));
    expect(storeFrameSeed(core, { kind: "hot", spaceId: 1, generation: 1n })).to.equal(0x57bf6f7f);
  });

  it("everyStoreFileHasItsOwnFrameSeed", () => {
    // Spaces 1..32 x generations 1..32, and staging generations 1..32: 1056 files, no seed twice.
    const seeds = new Map<number, string>();
    const add = (identity: StoreFileIdentity): void => {
      const seed = storeFrameSeed(core, identity);
      expect(seeds.get(seed), `${storeFileName(identity)} shares its seed`).to.equal(undefined);
      seeds.set(seed, storeFileName(identity));
    };
    for (let generation = 1n; generation <= 32n; generation++) {
      for (let spaceId = 1; spaceId <= 32; spaceId++) add({ kind: "hot", spaceId, generation });
      add({ kind: "staging", generation });
    }
    expect(seeds.size).to.equal(32 * 32 + 32);
  });
});
