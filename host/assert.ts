// One assert, always on, in every build (STYLE habit 1). A failed assert is a bug in spacelog:
// nothing catches an AssertionError to retry.
import { environmentFlag } from "./environment.js";

export class AssertionError extends Error {
  override readonly name = "AssertionError";
  readonly code = "SPACELOG_ASSERTION";
}

export function assert(ok: boolean, what = "assertion failed"): asserts ok {
  if (!ok) throw new AssertionError(what);
}

/**
 * O(N) checks run only when verify is on: in tests and in simulate(). SPACELOG_VERIFY=1 turns it
 * on; where the environment may not be read (Deno without --allow-env) it stays off.
 */
export const constants = {
  verify: environmentFlag("SPACELOG_VERIFY"),
};
