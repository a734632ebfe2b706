// The seal's plan (host/store/seal-plan.ts): random records of a random space, sealed, read back
// with the real block decoder and compared with a JS sort (the oracle only: the plan sorts with
// the core's radix sort, and a spy on the core checks that it does, and that every region it
// takes is released). The next manifest goes through the real manifest codec.
import { expect } from "chai";
import fc from "fast-check";
import { AssertionError } from "../../host/assert.js";
import { type Core, loadCore } from "../../host/core/index.js";
import { decodeChunk } from "../../host/store/block-chunk.js";
import { encodeBlock } from "../../host/store/block-encode.js";
import { type BlockIndex, type BlockRecord, decodeBlockFrame, frameOf, isBlockProblem } from "../../host/store/block-format.js";
import { encodeManifest } from "../../host/store/manifest-encode.js";
import { type Manifest, decodeManifest, isManifestProblem } from "../../host/store/manifest-format.js";
import {
  BLOCK_BYTES_MAX, BLOCK_RECORDS_MAX, SEAL_LIMITS_DEFAULT, type SealInput, type SealLimits, type SealPlan, planSeal,
} from "../../host/store/seal-plan.js";
import { compareVersions, type VersionRecord } from "../../host/store/version-record.js";
import { propertySeed } from "../core/core-check.js";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

const TARGET_SPACE_ID = 2;

/** A manifest with another space (sealed to 2, with its block 1) and the target space 2, sealed to `sealed`. */
function baseManifest(dims: number, bits: number, sealed: bigint, durable: bigint): Manifest {
  if (durable < 2n || durable < sealed) throw new Error("a fixture's durableRevision is at least every sealedRevision");
  return {
    generation: 5n,
    nextSpaceId: 3,
    nextBlockId: 4n,
    durableRevision: durable,
    spaces: [
      { spaceId: 1, name: "other", dims: 2, bits: 8, sealedRevision: 2n },
      { spaceId: TARGET_SPACE_ID, name: "target", dims, bits, sealedRevision: sealed },
    ],
    blocks: [{ blockId: 1n, spaceId: 1, recordCount: 1, keyMin: 7n, keyMax: 7n, revisionMin: 2n, revisionMax: 2n, fileSize: 132 }],
  };
}

/** Opens a block and decodes every chunk; fails the test on any problem. */
function readBlock(core: Core, bytes: Uint8Array, blockId: bigint): { index: BlockIndex; records: BlockRecord[] } {
  const index = decodeBlockFrame(core, frameOf(bytes), bytes.byteLength, blockId);
  if (isBlockProblem(index)) throw new Error(`block ${blockId} does not open: ${index.reason} at ${index.offset}`);
  const records: BlockRecord[] = [];
  for (const chunk of index.chunks) {
    const decoded = decodeChunk(core, index, chunk, bytes.subarray(chunk.offset, chunk.offset + chunk.length));
    if (isBlockProblem(decoded)) throw new Error(`block ${blockId} chunk ${chunk.chunkIndex}: ${decoded.reason} at ${decoded.offset}`);
    records.push(...decoded);
  }
  return { index, records };
}

function plain(record: VersionRecord): { key: string; revision: string; value: number[] | null } {
  return { key: record.key.toString(), revision: record.revision.toString(), value: record.value === null ? null : [...record.value] };
}

