// Waits for `count` completions from a backend, in the order they arrive.
import { type IoCompletion, type StorageIo } from "../../host/io/storage-io.js";

export async function drainCompletions(io: StorageIo, count: number): Promise<IoCompletion[]> {
  const out: IoCompletion[] = [];
  while (out.length < count) {
    await io.awaitCompletion();
    io.pollCompletions(out);
  }
  return out;
}
