// Behaviour every StorageIo backend shares, as a test function over a backend factory. The sim
// test runs it on SimIo and on the real sync and threadpool backends, so "SimIo behaves like the
// real ones" is checked against the real ones, not against a description of them. It covers the
// cases of test/io/real-io.test.ts that do not reach under a backend, and more of the cold path.
import { expect } from "chai";
import { CompletionOutcome, type Core } from "../../host/core/index.js";
import { type IoLimits } from "../../host/io/create-io.js";
import { type IoCompletion, type StorageIo } from "../../host/io/storage-io.js";
import { sharedCore } from "../core/core-suite.js";
import { drainCompletions } from "../io/drain-completions.js";

export interface IoFixture {
  readonly io: StorageIo;
  /** An empty directory to work in. */
  readonly root: string;
  cleanup(): void;
}

export type IoFixtureFactory = (core: Core, limits: IoLimits) => IoFixture;

const LIMITS: IoLimits = { opsMax: 64, filesMax: 8 };

const drain = drainCompletions;

async function completeAll(io: StorageIo, count: number): Promise<IoCompletion[]> {
  const done = await drain(io, count);
  for (const c of done) expect(io.completions.complete(c.token, c.result), `completion ${c.token}`).to.equal(CompletionOutcome.Ok);
  return done;
}

const ascii = (value: string): Uint8Array => new TextEncoder().encode(value);

interface IoCaseContext {
  readonly core: Core;
  readonly io: StorageIo;
  readonly root: string;
  /** `${root}/${name}` */
  at(name: string): string;
}

/** One behaviour every backend shares (as CoreCheck is one property of the core). */
interface IoCase {
  readonly name: string;
  run(context: IoCaseContext): void | Promise<void>;
}

