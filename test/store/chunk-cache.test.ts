// The store's cache of decoded block chunks (host/store/chunk-cache.ts): least recently used out
// first, within its budget of on-disk bytes, a reader's chunks dropped when it closes, and chunks
// of one reader never served to another. Unit rules, then random operations against a model.
import { expect } from "chai";
import fc from "fast-check";
import { type BlockRecord } from "../../host/store/block-format.js";
import { ChunkCache } from "../../host/store/chunk-cache.js";
import { propertySeed } from "../core/core-check.js";

function recordsOf(tag: number): BlockRecord[] {
  return [{ key: BigInt(tag), revision: 1n, value: new Uint8Array([tag & 0xff]) }];
}

describe("store: the chunk cache (host/store/chunk-cache.ts)", () => {
  it("aChunkPutIsServedToItsReaderOnlyAndCountsAHit", () => {
    const cache = new ChunkCache(1000);
    const a = cache.registerReader();
    const b = cache.registerReader();
    expect(cache.get(a, 3)).to.equal(undefined);
    const records = recordsOf(3);
    cache.put(a, 3, 100, records);
    expect(cache.get(a, 3)).to.equal(records);
    expect(cache.get(b, 3), "another reader's chunk 3 is another block's").to.equal(undefined);
    expect({ hits: cache.hits, misses: cache.misses, bytes: cache.heldBytes }).to.deep.equal({ hits: 1, misses: 2, bytes: 100 });
  });

  it("theLeastRecentlyUsedChunkGoesFirstWhenTheBudgetIsPassed", () => {
    const cache = new ChunkCache(300);
    const r = cache.registerReader();
    for (const chunk of [0, 1, 2]) cache.put(r, chunk, 100, recordsOf(chunk));
    expect(cache.get(r, 0)).to.not.equal(undefined); // 0 is now the newest: 1 is the oldest
    cache.put(r, 3, 100, recordsOf(3));
    expect(cache.get(r, 1)).to.equal(undefined);
    for (const chunk of [0, 2, 3]) expect(cache.get(r, chunk), `chunk ${chunk}`).to.not.equal(undefined);
    expect(cache.heldBytes).to.equal(300);
  });

  it("aChunkLargerThanTheBudgetIsHeldAloneAndAZeroBudgetHoldsNothing", () => {
    const cache = new ChunkCache(300);
    const r = cache.registerReader();
    cache.put(r, 0, 100, recordsOf(0));
    cache.put(r, 1, 500, recordsOf(1));
    expect(cache.get(r, 0)).to.equal(undefined);
    expect(cache.get(r, 1)).to.not.equal(undefined);
    expect(cache.heldBytes).to.equal(500);
    cache.put(r, 2, 10, recordsOf(2));
    expect(cache.get(r, 1), "the big chunk goes once another comes").to.equal(undefined);
    expect(cache.heldBytes).to.equal(10);
    const none = new ChunkCache(0);
    const n = none.registerReader();
    none.put(n, 0, 10, recordsOf(0));
    expect(none.get(n, 0)).to.equal(undefined);
    expect(none.heldBytes).to.equal(0);
  });

  it("droppingAReaderRemovesOnlyItsChunks", () => {
    const cache = new ChunkCache(10_000);
    const a = cache.registerReader();
    const b = cache.registerReader();
    for (const chunk of [0, 1, 2]) {
      cache.put(a, chunk, 100, recordsOf(chunk));
      cache.put(b, chunk, 10, recordsOf(chunk + 10));
    }
    cache.dropReader(a);
    cache.dropReader(a);
    expect(cache.heldBytes).to.equal(30);
    for (const chunk of [0, 1, 2]) {
      expect(cache.get(a, chunk)).to.equal(undefined);
      expect(cache.get(b, chunk)?.[0]?.key).to.equal(BigInt(chunk + 10));
    }
  });

  it("randomOperationsMatchAModelLru", () => {
    type Op = { kind: "get" | "put" | "drop"; reader: number; chunk: number; bytes: number };
    const op: fc.Arbitrary<Op> = fc.record({
      kind: fc.constantFrom("get", "get", "put", "put", "drop") as fc.Arbitrary<Op["kind"]>,
      reader: fc.integer({ min: 0, max: 2 }),
      chunk: fc.integer({ min: 0, max: 5 }),
      bytes: fc.integer({ min: 1, max: 120 }),
    });
    fc.assert(fc.property(fc.integer({ min: 0, max: 400 }), fc.array(op, { maxLength: 200 }), (budget, ops) => {
      const cache = new ChunkCache(budget);
      const readers = [cache.registerReader(), cache.registerReader(), cache.registerReader()];
      // The model: a list, oldest first, of [reader, chunk, bytes, records].
      let model: Array<{ reader: number; chunk: number; bytes: number; records: BlockRecord[] }> = [];
      const held = (): number => model.reduce((sum, e) => sum + e.bytes, 0);
      for (const { kind, reader, chunk, bytes } of ops) {
        const id = readers[reader] as number;
        const at = model.findIndex((e) => e.reader === id && e.chunk === chunk);
        if (kind === "get") {
          const got = cache.get(id, chunk);
          expect(got).to.equal(at < 0 ? undefined : model[at]?.records);
          if (at >= 0) model.push(...model.splice(at, 1));
        } else if (kind === "put") {
          if (at >= 0) continue; // the cache takes a chunk only after a miss
          const records = recordsOf(chunk);
          cache.put(id, chunk, bytes, records);
          if (budget > 0) {
            model.push({ reader: id, chunk, bytes, records });
            while (held() > budget && model.length > 1) model.shift();
          }
        } else {
          cache.dropReader(id);
          model = model.filter((e) => e.reader !== id);
        }
        expect(cache.heldBytes).to.equal(held());
      }
    }), { seed: propertySeed(), numRuns: 300 });
  });
});
