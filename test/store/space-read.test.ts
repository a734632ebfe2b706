// The read path (host/store/space-read.ts) over real block files and a real live tail: queryBox
// and readKey against a brute-force model of the history, a flipped byte in a chunk, a view held
// across a publish and a drop, and readKey's early stop.
import { expect } from "chai";
import fc from "fast-check";
import { type Core } from "../../host/core/index.js";
import { CorruptionError } from "../../host/errors.js";
import { createRealIo } from "../../host/io/create-io.js";
import { type StorageIo } from "../../host/io/storage-io.js";
import { encodeBlock } from "../../host/store/block-encode.js";
import { BLOCK_HEADER_SIZE, H_INDEX_OFFSET, blockFileName } from "../../host/store/block-format.js";
import { type BlockReader, openBlock } from "../../host/store/block-reader.js";
import { type CheckedBox } from "../../host/store/box.js";
import { LiveTail } from "../../host/store/live-tail.js";
import { type ManifestBlock } from "../../host/store/manifest-format.js";
import { type PointVersion, type SpaceReadView, queryBox, readKey } from "../../host/store/space-read.js";
import { type VersionRecord, compareVersions } from "../../host/store/version-record.js";
import { sharedCore } from "../core/core-suite.js";
import { propertySeed } from "../core/core-check.js";
import { makeTempDir, removeTempDir } from "../wal/temp-dir.js";

const SPACE_ID = 7;
/** The largest bits per dims for the tests' small spaces: at most 4,096 cells. */
const BITS_MAX_OF_DIMS = [6, 4, 3, 2] as const;

interface Op {
  readonly cell: number;
  readonly tombstone: boolean;
  readonly valueLength: number;
  readonly gap: number;
}

interface QueryPick {
  readonly corners: readonly [number, number][];
  readonly revisionPick: number;
  readonly limitPick: number;
  readonly limited: boolean;
  readonly rangesMax: number;
}

interface Scenario {
  readonly dims: number;
  readonly bits: number;
  readonly ops: readonly Op[];
  /** Where seals cut the history, as thousandths of it. */
  readonly cutPicks: readonly number[];
  /** How many blocks each seal's records are split into. */
  readonly splits: readonly number[];
  /** Leave the last seal's records in the tail too (a block installed, the tail not yet dropped). */
  readonly keepOverlap: boolean;
  /**
   * Deal all sealed records round-robin to splits[0] blocks instead, as a compaction might lay
   * them out: blocks whose key and revision ranges overlap, a key's versions in several.
   */
  readonly interleave: boolean;
  readonly queries: readonly QueryPick[];
  readonly keyPicks: readonly number[];
}

const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.integer({ min: 1, max: 4 }).chain((dims) => fc.record({
  dims: fc.constant(dims),
  bits: fc.integer({ min: 1, max: BITS_MAX_OF_DIMS[dims - 1] ?? 1 }),
  ops: fc.array(fc.record({
    cell: fc.nat(),
    tombstone: fc.integer({ min: 0, max: 4 }).map((pick) => pick === 0),
    valueLength: fc.integer({ min: 2, max: 6 }),
    gap: fc.integer({ min: 1, max: 3 }),
  }), { minLength: 1, maxLength: 160 }),
  cutPicks: fc.uniqueArray(fc.integer({ min: 1, max: 1000 }), { maxLength: 3 }),
  splits: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
  keepOverlap: fc.boolean(),
  interleave: fc.boolean(),
  queries: fc.array(fc.record({
    corners: fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: dims, maxLength: dims }),
    revisionPick: fc.nat(),
    limitPick: fc.nat(),
    limited: fc.boolean(),
    rangesMax: fc.constantFrom(1, 2, 4, 256),
  }), { minLength: 1, maxLength: 4 }),
  keyPicks: fc.array(fc.nat(), { maxLength: 8 }),
}));

/** One written version with the cell it wrote, for the model. */
interface ModelRecord extends VersionRecord {
  readonly coordinates: readonly bigint[];
}

