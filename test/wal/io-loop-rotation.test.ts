// The I/O loop driven by hand, for an interleaving the in-process log cannot produce: the I/O
// thread takes a segment start that the writer pushed before publishing any byte of the new
// segment, so a turn ends exactly at the old segment's end. The old segment must still be cut
// back to its data (its preallocated zeros removed) and synced before the new one gets a byte.
// Found by the SIGKILL test as "zeros inside a segment that was synced whole".
import { expect } from "chai";
import { loadCore } from "../../host/core/index.js";
import { systemClock } from "../../host/io/clock.js";
import { Prng, SimDisk, createSimIo } from "../../host/sim/index.js";
import { CommitRing, RingState } from "../../host/wal/commit-ring.js";
import { IoLoop } from "../../host/wal/io-loop.js";
import { PokeWaker, realTimers } from "../../host/wal/loop-waker.js";
import { segmentFileName } from "../../host/wal/segment-format.js";

const DIR = "/rotation/log";

describe("wal: I/O loop rotation", () => {
  it("a segment whose start is taken before its first byte is published still ends at its last byte", async () => {
    const core = await loadCore();
    const disk = new SimDisk({ prng: new Prng(3), traceLinesMax: 10_000 });
    const io = createSimIo(core, disk);
    io.makeDirectory("/rotation");
    io.makeDirectory(DIR);
    const { ring, region } = CommitRing.allocate(core, { ringSizeBytes: 64 * 1024, spillSizeBytes: 4096 });
    ring.reset(0n);
    const bytes = new Uint8Array(core.memory.buffer, ring.dataPtr, 64 * 1024);
    for (let i = 0; i < bytes.byteLength; i++) bytes[i] = 1 + (i % 251); // no zeros: any zero in a file came from preallocation
    const waker = new PokeWaker(realTimers);
    const progress: Array<() => void> = [];
    const loop = new IoLoop(core, io, ring, waker, systemClock, {
      dir: DIR, durability: { kind: "sync" }, preallocateBytes: 1 << 20, segmentSizeMax: 4096, current: null,
    }, () => progress.splice(0).forEach((wake) => wake()));
    const done = loop.run();
    const durableAt = async (offset: bigint): Promise<void> => {
      while (ring.durable < offset) await new Promise<void>((resolve) => progress.push(resolve));
    };
    const publish = async (offset: bigint): Promise<void> => {
      ring.publish(offset);
      waker.poke();
      await durableAt(offset);
    };

    ring.pushSegmentStart({ streamOffset: 0n, segmentId: 1n });
    await publish(1000n); // a "header" and data: small turns, so zeros are written ahead
    const first = `${DIR}/${segmentFileName(1n)}`;
    expect(disk.liveBytes(first)?.byteLength, "zeros ahead up to segmentSizeMax").to.equal(4096);
    // The writer rotates at 3000: the start is pushed, and the loop takes it in a turn that ends at 3000.
    ring.pushSegmentStart({ streamOffset: 3000n, segmentId: 2n });
    await publish(3000n);
    await publish(3100n); // the new segment's first bytes
    const old = disk.liveBytes(first) ?? new Uint8Array(0);
    expect(old.byteLength, "the closed segment ends at its last byte").to.equal(3000);
    expect(old.every((b) => b !== 0)).to.equal(true);
    expect(disk.liveBytes(`${DIR}/${segmentFileName(2n)}`)?.byteLength).to.equal(4096);

    ring.setState(RingState.CloseRequested);
    waker.poke();
    await done;
    expect(disk.liveBytes(`${DIR}/${segmentFileName(2n)}`)?.byteLength, "close cuts the zeros of the last segment").to.equal(100);
    io.dispose();
    core.releaseRegion(region);
  });
});
