// The log directory: created on first open with an identity file, refused if it holds something
// else. The identity file lets a later open tell "an empty new log" from "someone's folder".
import { NotALogError } from "../errors.js";
import { type StorageIo } from "../io/storage-io.js";

export const IDENTITY_FILE_NAME = "SPACELOG";
/** The identity is written here, synced, then renamed over IDENTITY_FILE_NAME: it appears whole or not at all. */
const IDENTITY_TEMP_NAME = "SPACELOG.tmp";
const IDENTITY = "spacelog log 1\n";

function parentOf(dir: string): string {
  const cut = dir.replace(/\/+$/, "").lastIndexOf("/");
  return cut <= 0 ? "/" : dir.slice(0, cut);
}

/** Makes sure `dir` is a spacelog log directory, creating it (durably) if it is new or empty. */
export function prepareLogDirectory(io: StorageIo, dir: string): void {
  if (!io.exists(dir)) {
    io.makeDirectory(dir);
    io.syncDirectory(parentOf(dir));
  }
  const names = io.listDirectory(dir);
  if (names.includes(IDENTITY_FILE_NAME)) {
    const identity = new TextDecoder().decode(io.readSmallFile(`${dir}/${IDENTITY_FILE_NAME}`) ?? new Uint8Array(0));
    if (identity !== IDENTITY) throw new NotALogError(`${dir} holds a spacelog file of another kind or version: ${JSON.stringify(identity.trim())}`);
    return;
  }
  if (names.includes(IDENTITY_TEMP_NAME)) io.removeFile(`${dir}/${IDENTITY_TEMP_NAME}`); // a crash mid-initialisation
  const foreign = names.filter((name) => name !== "LOCK" && name !== IDENTITY_TEMP_NAME);
  if (foreign.length > 0) {
    throw new NotALogError(`${dir} is not a spacelog log directory (it holds ${foreign.slice(0, 3).join(", ")}${foreign.length > 3 ? ", ..." : ""})`);
  }
  io.createSmallFile(`${dir}/${IDENTITY_TEMP_NAME}`, new TextEncoder().encode(IDENTITY));
  io.renameFile(`${dir}/${IDENTITY_TEMP_NAME}`, `${dir}/${IDENTITY_FILE_NAME}`);
  io.syncDirectory(dir);
}
