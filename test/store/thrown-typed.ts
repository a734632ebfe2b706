// One helper for the store's bad-input tests: the call throws a typed spacelog error with its code.
import { expect } from "chai";
import { isSpacelogError } from "../../host/errors.js";

/** Runs `fn`, expects an instance of `type` carrying `code` (and recognised by isSpacelogError), returns it. */
export function thrownTyped<T extends Error>(fn: () => unknown, type: abstract new (...args: never[]) => T, code: string): T {
  let caught: unknown = undefined;
  let threw = false;
  try {
    fn();
  } catch (error) {
    caught = error;
    threw = true;
  }
  expect(threw, `expected ${type.name} (${code})`).to.equal(true);
  expect(caught).to.be.instanceOf(type);
  expect(isSpacelogError(caught)).to.equal(true);
  expect((caught as { code: unknown }).code).to.equal(code);
  return caught as T;
}
