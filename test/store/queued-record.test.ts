// The hot path's record (queued-record.ts) writes exactly the bytes of the format's reference
// encoder (store-record.ts encodeStoreRecord), for puts and deletes, at any offset of a buffer.
import { expect } from "chai";
import fc from "fast-check";
import { QueuedRecord } from "../../host/store/queued-record.js";
import { encodeStoreRecord, PUT_VALUE_SIZE_MAX } from "../../host/store/store-record.js";
import { keyOrd } from "../../host/store/version-record.js";
import { type WriterStream } from "../../host/store/write-queue.js";
import { propertySeed } from "../core/core-check.js";

const stream: WriterStream = { id: 1, name: "hot", seed: 0, fileEnd: 64, durableEnd: 64, markedEnd: 64 };
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

describe("store: queued record", () => {
  it("writes the bytes encodeStoreRecord writes, for puts and deletes at any offset", () => {
    fc.assert(fc.property(u64, fc.bigInt({ min: 1n, max: (1n << 63n) }), fc.nat(1000), fc.integer({ min: 1, max: 0xffffffff }),
      fc.option(fc.uint8Array({ maxLength: 300 })), fc.nat(64), (key, revision, batchExtra, spaceId, value, at) => {
        const batchEnd = revision + BigInt(batchExtra);
        const queued = new QueuedRecord(key, keyOrd(key), revision, batchEnd, spaceId, value, stream, null);
        const reference = value === null
          ? encodeStoreRecord({ type: "delete", revision, batchEnd, spaceId, key })
          : encodeStoreRecord({ type: "put", revision, batchEnd, spaceId, key, value });
        expect(queued.size).to.equal(reference.byteLength);
        const target = new Uint8Array(at + queued.size + 7).fill(0xee);
        queued.writeTo(target.subarray(3), at);
        expect([...target.subarray(3 + at, 3 + at + queued.size)]).to.deep.equal([...reference]);
        expect(target[2]).to.equal(0xee);
        expect(target[3 + at + queued.size]).to.equal(0xee);
      }), { seed: propertySeed(), numRuns: 300 });
    expect(PUT_VALUE_SIZE_MAX).to.be.greaterThan(0);
  });

  it("a promoted copy keeps revision, batch end, key and value, and joins no tail", () => {
    const original = new QueuedRecord(99n, keyOrd(99n), 5n, 7n, 3, new Uint8Array([1, 2]), stream, { tail: { publish: () => undefined } });
    const other: WriterStream = { ...stream, id: 2 };
    const copy = original.copyTo(other);
    expect([copy.key, copy.revision, copy.batchEnd, copy.spaceId, copy.value, copy.stream, copy.space]).to.deep.equal([99n, 5n, 7n, 3, original.value, other, null]);
  });
});
