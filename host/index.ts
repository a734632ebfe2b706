// spacelog: the store (host/store), its errors, and the core.
export * from "./store/index.js";
export * from "./errors.js";
export { AssertionError } from "./assert.js";
export { loadCore, Core } from "./core/index.js";
