// Frames: round trip, independent CRC, every cut offset, every bit flip, zero tails, lengths,
// seeds (generations), output capacity, and bad arguments.
import { expect } from "chai";
import fc from "fast-check";
import hashWasm from "hash-wasm";
import { asPtr } from "../../host/core/index.js";
import { type CoreCheck, propertySeed } from "./core-check.js";
import { concat, expectedFrameCrc, flipBit, frameBoundaries, payloadsOf } from "./frame-bytes.js";

const SEED = 0x5eed1234;

export const frameChecks: CoreCheck[] = [
  {
    name: "encode then scan returns every frame with its offset, length and type, and stops at End",
    run(core) {
      fc.assert(
        fc.property(
          fc.array(fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 40000 })), { maxLength: 24 }),
          fc.integer(),
          fc.nat({ max: 0xffffffff }),
          (lengths, fill, seed) => {
            const payloads = payloadsOf(lengths, fill);
            const bytes = core.encodeFrames(payloads, seed);
            const bounds = frameBoundaries(payloads);
            const scan = core.scanFrames(bytes, seed);
            expect(scan.stop).to.equal("End");
            expect(scan.stopOffset).to.equal(bytes.byteLength);
            expect(scan.frames.map((f) => f.offset)).to.deep.equal(bounds.slice(0, -1));
            payloads.forEach((payload, i) => {
              const frame = scan.frames[i];
              expect(frame?.payloadLength).to.equal(payload.byteLength);
              expect(frame?.type).to.equal(payload[0]);
              const view = new DataView(bytes.buffer, bytes.byteOffset + (frame?.offset ?? 0));
              expect(view.getUint32(0, true)).to.equal(payload.byteLength);
              expect(view.getUint32(4, true)).to.equal(expectedFrameCrc(core, payload, seed));
              const at = (frame?.offset ?? 0) + 8;
              expect(bytes.subarray(at, at + payload.byteLength)).to.deep.equal(payload);
            });
          },
        ),
        { seed: propertySeed(), numRuns: 60 },
      );
    },
  },
  {
    name: "with seed 0 a frame's CRC is hash-wasm's CRC-32C of length bytes ++ payload",
    async run(core) {
      const payloads = payloadsOf([1, 7, 8, 9, 128, 1000], 3);
      const bytes = core.encodeFrames(payloads, 0);
      const bounds = frameBoundaries(payloads);
      for (let i = 0; i < payloads.length; i++) {
        const start = bounds[i] ?? 0;
        const end = bounds[i + 1] ?? 0;
        const covered = concat(bytes.subarray(start, start + 4), bytes.subarray(start + 8, end));
        const crc = new DataView(bytes.buffer, bytes.byteOffset + start + 4, 4).getUint32(0, true);
        expect(crc).to.equal(Number.parseInt(await hashWasm.crc32(covered, 0x82f63b78), 16) >>> 0);
      }
    },
  },
  {
    name: "a buffer cut at every byte offset reports exactly the whole frames before the cut",
    run(core) {
      const payloads = payloadsOf([1, 2, 9, 17, 64, 128, 255, 256, 300, 3], 11);
      const bytes = core.encodeFrames(payloads, SEED);
      const bounds = frameBoundaries(payloads);
      for (let cut = 0; cut <= bytes.byteLength; cut++) {
        const whole = bounds.filter((b) => b <= cut).length - 1;
        const scan = core.scanFrames(bytes.subarray(0, cut), SEED);
        expect(scan.frames.length, `cut ${cut}`).to.equal(whole);
        expect(scan.stopOffset, `cut ${cut}`).to.equal(bounds[whole]);
        if (bounds.includes(cut)) expect(scan.stop, `cut ${cut}`).to.equal("End");
        else expect(scan.stop, `cut ${cut}`).to.be.oneOf(["Torn", "ZeroTail"]);
      }
    },
  },
  {
    name: "every single-bit flip is detected: no flipped frame is ever reported valid",
    run(core) {
      const payloads = payloadsOf([5, 40, 128, 9, 77, 128, 33], 5);
      const bytes = core.encodeFrames(payloads, SEED);
      const bounds = frameBoundaries(payloads);
      for (let bit = 0; bit < bytes.byteLength * 8; bit++) {
        const flippedFrame = bounds.filter((b) => b <= bit >>> 3).length - 1;
        const scan = core.scanFrames(flipBit(bytes, bit), SEED);
        expect(scan.frames.length, `bit ${bit}`).to.equal(flippedFrame);
        expect(scan.stopOffset, `bit ${bit}`).to.equal(bounds[flippedFrame]);
        expect(scan.stop, `bit ${bit}`).to.be.oneOf(["Crc", "Torn", "Length"]);
      }
    },
  },
  {
    name: "every bit flip in the last frames of a large batch (interleaved CRC path) is detected",
    run(core) {
      const payloads = payloadsOf(Array.from({ length: 41 }, () => 128), 9);
      const bytes = core.encodeFrames(payloads, SEED);
      const bounds = frameBoundaries(payloads);
      const lastFramesStart = bounds[36] ?? 0;
      for (let bit = lastFramesStart * 8; bit < bytes.byteLength * 8; bit += 1) {
        const flippedFrame = bounds.filter((b) => b <= bit >>> 3).length - 1;
        const scan = core.scanFrames(flipBit(bytes, bit), SEED);
        expect(scan.frames.length, `bit ${bit}`).to.equal(flippedFrame);
        expect(scan.stop, `bit ${bit}`).to.be.oneOf(["Crc", "Torn", "Length"]);
      }
    },
  },
  {
    name: "zeros after the last frame are a ZeroTail; zeros then data are a bad Length",
    run(core) {
      const payloads = payloadsOf([10, 20], 1);
      const bytes = core.encodeFrames(payloads, SEED);
      const tail = core.scanFrames(concat(bytes, new Uint8Array(4096)), SEED);
      expect(tail.stop).to.equal("ZeroTail");
      expect(tail.stopOffset).to.equal(bytes.byteLength);
      expect(tail.frames.length).to.equal(2);
      const short = core.scanFrames(concat(bytes, new Uint8Array(5)), SEED);
      expect(short.stop).to.equal("ZeroTail");
      const hole = core.scanFrames(concat(bytes, new Uint8Array(64), bytes), SEED);
      expect(hole.stop).to.equal("Length");
      expect(hole.stopOffset).to.equal(bytes.byteLength);
      expect(core.scanFrames(new Uint8Array(0), SEED).stop).to.equal("End");
    },
  },
  {
    name: "a length over the maximum is a bad Length even when the bytes to back it exist",
    run(core) {
      const header = new Uint8Array(16);
      new DataView(header.buffer).setUint32(0, (1 << 24) + 1, true);
      const scan = core.scanFrames(header, SEED);
      expect(scan.stop).to.equal("Length");
      expect(scan.stopOffset).to.equal(0);
      new DataView(header.buffer).setUint32(0, 1000, true);
      expect(core.scanFrames(header, SEED).stop).to.equal("Torn");
    },
  },
  {
    name: "frames sealed with another seed (an earlier generation) never verify",
    run(core) {
      const bytes = core.encodeFrames(payloadsOf([10, 20, 30, 40, 50], 2), 1);
      for (const other of [0, 2, 0xffffffff]) {
        const scan = core.scanFrames(bytes, other);
        expect(scan.frames.length).to.equal(0);
        expect(scan.stop).to.equal("Crc");
      }
    },
  },
  {
    name: "a full output array stops with OutputFull at the next frame, and scanning resumes there",
    run(core) {
      const payloads = payloadsOf([10, 20, 30, 40, 50], 4);
      const bytes = core.encodeFrames(payloads, SEED);
      const region = core.allocateRegion(bytes.byteLength + 1024);
      core.bytesOf(region).set(bytes);
      const out = asPtr(region.ptr + bytes.byteLength + 64 - (bytes.byteLength % 64));
      const result = asPtr(out + 2 * 16);
      const first = core.scanFramesAt(region.ptr, bytes.byteLength, SEED, out, 2, result);
      expect(first.frames.length).to.equal(2);
      expect(first.stop).to.equal("OutputFull");
      const bounds = frameBoundaries(payloads);
      expect(first.stopOffset).to.equal(bounds[2]);
      const rest = core.scanFrames(bytes.subarray(first.stopOffset), SEED);
      expect(rest.frames.length).to.equal(3);
      expect(rest.stop).to.equal("End");
      core.releaseRegion(region);
    },
  },
  {
    name: "an empty payload, an oversized payload or a seed outside u32 is an InvalidArgumentError",
    run(core) {
      const code = "SPACELOG_INVALID_ARGUMENT";
      expect(() => core.encodeFrames([new Uint8Array(0)], 0)).to.throw().with.property("code", code);
      expect(() => core.encodeFrames([new Uint8Array((1 << 24) + 1)], 0)).to.throw().with.property("code", code);
      expect(() => core.encodeFrames([new Uint8Array(1)], -1)).to.throw().with.property("code", code);
      expect(() => core.scanFrames(new Uint8Array(1), 2 ** 32)).to.throw().with.property("code", code);
    },
  },
];
