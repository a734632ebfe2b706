// The manifest (docs/FORMAT.md "Manifest"): the encoder's bytes, the worked example, and one test
// per rule the decoder checks, on real bytes under the real decoder. A "resealed" manifest has a
// field changed and its checksum recomputed, so that the rule under test is the one that fails.
import { expect } from "chai";
import fc from "fast-check";
import hashWasm from "hash-wasm";
import { type Core, loadCore } from "../../host/core/index.js";
import { BLOCK_SIZE_MAX, BLOCK_SIZE_MIN } from "../../host/store/block-format.js";
import { encodeManifest } from "../../host/store/manifest-encode.js";
import {
  MANIFEST_SIZE_MIN, type Manifest, type ManifestBlock, type ManifestProblem, type ManifestSpace, blockFileSizeMinOf,
  blocksOfSpace, decodeManifest, isManifestProblem, spaceById, spaceByName,
} from "../../host/store/manifest-format.js";
import { propertySeed } from "../core/core-check.js";
import { formatExampleBytes } from "../support/format-example.js";

/**
 * The worked example of docs/FORMAT.md: generation 3; space 1 "cells" (3D, 10 bits, nothing
 * sealed), space 2 "points" (2D, 16 bits, sealed to 9) with block 7, the Blocks section's example.
 */
const EXAMPLE: Manifest = {
  generation: 3n,
  nextSpaceId: 3,
  nextBlockId: 8n,
  durableRevision: 12n,
  spaces: [
    { spaceId: 1, name: "cells", dims: 3, bits: 10, sealedRevision: 0n },
    { spaceId: 2, name: "points", dims: 2, bits: 16, sealedRevision: 9n },
  ],
  blocks: [{ blockId: 7n, spaceId: 2, recordCount: 2, keyMin: 0x11n, keyMax: 0x2an, revisionMin: 5n, revisionMax: 9n, fileSize: 154 }],
};
/** Offsets in the example: space entries at 56 and 80, the block entry at 104, the trailer at 160. */
const EX_SPACE_1 = 56;
const EX_SPACE_2 = 80;
const EX_BLOCK = 104;
const EX_TRAILER = 160;
const EX_SIZE = 168;

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Recomputes the trailer's checksum (XXH64, seed 0, of everything before it). */
function reseal(core: Core, bytes: Uint8Array): Uint8Array {
  const trailer = bytes.byteLength - 8;
  viewOf(bytes).setBigUint64(trailer, core.xxh64(bytes.subarray(0, trailer), 0n), true);
  return bytes;
}

/** Inserts `count` zero bytes at `at`, fixes totalSize and reseals. */
function insertZeros(core: Core, bytes: Uint8Array, at: number, count: number): Uint8Array {
  const longer = new Uint8Array(bytes.byteLength + count);
  longer.set(bytes.subarray(0, at), 0);
  longer.set(bytes.subarray(at), at + count);
  viewOf(longer).setUint32(40, longer.byteLength, true);
  return reseal(core, longer);
}

function flipBit(bytes: Uint8Array, offset: number, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[offset] = (copy[offset] ?? 0) ^ (1 << bit);
  return copy;
}

function decodeOk(core: Core, bytes: Uint8Array): Manifest {
  const decoded = decodeManifest(core, bytes);
  if (isManifestProblem(decoded)) throw new Error(`expected the manifest to decode: ${decoded.reason} at ${decoded.offset}`);
  return decoded;
}

/** The worked example's bytes as docs/FORMAT.md prints them: the hex pairs opening each line of its block. */
function documentedExample(): Uint8Array {
  return formatExampleBytes("Manifest");
}

const U64_MAX = (1n << 64n) - 1n;

const nameArbitrary = fc.string({ unit: "binary", minLength: 1, maxLength: 40 })
  .filter((s) => s.isWellFormed() && !s.includes("\u0000"));

