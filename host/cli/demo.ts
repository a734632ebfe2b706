// `npm start`: a short demo of the core on this machine, printing what it computes and how fast.
// (The store arrives in a later issue; the demo then runs on a store in a local folder.)
import { loadCore } from "../core/index.js";

function gbPerSecond(bytes: number, ms: number): string {
  return (bytes / ms / 1e6).toFixed(2);
}

async function main(): Promise<void> {
  const core = await loadCore();
  const check = new TextEncoder().encode("123456789");
  console.log(`spacelog core loaded (shared memory, SIMD, ${core.memory.buffer.byteLength >> 20} MiB initial)`);
  console.log(`crc32("123456789")  = 0x${core.crc32(check).toString(16)}  (standard check value 0xcbf43926)`);
  console.log(`crc32c("123456789") = 0x${core.crc32c(check).toString(16)}  (standard check value 0xe3069283)`);
  console.log(`xxh64("123456789")  = 0x${core.xxh64(check).toString(16)}`);

  const size = 1 << 20;
  const region = core.allocateRegion(size);
  const bytes = core.bytesOf(region);
  for (let i = 0; i < size; i++) bytes[i] = (i * 2654435761) >>> 24;
  const rounds = 200;
  for (const [name, run] of [
    ["crc32 ", () => core.crc32At(region.ptr, size)],
    ["crc32c", () => core.crc32cAt(region.ptr, size)],
  ] as const) {
    for (let i = 0; i < 20; i++) run();
    const start = performance.now();
    for (let i = 0; i < rounds; i++) run();
    console.log(`${name} on 1 MiB: ${gbPerSecond(rounds * size, performance.now() - start)} GB/s`);
  }
}

await main();