/** Every block of the plan decodes, and together they hold exactly `records` sorted (the oracle). */
function expectPlanHolds(core: Core, plan: SealPlan, before: Manifest, records: readonly VersionRecord[], spaceId: number): void {
  const beforeDecoded = decodeManifest(core, encodeManifest(core, before));
  expect(isManifestProblem(beforeDecoded), "the fixture manifest is valid").to.equal(false);
  const expected = [...records].sort(compareVersions).map(plain);
  const actual: VersionRecord[] = [];
  plan.blocks.forEach((block, i) => {
    expect(block.blockId).to.equal(before.nextBlockId + BigInt(i));
    const { index, records: decoded } = readBlock(core, block.blockBytes, block.blockId);
    const entry = block.entry;
    expect(entry.blockId).to.equal(block.blockId);
    expect(entry.spaceId).to.equal(spaceId);
    expect(index.spaceId).to.equal(spaceId);
    expect(entry.fileSize).to.equal(block.blockBytes.byteLength);
    expect([entry.recordCount, entry.keyMin, entry.keyMax, entry.revisionMin, entry.revisionMax])
      .to.deep.equal([index.recordCount, index.keyMin, index.keyMax, index.revisionMin, index.revisionMax]);
    actual.push(...decoded);
  });
  expect(actual.map(plain)).to.deep.equal(expected);
  // The next manifest: appended entries, ids, generation, the sealed revision, and the real codec.
  const next = plan.manifest;
  expect(next.generation).to.equal(before.generation + 1n);
  expect(next.nextBlockId).to.equal(before.nextBlockId + BigInt(plan.blocks.length));
  expect(next.nextSpaceId).to.equal(before.nextSpaceId);
  expect(next.blocks).to.deep.equal([...before.blocks, ...plan.blocks.map((block) => block.entry)]);
  for (const space of next.spaces) {
    const old = before.spaces.find((s) => s.spaceId === space.spaceId);
    expect(space).to.deep.equal(space.spaceId === spaceId ? { ...old, sealedRevision: plan.sealedThrough } : old);
  }
  const decoded = decodeManifest(core, encodeManifest(core, next));
  if (isManifestProblem(decoded)) throw new Error(`the next manifest does not decode: ${decoded.reason} at ${decoded.offset}`);
  expect(decoded).to.deep.equal(next);
}

interface SealCase {
  readonly dims: number;
  readonly bits: number;
  readonly sealed: bigint;
  readonly manifestDurable: bigint;
  readonly durableSlack: bigint;
  /** Revisions are sealed + 1 .. sealed + REVISION_SPAN. */
  readonly records: VersionRecord[];
}

const REVISION_SPAN = 500n;

const valueArb: fc.Arbitrary<Uint8Array | null> = fc.oneof(
  fc.constant(null),
  fc.uint8Array({ maxLength: 40 }),
);

function recordsArb(keyBits: number, sealed: bigint, maxLength: number): fc.Arbitrary<VersionRecord[]> {
  const keyMax = (1n << BigInt(keyBits)) - 1n;
  // A few keys often, so that one key has several versions, and any key of the space.
  const key = fc.oneof(fc.bigInt({ min: 0n, max: keyMax < 3n ? keyMax : 3n }), fc.bigInt({ min: 0n, max: keyMax }), fc.constant(keyMax));
  const record = fc.record({ key, revision: fc.bigInt({ min: sealed + 1n, max: sealed + REVISION_SPAN }), value: valueArb });
  return fc.uniqueArray(record, { maxLength, selector: (r) => `${r.key}:${r.revision}` });
}

const sealCaseArb: fc.Arbitrary<SealCase> = fc.integer({ min: 1, max: 16 })
  .chain((dims) => fc.integer({ min: 1, max: Math.floor(64 / dims) }).map((bits) => ({ dims, bits })))
  .chain(({ dims, bits }) => fc.bigInt({ min: 0n, max: 1000n }).chain((sealed) => fc.record({
    dims: fc.constant(dims),
    bits: fc.constant(bits),
    sealed: fc.constant(sealed),
    manifestDurable: fc.bigInt({ min: sealed + 2n, max: sealed + 2n * REVISION_SPAN }),
    durableSlack: fc.bigInt({ min: 0n, max: 5n }),
    records: recordsArb(dims * bits, sealed, 120),
  })));

function inputOf(c: SealCase, manifest: Manifest, records: readonly VersionRecord[], sealRevision: bigint): SealInput {
  return { spaceId: TARGET_SPACE_ID, records, manifest, sealRevision, durableRevision: sealRevision + c.durableSlack };
}

function planOk(core: Core, input: SealInput, limits?: SealLimits): SealPlan {
  const plan = planSeal(core, input, limits);
  if (plan === null) throw new Error("expected a plan");
  return plan;
}

