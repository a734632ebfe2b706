// A store with more sealed blocks than it keeps files open (host/store/block-file-pool.ts): every
// block stays readable, the open files stay within the bound, and so after a reopen. Before the
// pool every block held its file for the store's life, and the 4097th block's seal failed.
import { expect } from "chai";
import { open } from "../../host/index.js";
import { BLOCK_FILES_OPEN_DEFAULT } from "../../host/store/block-file-pool.js";
import { makeTempDir, removeTempDir } from "../wal/temp-dir.js";

const SEALS = BLOCK_FILES_OPEN_DEFAULT + 44;

function valueOf(i: number): Uint8Array {
  return new Uint8Array([i & 0xff, (i >> 8) & 0xff, 7]);
}

describe("store: more blocks than open files", () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir("store-many-blocks");
  });
  afterEach(() => removeTempDir(dir));

  it("everyBlockStaysReadableWhileAtMostTheBoundAreOpen", async function () {
    this.timeout(120_000);
    const store = await open(`${dir}/store`, { ioThread: false, io: "sync" });
    await store.createSpace("line", { dims: 1, bits: 16 });
    // One point per seal: block i holds point i alone.
    for (let i = 0; i < SEALS; i++) {
      await store.put("line", [i], valueOf(i));
      await store.seal("line");
    }
    const check = async (what: string, reader: typeof store): Promise<void> => {
      const stats = reader.stats();
      expect(stats.blocks, what).to.equal(SEALS);
      expect(stats.tailRecords, what).to.equal(0);
      // Every block, read twice over in an order that defeats any LRU of the bound's size.
      for (const i of [...Array.from({ length: SEALS }, (_, k) => k), ...Array.from({ length: SEALS }, (_, k) => SEALS - 1 - k)]) {
        expect(await reader.get("line", [i]), `${what}: point ${i}`).to.deep.equal(valueOf(i));
        expect(reader.stats().blockFiles.open, what).to.be.at.most(BLOCK_FILES_OPEN_DEFAULT);
      }
      const all = [];
      for await (const found of reader.query("line", { min: [0], max: [SEALS] })) all.push(found.point[0]);
      expect(all, `${what}: a query over every block`).to.deep.equal(Array.from({ length: SEALS }, (_, k) => k));
      expect(reader.stats().blockFiles.openMax).to.equal(BLOCK_FILES_OPEN_DEFAULT);
    };
    await check("before close", store);
    await store.close();
    const again = await open(`${dir}/store`, { ioThread: false, io: "sync" });
    try {
      expect(again.stats().blockFiles.open, "recovery opened them all, within the bound").to.be.at.most(BLOCK_FILES_OPEN_DEFAULT);
      await check("after reopen", again);
    } finally {
      await again.close();
    }
  });
});
