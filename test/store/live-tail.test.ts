import { expect } from "chai";
import fc from "fast-check";
import { constants } from "../../host/assert.js";
import { LiveTail, type LiveTailView } from "../../host/store/live-tail.js";
import { KEY_MAX, type OrderedVersion, type VersionRecord, keyOrd } from "../../host/store/version-record.js";
import { propertySeed } from "../core/core-check.js";

/** A version as the store gives the tail one: with its key's ord, so the tail keeps the object itself. */
function withOrd(record: VersionRecord): OrderedVersion {
  return { ...record, ord: keyOrd(record.key) };
}

// A small key space with the u64 edges in it, so ranges meet 0, 2^63 and 2^64 - 1.
const KEYS = [0n, 1n, 2n, 5n, 6n, 1n << 32n, 1n << 63n, KEY_MAX - 1n, KEY_MAX];

type Op =
  | { readonly kind: "put"; readonly keyAt: number; readonly length: number; readonly revisionGap: number }
  | { readonly kind: "delete"; readonly keyAt: number; readonly revisionGap: number }
  | { readonly kind: "publish"; readonly watermarkGap: number }
  | { readonly kind: "view" }
  | { readonly kind: "drop"; readonly fraction: number; readonly keyMask: number };

const keyAt = fc.nat(KEYS.length - 1);
const gap = fc.nat(2); // revisions other spaces took between two of this space's records
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("put" as const), keyAt, length: fc.nat(4), revisionGap: gap }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), keyAt, revisionGap: gap }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("publish" as const), watermarkGap: gap }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("view" as const)}) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("drop" as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }), keyMask: fc.nat((1 << KEYS.length) - 1) }) },
);

interface ModelView {
  readonly view: LiveTailView;
  /** The records the view must hold: published, and not dropped before the view was taken. */
  readonly records: readonly VersionRecord[];
  readonly publishedRevision: bigint;
}

function modelGet(records: readonly VersionRecord[], key: bigint, atRevision: bigint): VersionRecord | undefined {
  let newest: VersionRecord | undefined;
  for (const record of records) {
    if (record.key !== key || record.revision > atRevision) continue;
    if (newest === undefined || record.revision > newest.revision) newest = record;
  }
  return newest;
}

function modelRange(records: readonly VersionRecord[], from: bigint, to: bigint, atRevision: bigint): VersionRecord[] {
  const keys = [...new Set(records.map((record) => record.key))].filter((key) => key >= from && key <= to);
  keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return keys.flatMap((key) => {
    const newest = modelGet(records, key, atRevision);
    return newest === undefined ? [] : [newest];
  });
}

/** Runs the ops on a LiveTail and on the model; returns every view taken, with its model. */
function runOps(ops: readonly Op[]): { views: ModelView[]; revisionMax: bigint } {
  const tail = new LiveTail();
  let model: VersionRecord[] = [];
  let pending: VersionRecord[] = [];
  let lastRevision = 0n;
  let published = 0n;
  const views: ModelView[] = [];
  const takeView = (): void => {
    views.push({ view: tail.view(), records: model.slice(), publishedRevision: published });
  };
  for (const op of ops) {
    if (op.kind === "put" || op.kind === "delete") {
      lastRevision += 1n + BigInt(op.revisionGap);
      const value = op.kind === "put" ? new Uint8Array(op.length).fill(Number(lastRevision % 256n)) : null;
      pending.push(withOrd({ key: KEYS[op.keyAt] ?? 0n, revision: lastRevision, value }));
    } else if (op.kind === "publish") {
      lastRevision += BigInt(op.watermarkGap);
      tail.publish(pending, lastRevision);
      model = model.concat(pending);
      pending = [];
      published = lastRevision;
    } else if (op.kind === "view") {
      takeView();
    } else {
      const upTo = BigInt(Math.floor(op.fraction * Number(published)));
      const sealed = (record: VersionRecord): boolean => ((op.keyMask >> KEYS.indexOf(record.key)) & 1) === 1;
      tail.dropSealed(upTo, sealed);
      model = model.filter((record) => record.revision > upTo || !sealed(record));
    }
  }
  takeView();
  return { views, revisionMax: lastRevision };
}

function checkView(entry: ModelView, revisionMax: bigint): void {
  const { view, records } = entry;
  expect(view.publishedRevision).to.equal(entry.publishedRevision);
  expect(view.recordCount).to.equal(records.length);
  expect(view.sizeBytes).to.equal(records.reduce((sum, record) => sum + 16 + (record.value?.byteLength ?? 0), 0));
  for (let atRevision = 0n; atRevision <= revisionMax + 1n; atRevision++) {
    for (const key of KEYS) expect(view.get(key, atRevision)).to.equal(modelGet(records, key, atRevision));
  }
  for (const atRevision of [0n, revisionMax / 3n, revisionMax / 2n, revisionMax, revisionMax + 1n]) {
    KEYS.forEach((from, fromAt) => {
      for (const to of KEYS.slice(fromAt)) {
        const got = [...view.range(from, to, atRevision)];
        const want = modelRange(records, from, to, atRevision);
        expect(got.length).to.equal(want.length);
        got.forEach((record, at) => expect(record).to.equal(want[at]));
      }
    });
  }
}