/** Any valid manifest: 0..20 spaces with id gaps, 0..200 blocks of the spaces that have sealed something. */
const manifestArbitrary: fc.Arbitrary<Manifest> = fc.record({
  generation: fc.bigInt({ min: 1n, max: U64_MAX }),
  spaces: fc.uniqueArray(fc.record({
    name: nameArbitrary, dims: fc.integer({ min: 1, max: 16 }), bitsPick: fc.nat(), idGap: fc.integer({ min: 1, max: 5 }),
    sealedRevision: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 1000n }), fc.bigInt({ min: 1n, max: U64_MAX >> 1n })),
  }), { maxLength: 20, selector: (s) => s.name, size: "max" }),
  blocks: fc.array(fc.record({
    idGap: fc.bigInt({ min: 1n, max: 1000n }), spacePick: fc.nat(), recordCount: fc.integer({ min: 1, max: 1_000_000 }),
    keyA: fc.bigInt({ min: 0n, max: U64_MAX }), keyB: fc.bigInt({ min: 0n, max: U64_MAX }),
    revisionA: fc.bigInt({ min: 0n, max: U64_MAX }), revisionB: fc.bigInt({ min: 0n, max: U64_MAX }), sizeExtra: fc.nat({ max: 1 << 20 }),
  }), { maxLength: 200, size: "max" }),
  nextSpaceGap: fc.integer({ min: 1, max: 100 }),
  nextBlockGap: fc.bigInt({ min: 1n, max: 1000n }),
  durableExtra: fc.bigInt({ min: 0n, max: 1000n }),
}).map((raw): Manifest => {
  let spaceId = 0;
  const spaces: ManifestSpace[] = raw.spaces.map((s) => {
    spaceId += s.idGap;
    return { spaceId, name: s.name, dims: s.dims, bits: 1 + (s.bitsPick % Math.floor(64 / s.dims)), sealedRevision: s.sealedRevision };
  });
  const sealed = spaces.filter((s) => s.sealedRevision >= 1n);
  let blockId = 0n;
  const blocks: ManifestBlock[] = sealed.length === 0 ? [] : raw.blocks.map((b) => {
    blockId += b.idGap;
    const space = sealed[b.spacePick % sealed.length];
    if (space === undefined) throw new Error("a sealed space was picked");
    const keyLimit = 1n << BigInt(space.dims * space.bits);
    const [keyMin, keyMax] = [b.keyA % keyLimit, b.keyB % keyLimit].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const [revisionMin, revisionMax] = [1n + (b.revisionA % space.sealedRevision), 1n + (b.revisionB % space.sealedRevision)].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const fileSize = blockFileSizeMinOf(b.recordCount) + b.sizeExtra;
    return { blockId, spaceId: space.spaceId, recordCount: b.recordCount, keyMin: keyMin ?? 0n, keyMax: keyMax ?? 0n, revisionMin: revisionMin ?? 1n, revisionMax: revisionMax ?? 1n, fileSize };
  });
  const sealedMax = spaces.reduce((max, s) => (s.sealedRevision > max ? s.sealedRevision : max), 0n);
  return {
    generation: raw.generation, nextSpaceId: spaceId + raw.nextSpaceGap, nextBlockId: blockId + raw.nextBlockGap,
    durableRevision: sealedMax + raw.durableExtra, spaces, blocks,
  };
});