export const storageIoCases: readonly IoCase[] = [
  {
    name: "gatheredBuffersFromTheSharedMemoryAreWrittenThenADatasyncCoversThem",
    async run({ core, io, at }) {
      const file = io.openFile(at("a"), { create: true });
      const region = core.allocateRegion(4096);
      const shared = core.bytesOf(region);
      shared.set(ascii("hello, "), 0);
      shared.set(ascii("world"), 100);
      const token = io.submitWrite(file, [shared.subarray(0, 7), shared.subarray(100, 105)], 0);
      expect(token).to.be.a("bigint");
      const [written] = await completeAll(io, 1);
      expect(written).to.deep.equal({ token, result: 12, errno: "" });
      expect(io.completions.writtenPosition(file)).to.equal(12n);
      expect(io.completions.syncedPosition(file)).to.equal(0n);
      const sync = io.submitDatasync(file);
      const [synced] = await completeAll(io, 1);
      expect(synced).to.deep.equal({ token: sync, result: 0, errno: "" });
      expect(io.completions.syncedPosition(file)).to.equal(12n);
      io.closeFile(file);
      expect(new TextDecoder().decode(io.readSmallFile(at("a")))).to.equal("hello, world");
      core.releaseRegion(region);
    },
  },
  {
    name: "writesPastTheEndReadBackAndTruncateSetsTheSize",
    async run({ io, at }) {
      const file = io.openFile(at("b"), { create: true });
      io.submitWrite(file, [new Uint8Array([1, 2, 3])], 5);
      await completeAll(io, 1);
      const back = new Uint8Array(16);
      expect(io.readAt(file, back, 0), "a short read at the end of the file").to.equal(8);
      expect([...back.subarray(0, 8)], "the hole reads as zeros").to.deep.equal([0, 0, 0, 0, 0, 1, 2, 3]);
      expect(io.readAt(file, back, 100), "a read past the end").to.equal(0);
      io.truncate(file, 6);
      expect(io.fileSize(file)).to.equal(6);
      io.truncate(file, 9);
      expect(io.readAt(file, back, 0)).to.equal(9);
      expect([...back.subarray(5, 9)], "a grown file reads zeros past the old end").to.deep.equal([1, 0, 0, 0]);
      io.syncFile(file);
      io.closeFile(file);
    },
  },
  {
    name: "writesOnTwoFilesCompleteWithDistinctTokensAcrossKinds",
    async run({ io, at }) {
      const a = io.openFile(at("a"), { create: true });
      const b = io.openFile(at("b"), { create: true });
      const tokens = [io.submitWrite(a, [ascii("aa")], 0), io.submitWrite(b, [ascii("bbb")], 0), io.submitDatasync(a), io.submitWrite(a, [ascii("cc")], 2)];
      expect(new Set(tokens).size).to.equal(4);
      expect(io.pendingCount()).to.be.within(0, 4);
      const done = await drain(io, 4);
      expect(done.map((c) => c.token).sort()).to.deep.equal([...tokens].sort());
      expect(io.pendingCount()).to.equal(0);
      for (const c of done) io.completions.complete(c.token, c.result);
      expect(io.completions.writtenPosition(a)).to.equal(4n);
      expect(io.completions.writtenPosition(b)).to.equal(3n);
      io.closeFile(a);
      io.closeFile(b);
    },
  },
  {
    name: "awaitCompletionResolvesAtOnceWithNothingInFlight",
    async run({ io }) {
      await io.awaitCompletion();
      expect(io.pollCompletions([])).to.equal(0);
      expect(io.flush()).to.equal(0);
    },
  },
  {
    name: "aZeroLengthWriteIsAnInvalidArgument",
    run({ io, at }) {
      const file = io.openFile(at("z"), { create: true });
      expect(() => io.submitWrite(file, [new Uint8Array(0)], 0)).to.throw().with.property("code", "SPACELOG_INVALID_ARGUMENT");
      io.closeFile(file);
    },
  },
  {
    name: "aFullCompletionTableReturnsNull",
    async run({ io, at }) {
      const file = io.openFile(at("full"), { create: true });
      const tokens: bigint[] = [];
      for (let i = 0; i < LIMITS.opsMax; i++) tokens.push(io.submitWrite(file, [ascii("x")], i) ?? -1n);
      expect(tokens).to.not.include(-1n);
      expect(io.submitWrite(file, [ascii("y")], LIMITS.opsMax)).to.equal(null);
      expect(io.submitDatasync(file)).to.equal(null);
      await completeAll(io, LIMITS.opsMax);
      io.closeFile(file);
    },
  },
  {
    name: "openingAMissingFileWithoutCreateIsAnIoErrorENOENT",
    run({ io, at }) {
      expect(() => io.openFile(at("missing"), { create: false })).to.throw().that.includes({ code: "SPACELOG_IO", errno: "ENOENT" });
      expect(() => io.openFile(at("no/such/dir/f"), { create: true })).to.throw().that.includes({ errno: "ENOENT" });
    },
  },
  {
    name: "exclusiveCreateOfAnExistingFileIsEEXISTAndCreateSmallFileSaysFalse",
    run({ io, at }) {
      io.closeFile(io.openFile(at("c"), { create: true }));
      expect(() => io.openFile(at("c"), { create: true, exclusive: true })).to.throw().that.includes({ errno: "EEXIST" });
      expect(io.createSmallFile(at("c"), new Uint8Array(1))).to.equal(false);
      expect(io.createSmallFile(at("d"), new Uint8Array([7]))).to.equal(true);
      expect([...(io.readSmallFile(at("d")) ?? [])]).to.deep.equal([7]);
      expect(io.readSmallFile(at("nothing"))).to.equal(undefined);
      expect(io.createSmallFile(at("empty"), new Uint8Array(0))).to.equal(true);
      expect(io.readSmallFile(at("empty"))?.byteLength).to.equal(0);
    },
  },
  {
    name: "directoriesAreMadeRecursivelyAndListedSorted",
    run({ io, at }) {
      io.makeDirectory(at("x/y/z"));
      io.makeDirectory(at("x/y")); // exists: fine
      for (const name of ["b", "a", "C", "a1"]) io.closeFile(io.openFile(at(`x/${name}`), { create: true }));
      expect(io.listDirectory(at("x"))).to.deep.equal(["C", "a", "a1", "b", "y"]);
      expect(io.exists(at("x/y/z"))).to.equal(true);
      io.syncDirectory(at("x"));
      expect(() => io.listDirectory(at("nope"))).to.throw().that.includes({ errno: "ENOENT" });
      expect(() => io.syncDirectory(at("nope"))).to.throw().that.includes({ errno: "ENOENT" });
      expect(() => io.makeDirectory(at("x/a"))).to.throw().that.includes({ errno: "EEXIST" });
      expect(() => io.openFile(at("x/y"), { create: false })).to.throw().that.includes({ errno: "EISDIR" });
    },
  },
  {
    name: "renameReplacesTheTargetAndRemoveDeletes",
    run({ io, root, at }) {
      expect(io.createSmallFile(at("new"), ascii("new"))).to.equal(true);
      expect(io.createSmallFile(at("cur"), ascii("old"))).to.equal(true);
      io.renameFile(at("new"), at("cur"));
      expect(new TextDecoder().decode(io.readSmallFile(at("cur")))).to.equal("new");
      expect(io.exists(at("new"))).to.equal(false);
      io.syncDirectory(root);
      expect(() => io.renameFile(at("new"), at("other"))).to.throw().that.includes({ errno: "ENOENT" });
      io.removeFile(at("cur"));
      expect(io.exists(at("cur"))).to.equal(false);
      expect(() => io.removeFile(at("cur"))).to.throw().that.includes({ code: "SPACELOG_IO", errno: "ENOENT" });
      expect(io.listDirectory(root)).to.deep.equal([]);
    },
  },
  {
    name: "anOpenFileSurvivesItsUnlink",
    async run({ io, at }) {
      const file = io.openFile(at("gone"), { create: true });
      io.removeFile(at("gone"));
      io.submitWrite(file, [ascii("still")], 0);
      await completeAll(io, 1);
      expect(io.fileSize(file)).to.equal(5);
      io.closeFile(file);
      expect(io.exists(at("gone"))).to.equal(false);
    },
  },
  {
    name: "openFileStartsTheTableAtTheGivenPositionOrTheSize",
    run({ io, at }) {
      expect(io.createSmallFile(at("p"), ascii("12345"))).to.equal(true);
      const sized = io.openFile(at("p"), { create: false });
      expect(io.completions.syncedPosition(sized)).to.equal(5n);
      const placed = io.openFile(at("p"), { create: false, position: 2 });
      expect(io.completions.writtenPosition(placed)).to.equal(2n);
      io.closeFile(sized);
      io.closeFile(placed);
      expect(io.completions.fileState(sized)).to.equal("closed");
    },
  },
];

export function describeStorageIoBehaviour(label: string, factory: IoFixtureFactory): void {
  describe(`sim: StorageIo behaviour shared by every backend (${label})`, () => {
    let core: Core;
    let fixture: IoFixture;

    before(async () => {
      core = await sharedCore();
    });
    beforeEach(() => {
      fixture = factory(core, LIMITS);
    });
    afterEach(() => {
      fixture.io.dispose();
      fixture.cleanup();
    });

    for (const ioCase of storageIoCases) {
      it(ioCase.name, async () => {
        const { io, root } = fixture;
        await ioCase.run({ core, io, root, at: (name) => `${root}/${name}` });
      });
    }
  });
}
