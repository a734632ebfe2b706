// Writes larger than the commit ring (32 MiB): the queue places what fits, keeps the rest in order
// and places it as the ring drains. Found by the bench: re-queueing ~130 k unplaced records
// overflowed the stack (a spread into splice), and the store failed with a RangeError.
import { expect } from "chai";
import { open } from "../../host/index.js";
import { makeTempDir, removeTempDir } from "../wal/temp-dir.js";

const RECORDS = 500_000;
const SEALED = 262_144;
const VALUE_SIZE = 64; // 500 k records of ~125 bytes framed: ~62 MB, twice the ring; ~230 k wait for room

function valueOf(i: number): Uint8Array {
  const value = new Uint8Array(VALUE_SIZE);
  value[0] = i & 0xff;
  value[1] = (i >> 8) & 0xff;
  value[2] = (i >> 16) & 0xff;
  return value;
}

describe("store: writes larger than the ring", () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir("store-large-writes");
  });
  afterEach(() => removeTempDir(dir));

  it("aSealThatPromotesMoreThanTheRingHoldsLetsCloseFinish", async function () {
    this.timeout(120_000);
    const store = await open(`${dir}/store`, { ioThread: true, sealRecords: 1 << 22, sealBytes: 1 << 30 });
    await store.createSpace("line", { dims: 1, bits: 20 });
    // Enough to seal that the seal is still planning while the batches below are written.
    await store.putMany("line", Array.from({ length: SEALED }, (_, i) => ({ point: [i], value: valueOf(i) })));
    // While the seal runs every write is staged; once it is installed they are all copied into the
    // space's new hot segment at once: more bytes than the ring holds, with no call waiting on them.
    const sealed = store.seal("line");
    // As the bench's 16 batch writers did: batches of 1000, acknowledged while the seal plans.
    const batches = [];
    for (let at = 0; at < RECORDS; at += 1000) {
      batches.push(store.putMany("line", Array.from({ length: 1000 }, (_, k) => ({ point: [at + k], value: valueOf(at + k + 1) }))));
      if (batches.length === 16) await batches.shift();
    }
    await Promise.all(batches);
    expect(store.stats().records.staged, "most batches went to staging").to.be.at.least(RECORDS / 4);
    // close() waits for the seal, whose promotion then queues every staged record at once.
    void sealed.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("close() did not finish in 60 s")), 60_000);
    });
    try {
      await Promise.race([store.close(), late]);
    } finally {
      clearTimeout(timer);
    }
    const again = await open(`${dir}/store`);
    try {
      for (const i of [0, SEALED - 1, SEALED, RECORDS - 1]) expect(await again.get("line", [i]), `point ${i}`).to.deep.equal(valueOf(i + 1));
    } finally {
      await again.close();
    }
  });

  for (const ioThread of [true, false]) {
    it(`aBatchOfMoreBytesThanTheRingIsWrittenWholeAndInOrder (${ioThread ? "I/O thread" : "in-process"})`, async function () {
      this.timeout(120_000);
      const store = await open(`${dir}/store`, { ioThread, sealRecords: 1 << 22, sealBytes: 1 << 30 });
      try {
        await store.createSpace("line", { dims: 1, bits: 20 });
        const { first, last } = await store.putMany("line", Array.from({ length: RECORDS }, (_, i) => ({ point: [i], value: valueOf(i) })));
        expect(last - first + 1n).to.equal(BigInt(RECORDS));
        expect(store.stats().tailRecords).to.equal(RECORDS);
        for (const i of [0, 1, 65_535, 300_000, RECORDS - 1]) expect(await store.get("line", [i]), `point ${i}`).to.deep.equal(valueOf(i));
        // Every point, each at its own revision: the batch's order is the revisions' order.
        let n = 0;
        for await (const found of store.query("line", { min: [0], max: [RECORDS - 1] })) {
          expect(found.revision).to.equal(first + BigInt(found.point[0] as number));
          n++;
        }
        expect(n).to.equal(RECORDS);
      } finally {
        await store.close();
      }
      const again = await open(`${dir}/store`, { ioThread });
      try {
        expect(again.stats().tailRecords, "every record of the batch is recovered").to.equal(RECORDS);
        expect(await again.get("line", [RECORDS - 1])).to.deep.equal(valueOf(RECORDS - 1));
      } finally {
        await again.close();
      }
    });
  }
});
