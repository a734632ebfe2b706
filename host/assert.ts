// One assert, always on, in every build (STYLE habit 1). A failed assert is a bug in spacelog:
// nothing catches an AssertionError to retry.

export class AssertionError extends Error {
  override readonly name = "AssertionError";
  readonly code = "SPACELOG_ASSERTION";
}

export function assert(ok: boolean, what = "assertion failed"): asserts ok {
  if (!ok) throw new AssertionError(what);
}

/** O(N) checks run only when verify is on: in tests and in simulate(). */
export const constants = {
  verify: typeof process !== "undefined" && process.env?.["SPACELOG_VERIFY"] === "1",
};