describe("store: manifest format (docs/FORMAT.md Manifest)", () => {
  let core: Core;
  let example: Uint8Array;
  before(async () => {
    core = await loadCore();
    example = encodeManifest(core, EXAMPLE);
  });

  /** The example with fields changed, resealed: only the rule under test fails. */
  function resealed(edit: (view: DataView, bytes: Uint8Array) => void, base = example): Uint8Array {
    const bytes = base.slice();
    edit(viewOf(bytes), bytes);
    return reseal(core, bytes);
  }

  function expectCases(cases: Array<[string, (v: DataView, b: Uint8Array) => void, ManifestProblem]>, base = example): void {
    for (const [name, edit, problem] of cases) expect(decodeManifest(core, resealed(edit, base)), name).to.deep.equal(problem);
  }

  describe("encoding", () => {
    it("workedExampleEqualsTheDocumentsBytes", () => {
      const documented = documentedExample();
      expect(documented.byteLength).to.equal(EX_SIZE);
      expect(Array.from(example)).to.deep.equal(Array.from(documented));
    });

    it("workedExampleRoundTrips", () => {
      expect(decodeOk(core, example)).to.deep.equal(EXAMPLE);
    });

    it("checksumAgreesWithHashWasm", async () => {
      const hex = await hashWasm.xxhash64(example.subarray(0, EX_TRAILER), 0, 0);
      expect(BigInt("0x" + hex)).to.equal(viewOf(example).getBigUint64(EX_TRAILER, true));
    });

    it("anEmptyManifestIsHeaderAndTrailer", () => {
      const empty: Manifest = { generation: 1n, nextSpaceId: 1, nextBlockId: 1n, durableRevision: 0n, spaces: [], blocks: [] };
      const bytes = encodeManifest(core, empty);
      expect(bytes.byteLength).to.equal(MANIFEST_SIZE_MIN);
      expect(MANIFEST_SIZE_MIN).to.equal(64);
      expect(decodeOk(core, bytes)).to.deep.equal(empty);
    });

    it("randomManifestsRoundTrip", () => {
      let spacesSeen = 0;
      let blocksSeen = 0;
      fc.assert(
        fc.property(manifestArbitrary, (manifest) => {
          spacesSeen += manifest.spaces.length;
          blocksSeen += manifest.blocks.length;
          expect(decodeOk(core, encodeManifest(core, manifest))).to.deep.equal(manifest);
        }),
        { seed: propertySeed(), numRuns: 200 },
      );
      // The arbitrary is not degenerate: 200 runs average several spaces and dozens of blocks.
      expect(spacesSeen).to.be.greaterThan(200);
      expect(blocksSeen).to.be.greaterThan(2000);
    });

    it("namesRoundTripByteForByte", () => {
      // A leading BOM is kept (the decoder must not strip it), the two forms of "é" are two names,
      // and a name of 255 bytes is allowed.
      const names = ["\uFEFFbom", "\u00e9", "e\u0301", "🛰️ orbit", "x".repeat(255), "é".repeat(127) + "x"];
      const manifest: Manifest = {
        generation: 1n, nextSpaceId: names.length + 1, nextBlockId: 1n, durableRevision: 0n, blocks: [],
        spaces: names.map((name, i) => ({ spaceId: i + 1, name, dims: 1, bits: 8, sealedRevision: 0n })),
      };
      expect(decodeOk(core, encodeManifest(core, manifest)).spaces.map((s) => s.name)).to.deep.equal(names);
    });

    it("writerBugsAreAssertions", () => {
      const bad = (edit: (m: Manifest) => Manifest) => () => encodeManifest(core, edit(EXAMPLE));
      const space2 = EXAMPLE.spaces[1] as ManifestSpace;
      const block7 = EXAMPLE.blocks[0] as ManifestBlock;
      expect(bad((m) => ({ ...m, generation: 0n }))).to.throw(/rule "generation"/);
      expect(bad((m) => ({ ...m, nextSpaceId: 2 }))).to.throw(/rule "spaceId" at offset 80/);
      expect(bad((m) => ({ ...m, spaces: [space2, { ...space2, spaceId: 1, name: "cells" }] }))).to.throw(/rule "spaceId"/);
      expect(bad((m) => ({ ...m, spaces: [{ ...space2, spaceId: 1 }, space2] }))).to.throw(/rule "duplicateName"/);
      expect(bad((m) => ({ ...m, spaces: [space2], blocks: [{ ...block7, spaceId: 1 }] }))).to.throw(/rule "blockSpace"/);
      expect(bad((m) => ({ ...m, blocks: [block7, block7] }))).to.throw(/rule "blockId"/);
      expect(bad((m) => ({ ...m, blocks: [{ ...block7, keyMax: 1n << 32n }] }))).to.throw(/rule "keyRange"/);
      expect(bad((m) => ({ ...m, blocks: [{ ...block7, revisionMax: 10n }] }))).to.throw(/rule "revisionRange"/);
      expect(bad((m) => ({ ...m, durableRevision: 8n }))).to.throw(/rule "sealedRevision"/);
      expect(bad((m) => ({ ...m, blocks: [{ ...block7, fileSize: BLOCK_SIZE_MIN - 1 }] }))).to.throw(/rule "fileSize"/);
      expect(bad((m) => ({ ...m, spaces: [{ ...space2, name: "" }] }))).to.throw(/1\.\.255 bytes/);
      expect(bad((m) => ({ ...m, spaces: [{ ...space2, name: "x".repeat(256) }] }))).to.throw(/1\.\.255 bytes/);
      expect(bad((m) => ({ ...m, spaces: [{ ...space2, name: "a\ud800" }] }))).to.throw(/lone surrogate/);
      expect(bad((m) => ({ ...m, spaces: [{ ...space2, name: "a\u0000" }] }))).to.throw(/rule "name"/);
      expect(bad((m) => ({ ...m, nextBlockId: 1n << 64n }))).to.throw(/u64/);
    });
  });

  describe("decoding: the frame", () => {
    it("aFlippedBitAnywhereIsAProblem", () => {
      for (let offset = 0; offset < EX_SIZE; offset++) {
        for (let bit = 0; bit < 8; bit++) {
          const problem = decodeManifest(core, flipBit(example, offset, bit));
          // The magic and totalSize are checked before the checksum; everything else is covered by it.
          const expected = offset < 4 ? "magic" : offset >= 40 && offset < 44 ? "totalSize" : "checksum";
          expect(problem, `byte ${offset} bit ${bit}`).to.deep.equal({ reason: expected, offset: expected === "magic" ? 0 : expected === "totalSize" ? 40 : EX_TRAILER });
        }
      }
    });

    it("aFlippedBitInARandomManifestIsAProblem", () => {
      fc.assert(
        fc.property(manifestArbitrary, fc.nat(), fc.nat({ max: 7 }), (manifest, pick, bit) => {
          const bytes = encodeManifest(core, manifest);
          expect(isManifestProblem(decodeManifest(core, flipBit(bytes, pick % bytes.byteLength, bit)))).to.equal(true);
        }),
        { seed: propertySeed(), numRuns: 200 },
      );
    });

    it("aFileUnderSixtyFourBytesIsSize", () => {
      expect(decodeManifest(core, example.subarray(0, 63))).to.deep.equal({ reason: "size", offset: 0 });
      expect(decodeManifest(core, new Uint8Array(0))).to.deep.equal({ reason: "size", offset: 0 });
    });

    it("aFileCutShortOrExtendedIsTotalSize", () => {
      const longer = new Uint8Array(EX_SIZE + 8);
      longer.set(example);
      expect(decodeManifest(core, example.subarray(0, EX_SIZE - 8))).to.deep.equal({ reason: "totalSize", offset: 40 });
      expect(decodeManifest(core, longer)).to.deep.equal({ reason: "totalSize", offset: 40 });
    });

    it("anotherFileIsMagic", () => {
      const bytes = example.slice();
      viewOf(bytes).setUint32(0, 0x4b425053, true); // "SPBK": a block file where the manifest should be
      expect(decodeManifest(core, bytes)).to.deep.equal({ reason: "magic", offset: 0 });
    });

    it("aChecksumOfAnotherSeedIsChecksum", () => {
      // The seed is 0: a checksum seeded with the generation (3) does not verify.
      const bytes = example.slice();
      viewOf(bytes).setBigUint64(EX_TRAILER, core.xxh64(bytes.subarray(0, EX_TRAILER), 3n), true);
      expect(decodeManifest(core, bytes)).to.deep.equal({ reason: "checksum", offset: EX_TRAILER });
    });
  });

  describe("decoding: resealed fields that break a rule name their offset", () => {
    it("header", () => {
      expectCases([
        ["version 2", (v) => v.setUint16(4, 2, true), { reason: "version", offset: 4 }],
        ["reserved at 6", (v) => v.setUint16(6, 1, true), { reason: "reserved", offset: 6 }],
        ["reserved at 20", (v) => v.setUint32(20, 1, true), { reason: "reserved", offset: 20 }],
        ["reserved at 44", (v) => v.setUint32(44, 0x80000000, true), { reason: "reserved", offset: 44 }],
        ["generation 0", (v) => v.setBigUint64(8, 0n, true), { reason: "generation", offset: 8 }],
        ["nextSpaceId 0", (v) => v.setUint32(16, 0, true), { reason: "nextSpaceId", offset: 16 }],
        ["nextBlockId 0", (v) => v.setBigUint64(24, 0n, true), { reason: "nextBlockId", offset: 24 }],
        ["blockCount past the file", (v) => v.setUint32(36, 2, true), { reason: "blockCount", offset: 36 }],
        ["blockCount 0: the block's bytes read as spaces", (v) => v.setUint32(36, 0, true), { reason: "spaceCount", offset: 32 }],
        ["spaceCount 3", (v) => v.setUint32(32, 3, true), { reason: "spaceCount", offset: 32 }],
        ["spaceCount 1: bytes left before the blocks", (v) => v.setUint32(32, 1, true), { reason: "spaceCount", offset: 32 }],
        ["spaceCount 2^32 - 1", (v) => v.setUint32(32, 0xffffffff, true), { reason: "spaceCount", offset: 32 }],
      ]);
    });

    it("bytesBetweenTheSpacesAndTheBlocksAreSpaceCount", () => {
      expect(decodeManifest(core, insertZeros(core, example, EX_BLOCK, 8))).to.deep.equal({ reason: "spaceCount", offset: 32 });
      expect(decodeManifest(core, insertZeros(core, example, EX_TRAILER, 8))).to.deep.equal({ reason: "spaceCount", offset: 32 });
    });

    it("spaces", () => {
      const s1 = EX_SPACE_1;
      const s2 = EX_SPACE_2;
      expectCases([
        ["spaceId 0", (v) => v.setUint32(s1, 0, true), { reason: "spaceId", offset: s1 }],
        ["spaceId at nextSpaceId", (v) => v.setUint32(s2, 3, true), { reason: "spaceId", offset: s2 }],
        ["spaceIds not increasing", (v) => v.setUint32(s1, 2, true), { reason: "spaceId", offset: s2 }],
        ["dims 0", (v) => v.setUint8(s1 + 4, 0), { reason: "dims", offset: s1 + 4 }],
        ["dims 17", (v) => { v.setUint8(s1 + 4, 17); v.setUint8(s1 + 5, 1); }, { reason: "dims", offset: s1 + 4 }],
        ["bits 0", (v) => v.setUint8(s1 + 5, 0), { reason: "bits", offset: s1 + 5 }],
        ["dims x bits 66", (v) => v.setUint8(s1 + 5, 22), { reason: "bits", offset: s1 + 5 }],
        ["nameLength 0", (v) => v.setUint16(s1 + 6, 0, true), { reason: "nameLength", offset: s1 + 6 }],
        ["nameLength 256", (v) => v.setUint16(s1 + 6, 256, true), { reason: "nameLength", offset: s1 + 6 }],
        ["nameLength 9: the entry runs into the next one", (v) => v.setUint16(s2 + 6, 9, true), { reason: "spaceCount", offset: 32 }],
        ["a name that is not UTF-8", (v) => v.setUint8(s1 + 16, 0xff), { reason: "name", offset: s1 + 16 }],
        ["a lone UTF-8 continuation byte", (v) => v.setUint8(s2 + 21, 0x80), { reason: "name", offset: s2 + 16 }],
        ["a name with NUL (nameLength 6 takes a padding byte)", (v) => v.setUint16(s1 + 6, 6, true), { reason: "name", offset: s1 + 16 }],
        ["padding not zero", (v) => v.setUint8(s1 + 23, 1), { reason: "padding", offset: s1 + 23 }],
        ["a duplicate name", (v, b) => { v.setUint16(s2 + 6, 5, true); b.set(new TextEncoder().encode("cells\0"), s2 + 16); }, { reason: "duplicateName", offset: s2 + 16 }],
        ["sealedRevision above durableRevision", (v) => v.setBigUint64(s2 + 8, 13n, true), { reason: "sealedRevision", offset: s2 + 8 }],
      ]);
    });

    it("blocks", () => {
      const b = EX_BLOCK;
      expectCases([
        ["blockId 0", (v) => v.setBigUint64(b, 0n, true), { reason: "blockId", offset: b }],
        ["blockId at nextBlockId", (v) => v.setBigUint64(b, 8n, true), { reason: "blockId", offset: b }],
        ["a space not listed", (v) => v.setUint32(b + 8, 3, true), { reason: "blockSpace", offset: b + 8 }],
        ["space 0", (v) => v.setUint32(b + 8, 0, true), { reason: "blockSpace", offset: b + 8 }],
        ["recordCount 0", (v) => v.setUint32(b + 12, 0, true), { reason: "recordCount", offset: b + 12 }],
        ["keyMin above keyMax", (v) => v.setBigUint64(b + 16, 0x2bn, true), { reason: "keyRange", offset: b + 24 }],
        ["keyMax at 2^(dims x bits)", (v) => v.setBigUint64(b + 24, 1n << 32n, true), { reason: "keyRange", offset: b + 24 }],
        ["revisionMin 0", (v) => v.setBigUint64(b + 32, 0n, true), { reason: "revisionRange", offset: b + 32 }],
        ["revisionMin above revisionMax", (v) => v.setBigUint64(b + 32, 10n, true), { reason: "revisionRange", offset: b + 40 }],
        ["revisionMax above the space's sealedRevision", (v) => v.setBigUint64(b + 40, 10n, true), { reason: "revisionRange", offset: b + 40 }],
        ["the space's sealedRevision 0", (v) => v.setBigUint64(EX_SPACE_2 + 8, 0n, true), { reason: "revisionRange", offset: b + 40 }],
        ["fileSize under the smallest block", (v) => v.setBigUint64(b + 48, BigInt(BLOCK_SIZE_MIN - 1), true), { reason: "fileSize", offset: b + 48 }],
        ["fileSize too small for 200 records", (v) => v.setUint32(b + 12, 200, true), { reason: "fileSize", offset: b + 48 }],
        ["fileSize 4 GiB", (v) => v.setBigUint64(b + 48, BigInt(BLOCK_SIZE_MAX) + 1n, true), { reason: "fileSize", offset: b + 48 }],
      ]);
    });

    it("blockIdsNotIncreasingAreBlockId", () => {
      const block7 = EXAMPLE.blocks[0] as ManifestBlock;
      const two = encodeManifest(core, { ...EXAMPLE, blocks: [block7, { ...block7, blockId: 9n }], nextBlockId: 10n });
      const second = EX_BLOCK + 56;
      expectCases([
        ["equal ids", (v) => v.setBigUint64(second, 7n, true), { reason: "blockId", offset: second }],
        ["a lower id", (v) => v.setBigUint64(second, 6n, true), { reason: "blockId", offset: second }],
      ], two);
    });
  });

  describe("sizes and helpers", () => {
    it("blockFileSizeMinOfCountsOneIndexEntryPerSixtyFourRecords", () => {
      expect(blockFileSizeMinOf(1)).to.equal(BLOCK_SIZE_MIN);
      expect(blockFileSizeMinOf(64)).to.equal(64 + 64 * 20 + 32 + 16);
      expect(blockFileSizeMinOf(65)).to.equal(64 + 65 * 20 + 2 * 32 + 16);
      expect(() => blockFileSizeMinOf(0)).to.throw(/at least one record/);
    });

    it("blocksOfSpaceSpaceByNameAndSpaceById", () => {
      const manifest = decodeOk(core, example);
      expect(blocksOfSpace(manifest, 2).map((b) => b.blockId)).to.deep.equal([7n]);
      expect(blocksOfSpace(manifest, 1)).to.deep.equal([]);
      expect(spaceByName(manifest, "points")?.spaceId).to.equal(2);
      expect(spaceByName(manifest, "Points")).to.equal(undefined);
      expect(spaceById(manifest, 1)?.name).to.equal("cells");
      expect(spaceById(manifest, 3)).to.equal(undefined);
    });
  });
});
