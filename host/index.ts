// spacelog: the store (host/store) arrives with a later issue; errors and the core are here now.
export * from "./errors.js";
export { AssertionError } from "./assert.js";
export { loadCore, Core } from "./core/index.js";
