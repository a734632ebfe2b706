// The error a promise rejects with, for tests that check what a failed call says. A promise that
// resolves fails the test: every call checked this way must reject.

/** What spacelog's errors may carry besides a message. */
export type Rejection = Error & {
  readonly code?: string;
  readonly errno?: string;
  readonly file?: string;
  readonly offset?: number;
  readonly reason?: string;
  readonly cause?: unknown;
};

export async function rejection(promise: Promise<unknown>): Promise<Rejection> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`expected an Error; the promise rejected with ${String(error)}`);
  }
  throw new Error("expected a rejection");
}
