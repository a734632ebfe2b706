import { expect } from "chai";
import fc from "fast-check";
import { constants } from "../../host/assert.js";
import { LiveTail } from "../../host/store/live-tail.js";
import { mergeVersions, mergeVersionsSync, type VersionMergeOptions, type VersionSource } from "../../host/store/version-merge.js";
import { compareVersions, type VersionRecord } from "../../host/store/version-record.js";
import { propertySeed } from "../core/core-check.js";

function syncMerge(sources: readonly (readonly VersionRecord[])[], options: VersionMergeOptions): VersionRecord[] {
  return [...mergeVersionsSync(sources, options)];
}

function put(key: bigint, revision: bigint, byte = Number(revision % 256n)): VersionRecord {
  return { key, revision, value: new Uint8Array([byte]) };
}

function tombstone(key: bigint, revision: bigint): VersionRecord {
  return { key, revision, value: null };
}

async function* asAsync(records: readonly VersionRecord[]): AsyncGenerator<VersionRecord, void, undefined> {
  for (const record of records) {
    await Promise.resolve();
    yield record;
  }
}

async function collect(iterable: AsyncIterable<VersionRecord>): Promise<VersionRecord[]> {
  const out: VersionRecord[] = [];
  for await (const record of iterable) out.push(record);
  return out;
}

/** The brute-force resolver: every record of every source, the newest <= R per key, live and kept. */
function resolveModel(sources: readonly (readonly VersionRecord[])[], options: VersionMergeOptions): VersionRecord[] {
  const newest = new Map<bigint, VersionRecord>();
  for (const record of sources.flat()) {
    if (record.revision > options.atRevision) continue;
    const held = newest.get(record.key);
    if (held === undefined || record.revision > held.revision) newest.set(record.key, record);
  }
  const keep = options.keep ?? (() => true);
  return [...newest.values()].filter((record) => record.value !== null && keep(record.key)).sort(compareVersions);
}

/** Both variants, the async one over sources alternately sync and async, give the model's answer. */
async function expectMerge(sources: readonly (readonly VersionRecord[])[], options: VersionMergeOptions): Promise<void> {
  const want = resolveModel(sources, options);
  expect(syncMerge(sources, options)).to.deep.equal(want);
  const mixed: VersionSource[] = sources.map((source, at) => (at % 2 === 0 ? source : asAsync(source)));
  expect(await collect(mergeVersions(mixed, options))).to.deep.equal(want);
}

describe("store: version merge", () => {
  let verify = false;
  before(() => {
    verify = constants.verify;
    constants.verify = true;
  });
  after(() => {
    constants.verify = verify;
  });

  it("equals a brute-force resolver over random sources with shared keys, tombstones and a filter", async () => {
    // Each revision is written once, to one source, and maybe copied to another (a block just
    // installed while the tail still holds its records).
    const version = fc.record({
      key: fc.bigInt({ min: 0n, max: 7n }), source: fc.nat(3), copyTo: fc.option(fc.nat(3)), tombstone: fc.boolean(),
    });
    const arb = fc.record({
      versions: fc.array(version, { maxLength: 40 }),
      atRevision: fc.bigInt({ min: 0n, max: 45n }),
      keepMask: fc.nat(255),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ versions, atRevision, keepMask }) => {
        const sources: VersionRecord[][] = [[], [], [], []];
        versions.forEach((v, at) => {
          const revision = BigInt(at + 1);
          const record = v.tombstone ? tombstone(v.key, revision) : put(v.key, revision);
          sources[v.source]?.push(record);
          if (v.copyTo !== null && v.copyTo !== v.source) sources[v.copyTo]?.push({ ...record });
        });
        for (const source of sources) source.sort(compareVersions);
        await expectMerge(sources, { atRevision, keep: (key) => ((keepMask >> Number(key)) & 1) === 1 });
      }),
      { numRuns: 500, seed: propertySeed() },
    );
  });

  it("tombstoneInTailHidesBlockVersion", async () => {
    await expectMerge([[put(1n, 1n)], [tombstone(1n, 2n)]], { atRevision: 5n });
    expect(syncMerge([[put(1n, 1n)], [tombstone(1n, 2n)]], { atRevision: 5n })).to.deep.equal([]);
  });

  it("newerVersionInBlockThanTailWins", async () => {
    const newer = put(1n, 7n);
    await expectMerge([[newer], [put(1n, 3n)]], { atRevision: 9n });
    expect(syncMerge([[newer], [put(1n, 3n)]], { atRevision: 9n })).to.deep.equal([newer]);
  });

  it("tombstoneAboveReadRevisionIsIgnored", async () => {
    const older = put(1n, 2n);
    expect(syncMerge([[older, tombstone(1n, 4n)]], { atRevision: 3n })).to.deep.equal([older]);
  });

  it("olderTombstoneDoesNotHideNewerPut", async () => {
    const newer = put(2n, 5n);
    expect(syncMerge([[tombstone(2n, 4n)], [newer]], { atRevision: 5n })).to.deep.equal([newer]);
  });

  it("versionsAboveReadRevisionLeaveKeyAbsent", async () => {
    expect(syncMerge([[put(3n, 6n)]], { atRevision: 5n })).to.deep.equal([]);
  });

  it("exactFilterDropsKeysOutsideTheBox", async () => {
    const inside = put(4n, 1n);
    expect(syncMerge([[inside, put(5n, 2n)]], { atRevision: 9n, keep: (key) => key === 4n }))
      .to.deep.equal([inside]);
  });

  it("sameVersionInBlockAndTailComesOutOnce", async () => {
    const record = put(6n, 3n);
    expect(syncMerge([[record], [{ ...record }]], { atRevision: 3n })).to.have.length(1);
    expect(() => syncMerge([[record], [tombstone(6n, 3n)]], { atRevision: 3n })).to.throw(/is one version/);
  });

  it("unsortedSourceIsRefused", async () => {
    expect(() => syncMerge([[put(2n, 1n), put(1n, 2n)]], { atRevision: 3n })).to.throw(/is sorted/);
    expect(() => syncMerge([[put(1n, 2n), put(1n, 1n)]], { atRevision: 3n })).to.throw(/is sorted/);
  });

  it("stoppingEarlyClosesEverySource", async () => {
    let closed = 0;
    async function* source(key: bigint): AsyncGenerator<VersionRecord, void, undefined> {
      try {
        yield put(key, key + 1n);
        yield put(key + 10n, key + 20n);
      } finally {
        closed++;
      }
    }
    for await (const record of mergeVersions([source(1n), source(2n)], { atRevision: 99n })) {
      expect(record.key).to.equal(1n);
      break;
    }
    expect(closed).to.equal(2);
  });

  it("takesALiveTailRangeAsASource", async () => {
    const tail = new LiveTail();
    tail.publish([put(1n, 5n), tombstone(2n, 6n)]);
    const block = [put(1n, 1n), put(2n, 2n), put(3n, 3n)];
    const view = tail.view();
    const got = await collect(mergeVersions([block, view.range(0n, 3n, 6n)], { atRevision: 6n }));
    expect(got.map((record) => [record.key, record.revision])).to.deep.equal([[1n, 5n], [3n, 3n]]);
  });
});
