// A core check is one named property of the core, run by mocha under Node (test/core/*.test.ts)
// and by the cross-runtime runner under Bun and Deno (test/cross-runtime/core-checks.ts), so the
// three runtimes run the very same assertions.
import { type Core } from "../../host/core/index.js";

export interface CoreCheck {
  readonly name: string;
  run(core: Core): void | Promise<void>;
}

/** The fast-check seed: SPACELOG_SEED=N replays a failure; otherwise a fresh one, printed on failure. */
export function propertySeed(): number | undefined {
  const env = typeof process !== "undefined" ? process.env["SPACELOG_SEED"] : undefined;
  return env === undefined ? undefined : Number(env);
}

/** Bytes from a small deterministic generator (xorshift32), for data whose content does not matter. */
export function patternBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed | 0) || 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