describe("store: live tail", () => {
  let verify = false;
  before(() => {
    verify = constants.verify;
    constants.verify = true;
  });
  after(() => {
    constants.verify = verify;
  });

  it("every view's get and range equal a model of the records visible to it, at every revision", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const { views, revisionMax } = runOps(ops);
        for (const entry of views) checkView(entry, revisionMax);
      }),
      { numRuns: 300, seed: propertySeed() },
    );
  });

  it("a view taken before a publish and a dropSealed sees the same results after both", () => {
    const tail = new LiveTail();
    const a = withOrd({ key: 5n, revision: 1n, value: new Uint8Array([1]) });
    const b = withOrd({ key: 7n, revision: 2n, value: new Uint8Array([2]) });
    tail.publish([a, b]);
    const before = tail.view();
    tail.publish([{ key: 5n, revision: 3n, value: null }, { key: 6n, revision: 4n, value: new Uint8Array([4]) }]);
    tail.dropSealed(2n);
    expect(before.publishedRevision).to.equal(2n);
    expect(before.get(5n, 10n)).to.equal(a);
    expect([...before.range(0n, KEY_MAX, 10n)]).to.deep.equal([a, b]);
    const after = tail.view();
    expect(after.publishedRevision).to.equal(4n);
    expect(after.get(5n, 10n)?.value).to.equal(null);
    expect(after.get(5n, 2n)).to.equal(undefined); // dropped: the block holds it now
    expect([...after.range(0n, KEY_MAX, 10n)].map((record) => record.revision)).to.deep.equal([3n, 4n]);
  });

  it("a range read across a publish and a drop keeps its view's answers", () => {
    const tail = new LiveTail();
    tail.publish([0n, 1n, 2n, 3n].map((key, at) => ({ key, revision: BigInt(at + 1), value: new Uint8Array([at]) })));
    const iterator = tail.view().range(0n, 3n, 4n);
    expect(iterator.next().value?.key).to.equal(0n);
    tail.publish([{ key: 1n, revision: 5n, value: null }, { key: 2n, revision: 6n, value: null }]);
    tail.dropSealed(6n);
    expect([...iterator].map((record) => record.revision)).to.deep.equal([2n, 3n, 4n]);
    expect(tail.recordCount).to.equal(0);
  });

  it("emptyPublishMovesTheWatermarkOnly", () => {
    const tail = new LiveTail();
    const empty = tail.view();
    tail.publish([], 9n);
    expect(tail.publishedRevision).to.equal(9n);
    expect(tail.recordCount).to.equal(0);
    expect(empty.publishedRevision).to.equal(0n);
  });

  it("publishRefusesRevisionsAtOrBelowThePublishedOne", () => {
    const tail = new LiveTail();
    tail.publish([{ key: 1n, revision: 3n, value: null }]);
    expect(() => tail.publish([{ key: 1n, revision: 3n, value: null }])).to.throw(/is above 3/);
    expect(() => tail.publish([{ key: 1n, revision: 5n, value: null }, { key: 2n, revision: 4n, value: null }])).to.throw(/is above 5/);
    expect(() => tail.publish([{ key: 1n << 64n, revision: 6n, value: null }])).to.throw(/is a u64/);
    expect(() => tail.publish([{ key: 1n, revision: 6n, value: null }], 5n)).to.throw(/throughRevision/);
    expect(() => tail.dropSealed(4n)).to.throw(/published revision/);
    expect(tail.publishedRevision).to.equal(3n);
  });

  it("sameKeyTwiceInOneBatchKeepsBothVersions", () => {
    const tail = new LiveTail();
    const first = withOrd({ key: 8n, revision: 1n, value: new Uint8Array([1]) });
    const second = withOrd({ key: 8n, revision: 2n, value: new Uint8Array([2]) });
    tail.publish([first, second]);
    expect(tail.view().get(8n, 1n)).to.equal(first);
    expect(tail.view().get(8n, 2n)).to.equal(second);
    expect([...tail.view().range(8n, 8n, 1n)]).to.deep.equal([first]);
  });

  // Not a timed test: the figures in host/store/tail-runs.ts's header come from timing this workload.
  it("200 k records in publishes of 100", () => {
    const verify = constants.verify;
    constants.verify = false;
    try {
      const tail = new LiveTail();
      const keySpace = 1n << 40n;
      let x = 0x9e3779b97f4a7c15n;
      let runCountMax = 0;
      for (let publish = 0; publish < 2000; publish++) {
        const batch: VersionRecord[] = [];
        for (let at = 0; at < 100; at++) {
          x = (x * 6364136223846793005n + 1442695040888963407n) & KEY_MAX;
          batch.push({ key: x % keySpace, revision: BigInt(publish * 100 + at + 1), value: new Uint8Array(8) });
        }
        tail.publish(batch);
        runCountMax = Math.max(runCountMax, tail.view().runCount);
      }
      const view = tail.view();
      expect(view.recordCount).to.equal(200_000);
      expect(runCountMax).to.be.at.most(Math.log2(200_000) + 1);
      let count = 0;
      for (const record of view.range(0n, KEY_MAX, 200_000n)) count += record.value === null ? 0 : 1;
      expect(count).to.be.within(199_000, 200_000); // a few keys repeat in 2^40
    } finally {
      constants.verify = verify;
    }
  });
});