/** Counts the core calls a plan makes; `restore` puts the prototype's methods back. */
function spyOnCore(core: Core): { sorts: number[]; allocated: number; released: number; restore: () => void } {
  const spy = { sorts: [] as number[], allocated: 0, released: 0, restore: (): void => undefined };
  const { sortTuplesAt, allocateRegion, releaseRegion } = core;
  core.sortTuplesAt = (ptr, count) => {
    spy.sorts.push(count);
    sortTuplesAt.call(core, ptr, count);
  };
  core.allocateRegion = (sizeBytes) => {
    spy.allocated += 1;
    return allocateRegion.call(core, sizeBytes);
  };
  core.releaseRegion = (region) => {
    spy.released += 1;
    releaseRegion.call(core, region);
  };
  const own = core as unknown as Record<string, unknown>;
  spy.restore = () => {
    delete own["sortTuplesAt"];
    delete own["allocateRegion"];
    delete own["releaseRegion"];
  };
  return spy;
}

describe("store: seal plan (docs/store-design.md Seal)", () => {
  let core: Core;
  before(async () => {
    core = await loadCore();
  });

  it("limitsDefaultsAreTheDocumentedOnes", () => {
    expect(SEAL_LIMITS_DEFAULT).to.deep.equal({ blockRecordsMax: BLOCK_RECORDS_MAX, blockBytesMax: BLOCK_BYTES_MAX });
    expect(BLOCK_RECORDS_MAX).to.equal(1 << 20);
    expect(BLOCK_BYTES_MAX).to.equal(256 * 1024 * 1024);
  });

  it("sealedBlocksHoldExactlyTheRecordsSortedThenASecondSealAppends", () => {
    fc.assert(
      fc.property(sealCaseArb, (c) => {
        const before = baseManifest(c.dims, c.bits, c.sealed, c.manifestDurable);
        const sealRevision = c.sealed + REVISION_SPAN;
        const plan = planSeal(core, inputOf(c, before, c.records, sealRevision));
        if (c.records.length === 0) {
          expect(plan).to.equal(null);
          return;
        }
        if (plan === null) throw new Error("expected a plan");
        expect(plan.blocks.length).to.equal(1);
        expect(plan.sealedThrough).to.equal(sealRevision);
        const durable = sealRevision + c.durableSlack;
        expect(plan.manifest.durableRevision).to.equal(durable > c.manifestDurable ? durable : c.manifestDurable);
        expectPlanHolds(core, plan, before, c.records, TARGET_SPACE_ID);
        // A second seal, of newer records, appends a second block to the next manifest.
        const newer = c.records.map((r) => ({ ...r, revision: r.revision + REVISION_SPAN }));
        const second = planOk(core, inputOf(c, plan.manifest, newer, sealRevision + REVISION_SPAN));
        expectPlanHolds(core, second, plan.manifest, newer, TARGET_SPACE_ID);
        expect(second.manifest.blocks.length).to.equal(before.blocks.length + 2);
      }),
      { seed: propertySeed(), numRuns: 150 },
    );
  });

  it("manyRecordsSplitIntoConsecutiveBlocksEachAsLargeAsTheLimitsAllow", () => {
    fc.assert(
      fc.property(sealCaseArb, fc.integer({ min: 1, max: 9 }), fc.integer({ min: 60, max: 900 }), (c, blockRecordsMax, blockBytesMax) => {
        const limits: SealLimits = { blockRecordsMax, blockBytesMax };
        const before = baseManifest(c.dims, c.bits, c.sealed, c.manifestDurable);
        const plan = planSeal(core, inputOf(c, before, c.records, c.sealed + REVISION_SPAN), limits);
        if (c.records.length === 0) return void expect(plan).to.equal(null);
        if (plan === null) throw new Error("expected a plan");
        expectPlanHolds(core, plan, before, c.records, TARGET_SPACE_ID);
        const sorted = [...c.records].sort(compareVersions);
        let start = 0;
        plan.blocks.forEach((block, i) => {
          const count = block.entry.recordCount;
          expect(count).to.be.at.most(blockRecordsMax);
          if (count >= 2) expect(block.blockBytes.byteLength).to.be.at.most(blockBytesMax);
          // Greedy: the next record would have broken a limit.
          const following = sorted[start + count];
          if (i < plan.blocks.length - 1 && following !== undefined && count < blockRecordsMax) {
            const grown = encodeBlock(core, { blockId: block.blockId, spaceId: TARGET_SPACE_ID, records: sorted.slice(start, start + count + 1) });
            expect(grown.byteLength).to.be.above(blockBytesMax);
          }
          start += count;
        });
        expect(start).to.equal(sorted.length);
      }),
      { seed: propertySeed(), numRuns: 150 },
    );
  });

  it("blockSizesCountChunksSplitByRecordsAndBytes", () => {
    // 200 small records cross the 64-records chunk rule; 10 KiB values cross the 64 KiB chunk rule.
    // planSeal asserts each encoded block is exactly the size it planned; here the byte limit bites too.
    const small = Array.from({ length: 200 }, (_, i) => ({ key: BigInt(i), revision: 5n, value: text("v") }));
    const large = Array.from({ length: 30 }, (_, i) => ({ key: BigInt(1000 + i), revision: 6n, value: new Uint8Array(10 * 1024).fill(i) }));
    const records = [...large, ...small];
    const before = baseManifest(1, 16, 0n, 6n);
    for (const limits of [SEAL_LIMITS_DEFAULT, { blockRecordsMax: 130, blockBytesMax: 100 * 1024 }, { blockRecordsMax: 1000, blockBytesMax: 4096 }]) {
      const plan = planOk(core, { spaceId: TARGET_SPACE_ID, records, manifest: before, sealRevision: 6n, durableRevision: 6n }, limits);
      expectPlanHolds(core, plan, before, records, TARGET_SPACE_ID);
      for (const block of plan.blocks) {
        expect(block.entry.recordCount).to.be.at.most(limits.blockRecordsMax);
        if (block.entry.recordCount >= 2) expect(block.blockBytes.byteLength).to.be.at.most(limits.blockBytesMax);
      }
      if (limits !== SEAL_LIMITS_DEFAULT) expect(plan.blocks.length).to.be.above(2);
    }
  });

  it("workedExampleSplitsSevenRecordsIntoBlocks12To14", () => {
    const pairs: Array<[bigint, bigint]> = [[6n, 6n], [3n, 8n], [1n, 9n], [5n, 2n], [2n, 5n], [1n, 4n], [3n, 3n]];
    const records = pairs.map(([key, revision]) => ({ key, revision, value: text(`k${key}r${revision}`) }));
    const before = { ...baseManifest(1, 8, 1n, 9n), nextBlockId: 12n };
    const plan = planOk(core, { spaceId: TARGET_SPACE_ID, records, manifest: before, sealRevision: 9n, durableRevision: 9n },
      { blockRecordsMax: 3, blockBytesMax: BLOCK_BYTES_MAX });
    expect(plan.blocks.map((b) => b.blockId)).to.deep.equal([12n, 13n, 14n]);
    expect(plan.blocks.map((b) => [b.entry.keyMin, b.entry.keyMax, b.entry.revisionMin, b.entry.revisionMax]))
      .to.deep.equal([[1n, 2n, 4n, 9n], [3n, 5n, 2n, 8n], [6n, 6n, 6n, 6n]]);
    expect(plan.manifest.nextBlockId).to.equal(15n);
    expectPlanHolds(core, plan, before, records, TARGET_SPACE_ID);
  });

  it("sortsWithTheCoresRadixSortAndReleasesItsRegion", () => {
    const records = Array.from({ length: 300 }, (_, i) => ({ key: BigInt((i * 7919) % 256), revision: BigInt(300 - i), value: null }));
    const spy = spyOnCore(core);
    try {
      const plan = planOk(core, { spaceId: TARGET_SPACE_ID, records, manifest: baseManifest(1, 8, 0n, 300n), sealRevision: 300n, durableRevision: 300n });
      expect(plan.blocks.length).to.equal(1);
      expect(spy.sorts).to.deep.equal([300]);
      expect(spy.allocated).to.be.at.least(1);
      expect(spy.released).to.equal(spy.allocated);
    } finally {
      spy.restore();
    }
    expect(Object.hasOwn(core, "sortTuplesAt")).to.equal(false);
  });

  it("zeroRecordsPlanNothing", () => {
    const before = baseManifest(3, 5, 4n, 10n);
    expect(planSeal(core, { spaceId: TARGET_SPACE_ID, records: [], manifest: before, sealRevision: 10n, durableRevision: 10n })).to.equal(null);
  });

  it("oneRecordMakesOneBlock", () => {
    const before = baseManifest(2, 4, 0n, 2n);
    const records = [{ key: 255n, revision: 1n, value: text("x") }];
    const plan = planOk(core, { spaceId: TARGET_SPACE_ID, records, manifest: before, sealRevision: 1n, durableRevision: 1n });
    expect(plan.blocks.length).to.equal(1);
    expect(plan.blocks[0]?.entry).to.deep.include({ recordCount: 1, keyMin: 255n, keyMax: 255n, revisionMin: 1n, revisionMax: 1n });
    expect(plan.manifest.durableRevision, "the manifest's, above the given one").to.equal(2n);
    expectPlanHolds(core, plan, before, records, TARGET_SPACE_ID);
  });

  it("tombstonesOnlyAreSealedAndKept", () => {
    const before = baseManifest(1, 16, 3n, 3n);
    const records = [{ key: 9n, revision: 5n, value: null }, { key: 2n, revision: 4n, value: null }, { key: 9n, revision: 6n, value: null }];
    const plan = planOk(core, { spaceId: TARGET_SPACE_ID, records, manifest: before, sealRevision: 6n, durableRevision: 7n });
    expectPlanHolds(core, plan, before, records, TARGET_SPACE_ID);
    const { records: decoded } = readBlock(core, plan.blocks[0]?.blockBytes ?? new Uint8Array(0), 4n);
    expect(decoded.every((r) => r.value === null)).to.equal(true);
    expect(plan.manifest.durableRevision).to.equal(7n);
  });

  describe("caller bugs are assertions", () => {
    const before = baseManifest(1, 8, 4n, 20n);
    const ok = { spaceId: TARGET_SPACE_ID, manifest: before, sealRevision: 20n, durableRevision: 20n };

    it("aDuplicateKeyAndRevisionFailsAndTheRegionIsReleased", () => {
      const records = [{ key: 1n, revision: 5n, value: null }, { key: 1n, revision: 5n, value: text("a") }];
      const spy = spyOnCore(core);
      try {
        expect(() => planSeal(core, { ...ok, records })).to.throw(AssertionError, /share key 1 and revision 5/);
        expect(spy.released).to.equal(spy.allocated);
      } finally {
        spy.restore();
      }
    });

    it("aRecordAlreadySealedOrAboveRFails", () => {
      expect(() => planSeal(core, { ...ok, records: [{ key: 1n, revision: 4n, value: null }] })).to.throw(AssertionError, /not sealed yet/);
      expect(() => planSeal(core, { ...ok, records: [{ key: 1n, revision: 21n, value: null }] })).to.throw(AssertionError, /at most R/);
    });

    it("aKeyOutsideTheSpaceFails", () => {
      expect(() => planSeal(core, { ...ok, records: [{ key: 256n, revision: 5n, value: null }] })).to.throw(AssertionError, /key range/);
    });

    it("RBelowTheSealedRevisionOrNotDurableFails", () => {
      expect(() => planSeal(core, { ...ok, records: [], sealRevision: 3n })).to.throw(AssertionError, /back/);
      expect(() => planSeal(core, { ...ok, records: [], sealRevision: 21n })).to.throw(AssertionError, /durable/);
    });

    it("anUnknownSpaceFails", () => {
      expect(() => planSeal(core, { ...ok, spaceId: 9, records: [] })).to.throw(AssertionError, /listed/);
    });
  });
});