interface Built {
  readonly view: SpaceReadView;
  readonly tail: LiveTail;
  readonly records: readonly ModelRecord[];
  readonly revisionMax: bigint;
  readonly blockRecords: readonly (readonly VersionRecord[])[];
  close(): void;
}

/** A damaged byte: which block, and where among its chunks' bytes. */
interface Damage {
  readonly blockPick: number;
  readonly offsetPick: number;
}

function coordinatesOfCell(dims: number, bits: number, cell: number): bigint[] {
  const side = 1 << bits;
  return Array.from({ length: dims }, (_, axis) => BigInt(Math.floor(cell / side ** axis) % side));
}

/** The history of a scenario: op i writes its cell at a revision above op i - 1's, with a value naming i. */
function recordsOf(core: Core, scenario: Scenario): ModelRecord[] {
  const cellCount = 2 ** (scenario.dims * scenario.bits);
  let revision = 0n;
  return scenario.ops.map((op, index) => {
    revision += BigInt(op.gap);
    const coordinates = coordinatesOfCell(scenario.dims, scenario.bits, op.cell % cellCount);
    const key = core.hilbertKey(scenario.dims, scenario.bits, coordinates);
    const value = op.tombstone ? null : new Uint8Array(op.valueLength).fill(0xa5).fill(index & 0xff, 0, 1).fill(index >> 8, 1, 2);
    return { key, revision, value, coordinates };
  });
}

function sortedVersions(records: readonly VersionRecord[]): VersionRecord[] {
  return records.map(({ key, revision, value }) => ({ key, revision, value })).sort(compareVersions);
}

/** The op indices where seals end, increasing, each in 1..ops. */
function cutsOf(scenario: Scenario): number[] {
  const count = scenario.ops.length;
  const cuts = scenario.cutPicks.map((pick) => Math.ceil((pick / 1000) * count));
  return [...new Set(cuts)].sort((a, b) => a - b);
}

/** Each seal's records sorted, split into up to `splits` blocks of consecutive records. */
function blockRecordsOf(records: readonly ModelRecord[], scenario: Scenario, cuts: readonly number[]): VersionRecord[][] {
  if (scenario.interleave) {
    const sealed = records.slice(0, cuts[cuts.length - 1] ?? 0);
    const parts = scenario.splits[0] ?? 1;
    const dealt = Array.from({ length: parts }, (_, part) => sortedVersions(sealed.filter((_, at) => at % parts === part)));
    return dealt.filter((list) => list.length > 0);
  }
  const blocks: VersionRecord[][] = [];
  cuts.forEach((cut, seal) => {
    const sorted = sortedVersions(records.slice(seal === 0 ? 0 : cuts[seal - 1], cut));
    const parts = scenario.splits[seal] ?? 1;
    const size = Math.ceil(sorted.length / parts);
    for (let at = 0; at < sorted.length; at += size) blocks.push(sorted.slice(at, at + size));
  });
  return blocks;
}

function entryOf(blockId: bigint, records: readonly VersionRecord[], fileSize: number): ManifestBlock {
  const revisions = records.map((record) => record.revision);
  return {
    blockId, spaceId: SPACE_ID, recordCount: records.length, fileSize,
    keyMin: records[0]?.key ?? 0n, keyMax: records[records.length - 1]?.key ?? 0n,
    revisionMin: revisions.reduce((a, b) => (a < b ? a : b)), revisionMax: revisions.reduce((a, b) => (a > b ? a : b)),
  };
}

function flipByte(bytes: Uint8Array, offset: number): Uint8Array {
  const copy = bytes.slice();
  copy[offset] = (copy[offset] ?? 0) ^ 0xff;
  return copy;
}

