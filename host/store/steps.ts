// Work done in steps: a generator that yields between bounded pieces of CPU work and returns its
// result, so a caller on the writers' thread can let writes and acknowledgements run between the
// pieces (a seal's sort and encoding; store-seal.ts). runToEnd is the same work in one go.

/** Records of CPU work between two yields of a stepped seal: ~5-15 ms of packing, checking or encoding here. */
export const STEP_RECORDS = 1 << 14;

export type Steps<T> = Generator<void, T, undefined>;

/** Runs stepped work to its end without yielding to anything. */
export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}
