// What `require("spacelog")` and `require("spacelog/...")` resolve to (package.json "exports",
// the "require" condition). spacelog is ESM-only: its entry points are ES modules that load the
// WebAssembly core and start the I/O worker by import.meta.url. Rather than Node's
// ERR_PACKAGE_PATH_NOT_EXPORTED, which reads like a broken install, require() gets this message.
"use strict";

const error = new Error(
  "spacelog is ESM-only, so require() cannot load it. In an ES module (a .mjs file, or \"type\": \"module\" " +
    "in package.json) write: import { openLog } from \"spacelog/wal\"; from CommonJS, use a dynamic import " +
    "inside an async function: const { openLog } = await import(\"spacelog/wal\");",
);
error.code = "SPACELOG_ESM_ONLY";
throw error;