/** The tail holds every record, published in turns of up to 4, less those a seal dropped. */
function tailOf(records: readonly ModelRecord[], cuts: readonly number[], keepOverlap: boolean): LiveTail {
  const tail = new LiveTail();
  const versions = records.map(({ key, revision, value }) => ({ key, revision, value }));
  for (let at = 0; at < versions.length; at += 4) tail.publish(versions.slice(at, at + 4));
  const dropCut = keepOverlap ? cuts[cuts.length - 2] : cuts[cuts.length - 1];
  const dropThrough = dropCut === undefined ? undefined : records[dropCut - 1];
  if (dropThrough !== undefined) tail.dropSealed(dropThrough.revision);
  return tail;
}

class BlockFiles {
  private blockId = 0n;
  constructor(private readonly core: Core, readonly io: StorageIo, readonly dir: string) {}

  /** Writes and opens a block of sorted records; `damage` picks a byte of the encoded file to flip first. */
  open(records: readonly VersionRecord[], damage?: (bytes: Uint8Array) => number): { entry: ManifestBlock; reader: BlockReader } {
    this.blockId += 1n;
    let bytes = encodeBlock(this.core, { blockId: this.blockId, spaceId: SPACE_ID, records });
    if (damage !== undefined) bytes = flipByte(bytes, damage(bytes));
    expect(this.io.createSmallFile(this.pathOf(this.blockId), bytes)).to.equal(true);
    const entry = entryOf(this.blockId, records, bytes.byteLength);
    return { entry, reader: openBlock(this.core, this.io, this.dir, this.blockId, entry) };
  }

  pathOf(blockId: bigint): string {
    return `${this.dir}/${blockFileName(blockId)}`;
  }
}

/** An offset among a block's chunk bytes [64, indexOffset): openBlock does not read them, records() does. */
function chunkByte(offsetPick: number): (bytes: Uint8Array) => number {
  return (bytes) => {
    const indexOffset = new DataView(bytes.buffer, bytes.byteOffset).getUint32(H_INDEX_OFFSET, true);
    return BLOCK_HEADER_SIZE + (offsetPick % (indexOffset - BLOCK_HEADER_SIZE));
  };
}

function build(core: Core, files: BlockFiles, scenario: Scenario, damage?: Damage): Built {
  const records = recordsOf(core, scenario);
  const cuts = cutsOf(scenario);
  const blockRecords = blockRecordsOf(records, scenario, cuts);
  const damaged = damage === undefined ? -1 : damage.blockPick % Math.max(blockRecords.length, 1);
  const blocks = blockRecords.map((list, at) => files.open(list, at === damaged ? chunkByte(damage?.offsetPick ?? 0) : undefined));
  const tail = tailOf(records, cuts, scenario.keepOverlap);
  const view: SpaceReadView = { spaceId: SPACE_ID, dims: scenario.dims, bits: scenario.bits, blocks, tail: tail.view() };
  const revisionMax = records[records.length - 1]?.revision ?? 0n;
  return { view, tail, records, revisionMax, blockRecords, close: () => blocks.forEach(({ reader }) => reader.close()) };
}

/** What a read at `revision` sees of each key: its newest version at or below it, tombstones included. */
function modelAt(records: readonly ModelRecord[], revision: bigint): Map<bigint, ModelRecord> {
  const newest = new Map<bigint, ModelRecord>();
  for (const record of records) if (record.revision <= revision) newest.set(record.key, record);
  return newest;
}

