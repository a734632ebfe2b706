// The sync and threadpool backends on real files: gathered writes from the shared WASM memory,
// completions through the core's table, datasync boundaries, and errors as values.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CompletionOutcome, loadCore, type Core } from "../../host/core/index.js";
import { createRealIo } from "../../host/io/create-io.js";
import { type StorageIo } from "../../host/io/storage-io.js";
import { drainCompletions } from "./drain-completions.js";

const drain = drainCompletions;

for (const kind of ["sync", "threadpool"] as const) {
  describe(`io: ${kind} backend on real files`, () => {
    let core: Core;
    let dir: string;
    let io: StorageIo;

    before(async () => {
      core = await loadCore();
    });
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "spacelog-io-"));
      io = createRealIo(core, kind);
    });
    afterEach(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("writes gathered buffers from the shared memory, then a datasync covers them", async () => {
      const file = io.openFile(path.join(dir, "a"), { create: true });
      const region = core.allocateRegion(4096);
      const shared = core.bytesOf(region);
      shared.set(new TextEncoder().encode("hello, "), 0);
      shared.set(new TextEncoder().encode("world"), 100);
      const token = io.submitWrite(file, [shared.subarray(0, 7), shared.subarray(100, 105)], 0);
      expect(token).to.be.a("bigint");
      const [written] = await drain(io, 1);
      expect(written).to.deep.equal({ token, result: 12, errno: "" });
      expect(io.completions.complete(written!.token, written!.result)).to.equal(CompletionOutcome.Ok);
      expect(io.completions.writtenPosition(file)).to.equal(12n);
      expect(io.completions.syncedPosition(file)).to.equal(0n);
      const sync = io.submitDatasync(file);
      const [synced] = await drain(io, 1);
      expect(synced?.token).to.equal(sync);
      io.completions.complete(synced!.token, synced!.result);
      expect(io.completions.syncedPosition(file)).to.equal(12n);
      expect(fs.readFileSync(path.join(dir, "a"), "utf8")).to.equal("hello, world");
      io.closeFile(file);
      io.dispose();
      core.releaseRegion(region);
    });

    it("a write at a position past the end and reads back through readAt", async () => {
      const file = io.openFile(path.join(dir, "b"), { create: true });
      io.submitWrite(file, [new Uint8Array([1, 2, 3])], 0);
      for (const c of await drain(io, 1)) io.completions.complete(c.token, c.result);
      const back = new Uint8Array(8);
      expect(io.readAt(file, back, 0)).to.equal(3);
      expect([...back.subarray(0, 3)]).to.deep.equal([1, 2, 3]);
      io.truncate(file, 1);
      expect(io.fileSize(file)).to.equal(1);
      io.closeFile(file);
      io.dispose();
    });

    it("opening a missing file without create is an IoError with errno ENOENT", () => {
      expect(() => io.openFile(path.join(dir, "missing"), { create: false }))
        .to.throw().that.includes({ code: "SPACELOG_IO", errno: "ENOENT" });
      io.dispose();
    });

    it("exclusive create of an existing file fails with EEXIST; createSmallFile reports false", () => {
      const p = path.join(dir, "c");
      io.closeFile(io.openFile(p, { create: true }));
      expect(() => io.openFile(p, { create: true, exclusive: true })).to.throw().that.includes({ errno: "EEXIST" });
      expect(io.createSmallFile(p, new Uint8Array(1))).to.equal(false);
      expect(io.createSmallFile(path.join(dir, "d"), new Uint8Array([7]))).to.equal(true);
      expect([...(io.readSmallFile(path.join(dir, "d")) ?? [])]).to.deep.equal([7]);
      expect(io.readSmallFile(path.join(dir, "nothing"))).to.equal(undefined);
      io.dispose();
    });

    it("a write to a file opened read-only completes with an errno and is never counted as written", async () => {
      const p = path.join(dir, "ro");
      fs.writeFileSync(p, "");
      const file = io.openFile(p, { create: false });
      // Replace the descriptor under the backend with a read-only one: the OS refuses the write.
      const fds = (io as unknown as { fds: number[] }).fds;
      fs.closeSync(fds[file]!);
      fds[file] = fs.openSync(p, "r");
      io.submitWrite(file, [new Uint8Array(10)], 0);
      const [failed] = await drain(io, 1);
      expect(failed?.result).to.be.below(0);
      expect(failed?.errno).to.equal("EBADF");
      expect(io.completions.complete(failed!.token, failed!.result)).to.equal(CompletionOutcome.WriteFailed);
      expect(io.completions.writtenPosition(file)).to.equal(0n);
      expect(io.completions.fileFailed(file)).to.equal(true);
      io.closeFile(file);
      io.dispose();
    });
  });
}