function modelQuery(records: readonly ModelRecord[], box: CheckedBox, revision: bigint): PointVersion[] {
  const inBox = (coordinates: readonly bigint[]): boolean =>
    coordinates.every((coordinate, axis) => coordinate >= (box.min[axis] ?? 0n) && coordinate <= (box.max[axis] ?? -1n));
  const out: PointVersion[] = [];
  for (const record of modelAt(records, revision).values()) {
    if (record.value !== null && inBox(record.coordinates)) out.push({ key: record.key, revision: record.revision, value: record.value });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function boxOf(scenario: Scenario, corners: readonly [number, number][]): CheckedBox {
  const side = 1 << scenario.bits;
  const pairs = corners.map(([a, b]) => [BigInt(Math.min(a % side, b % side)), BigInt(Math.max(a % side, b % side))] as const);
  return { min: pairs.map(([low]) => low), max: pairs.map(([, high]) => high) };
}

function plain(versions: readonly PointVersion[]): PointVersion[] {
  return versions.map(({ key, revision, value }) => ({ key, revision, value }));
}

async function collect(core: Core, view: SpaceReadView, box: CheckedBox, revision: bigint, limit: number, rangesMax?: number): Promise<PointVersion[]> {
  const out: PointVersion[] = [];
  for await (const version of queryBox(core, view, box, revision, limit, rangesMax === undefined ? {} : { rangesMax })) out.push(version);
  return out;
}

/** Moves the tail on after the view was taken: newer versions of some cells, then a drop of everything. */
function moveTailOn(built: Built): void {
  const keys = [...new Set(built.records.map((record) => record.key))].slice(0, 5);
  // Tombstones and new values alternate, so a leak shows as a point gone or a value changed.
  built.tail.publish(keys.map((key, at) => ({ key, revision: built.revisionMax + 1n + BigInt(at), value: at % 2 === 0 ? null : new Uint8Array([0xee]) })));
  built.tail.dropSealed(built.tail.publishedRevision);
}

function fullBox(dims: number, bits: number): CheckedBox {
  const high = (1n << BigInt(bits)) - 1n;
  return { min: Array.from({ length: dims }, () => 0n), max: Array.from({ length: dims }, () => high) };
}

describe("store/space-read", function () {
  this.timeout(120_000);
  let core: Core;
  let io: StorageIo;
  let dir: string;
  let files: BlockFiles;
  before(async () => {
    core = await sharedCore();
  });
  beforeEach(() => {
    dir = makeTempDir("space-read");
    io = createRealIo(core, "sync");
    files = new BlockFiles(core, io, dir);
  });
  afterEach(() => {
    io.dispose();
    removeTempDir(dir);
  });

  it("queryBoxAndReadKeyEqualABruteForceModel", async () => {
    await fc.assert(fc.asyncProperty(scenarioArbitrary, async (scenario) => {
      const built = build(core, files, scenario);
      try {
        // The view was taken before these: none of it may show in the reads below.
        moveTailOn(built);
        const revisions: bigint[] = [];
        for (const pick of scenario.queries) {
          const box = boxOf(scenario, pick.corners);
          // Up to 5 past the last write: the tail's later versions sit at revisionMax + 1...
          const revision = BigInt(pick.revisionPick) % (built.revisionMax + 6n);
          revisions.push(revision);
          const all = modelQuery(built.records, box, revision);
          const limit = pick.limited ? pick.limitPick % (all.length + 2) : Number.MAX_SAFE_INTEGER;
          const got = await collect(core, built.view, box, revision, limit, pick.rangesMax);
          expect(plain(got), `box ${box.min}..${box.max} at ${revision}, limit ${limit}, rangesMax ${pick.rangesMax}`).to.deep.equal(all.slice(0, limit));
        }
        const cellCount = 2 ** (scenario.dims * scenario.bits);
        const keys = new Set([...built.records.slice(0, 12).map((record) => record.key),
          ...scenario.keyPicks.map((pick) => core.hilbertKey(scenario.dims, scenario.bits, coordinatesOfCell(scenario.dims, scenario.bits, pick % cellCount)))]);
        for (const revision of revisions) {
          const model = modelAt(built.records, revision);
          for (const key of keys) {
            const newest = model.get(key);
            const expected = newest === undefined || newest.value === null ? undefined : { key, revision: newest.revision, value: newest.value };
            const got = await readKey(built.view, key, revision);
            expect(got === undefined ? undefined : plain([got])[0], `key ${key} at ${revision}`).to.deep.equal(expected);
          }
        }
      } finally {
        built.close();
      }
    }), { numRuns: 80, seed: propertySeed() });
  });

  it("aFlippedChunkByteRejectsTheQueryWithCorruptionAfterOnlyRightResults", async () => {
    const damageArbitrary = fc.record({ blockPick: fc.nat(), offsetPick: fc.nat() });
    await fc.assert(fc.asyncProperty(scenarioArbitrary, damageArbitrary, async (scenario, damage) => {
      // At least one seal, so there is a block to damage.
      const withSeal = scenario.cutPicks.length > 0 ? scenario : { ...scenario, cutPicks: [1000] };
      const built = build(core, files, withSeal, damage);
      try {
        // The whole space at the newest revision reads every chunk of every block.
        const box = fullBox(scenario.dims, scenario.bits);
        const expected = modelQuery(built.records, box, built.revisionMax);
        const got: PointVersion[] = [];
        let caught: unknown;
        try {
          for await (const version of queryBox(core, built.view, box, built.revisionMax, Number.MAX_SAFE_INTEGER)) got.push(version);
        } catch (error) {
          caught = error;
        }
        expect(caught, "queryBox rejects").to.be.instanceOf(CorruptionError);
        expect((caught as CorruptionError).code).to.equal("SPACELOG_CORRUPTION");
        expect(plain(got)).to.deep.equal(expected.slice(0, got.length));
      } finally {
        built.close();
      }
    }), { numRuns: 40, seed: propertySeed() });
  });

  it("readKeyRejectsWithCorruptionForAKeyInADamagedChunk", async () => {
    const records = Array.from({ length: 200 }, (_, at) => ({ key: BigInt(at), revision: BigInt(at + 1), value: new Uint8Array([at & 0xff]) }));
    // Byte 64 is the first chunk's first record: keys 0..63 lie in that chunk.
    const block = files.open(records, () => BLOCK_HEADER_SIZE);
    try {
      const view: SpaceReadView = { spaceId: SPACE_ID, dims: 1, bits: 8, blocks: [block], tail: new LiveTail().view() };
      let caught: unknown;
      await readKey(view, 10n, 500n).catch((error: unknown) => { caught = error; });
      expect(caught).to.be.instanceOf(CorruptionError);
      expect((caught as CorruptionError).file).to.equal(files.pathOf(block.entry.blockId));
      // A key in a chunk that verifies still reads.
      expect((await readKey(view, 150n, 500n))?.revision).to.equal(151n);
    } finally {
      block.reader.close();
    }
  });

  it("aViewTakenBeforeAPublishAndADropIsUnaffectedMidQuery", async () => {
    const tail = new LiveTail();
    const records = Array.from({ length: 20 }, (_, at) => ({ key: BigInt(at), revision: BigInt(at + 1), value: new Uint8Array([at]) }));
    for (const record of records) tail.publish([record]);
    const view: SpaceReadView = { spaceId: SPACE_ID, dims: 2, bits: 3, blocks: [], tail: tail.view() };
    const box = fullBox(2, 3);
    const query = queryBox(core, view, box, 30n, 100);
    const first = await query.next();
    expect(first.done).to.equal(false);
    // While the query is suspended: a tombstone of key 5, a new key 30, then a seal's drop of all.
    tail.publish([{ key: 5n, revision: 21n, value: null }, { key: 30n, revision: 22n, value: new Uint8Array([9]) }]);
    tail.dropSealed(22n);
    const rest: PointVersion[] = [];
    for (let next = await query.next(); next.done !== true; next = await query.next()) rest.push(next.value);
    const got = [first.value as PointVersion, ...rest];
    expect(plain(got)).to.deep.equal(records);
    expect((await readKey(view, 5n, 30n))?.revision).to.equal(6n);
    expect(await readKey(view, 30n, 30n)).to.equal(undefined);
    // A view taken now sees the drop: nothing is left in the tail.
    const after: SpaceReadView = { ...view, tail: tail.view() };
    expect(await collect(core, after, box, 30n, 100)).to.deep.equal([]);
  });

  it("readKeyStopsAtTheFirstBlockThatCannotHoldANewerVersion", async () => {
    const key = 40n;
    // Block i (1..3) holds key 1 at revision i and key 40 at revision 10 i; block 3's is a tombstone.
    const blocks = [1, 2, 3].map((i) => files.open([
      { key: 1n, revision: BigInt(i), value: new Uint8Array([1]) },
      { key, revision: BigInt(10 * i), value: i === 3 ? null : new Uint8Array([i]) },
    ]));
    const reads: bigint[] = [];
    const counted = blocks.map(({ entry, reader }) => {
      const wrapper = Object.create(reader) as BlockReader;
      wrapper.records = (keyFrom, keyTo) => {
        reads.push(entry.blockId);
        return reader.records(keyFrom, keyTo);
      };
      return { entry, reader: wrapper };
    });
    try {
      const tail = new LiveTail();
      const view: SpaceReadView = { spaceId: SPACE_ID, dims: 1, bits: 8, blocks: counted, tail: tail.view() };
      const [id1, id2, id3] = blocks.map(({ entry }) => entry.blockId);
      // Newest is block 3's tombstone: one read, then block 2's cap (20) is below 30.
      expect(await readKey(view, key, 100n)).to.equal(undefined);
      expect(reads).to.deep.equal([id3]);
      reads.length = 0;
      // At 25: block 3 is capped at 25 and holds nothing at or below it for the key; block 2 wins, block 1 is skipped.
      expect((await readKey(view, key, 25n))?.revision).to.equal(20n);
      expect(reads).to.deep.equal([id3, id2]);
      reads.length = 0;
      // At 15: blocks 2 and 3 are both capped at 15 and hold nothing for the key at or below it; block 1 wins.
      expect((await readKey(view, key, 15n))?.value).to.deep.equal(new Uint8Array([1]));
      expect(reads).to.deep.equal([id2, id3, id1]);
      reads.length = 0;
      // At 2: block 3's oldest record (3) is above the read, so it is never a candidate.
      expect(await readKey(view, key, 2n)).to.equal(undefined);
      expect(reads).to.deep.equal([id1, id2]);
      reads.length = 0;
      // A newer version in the tail: no block can beat it, none is read.
      tail.publish([{ key, revision: 200n, value: new Uint8Array([7]) }]);
      const withTail: SpaceReadView = { ...view, tail: tail.view() };
      expect((await readKey(withTail, key, 300n))?.revision).to.equal(200n);
      expect(reads).to.deep.equal([]);
    } finally {
      blocks.forEach(({ reader }) => reader.close());
    }
  });

  it("readKeyReadsOnWhileABlockMayHoldANewerVersion", async () => {
    // Block A's cap (30, from key 1) is above block B's (20), but A's version of key 40 (5) is older than B's (20).
    const a = files.open([{ key: 1n, revision: 30n, value: new Uint8Array([1]) }, { key: 40n, revision: 5n, value: new Uint8Array([5]) }]);
    const b = files.open([{ key: 40n, revision: 20n, value: new Uint8Array([20]) }]);
    try {
      const view: SpaceReadView = { spaceId: SPACE_ID, dims: 1, bits: 8, blocks: [a, b], tail: new LiveTail().view() };
      expect((await readKey(view, 40n, 100n))?.revision).to.equal(20n);
      expect((await readKey(view, 40n, 19n))?.revision).to.equal(5n);
    } finally {
      a.reader.close();
      b.reader.close();
    }
  });

  it("limitZeroReadsNothing", async () => {
    const block = files.open([{ key: 3n, revision: 1n, value: new Uint8Array([1]) }]);
    try {
      const view: SpaceReadView = { spaceId: SPACE_ID, dims: 1, bits: 4, blocks: [block], tail: new LiveTail().view() };
      expect(await collect(core, view, fullBox(1, 4), 5n, 0)).to.deep.equal([]);
      expect(plain(await collect(core, view, fullBox(1, 4), 5n, 1))).to.deep.equal([{ key: 3n, revision: 1n, value: new Uint8Array([1]) }]);
    } finally {
      block.reader.close();
    }
  });
});
