// The log directory: created on first open with an identity file, refused if it holds something
// else. The identity file lets a later open tell "an empty new log" from "someone's folder".
//
// Initialisation writes SPACELOG.tmp, syncs it, renames it to SPACELOG and syncs the directory, so
// SPACELOG exists whole or not at all. A crash can leave SPACELOG.tmp (whole or cut) beside or
// instead of SPACELOG: it is never part of the log and is removed whenever an open finds it. A
// directory holding only LOCK and SPACELOG.tmp (any of them, or none) is an initialisation that
// never finished, and is initialised (docs/FORMAT.md "Log directory").
import { NotALogError } from "../errors.js";
import { type StorageIo } from "../io/storage-io.js";
import { LOCK_FILE_NAME } from "./directory-lock.js";

export const IDENTITY_FILE_NAME = "SPACELOG";
/** The identity is written here, synced, then renamed over IDENTITY_FILE_NAME: it appears whole or not at all. */
export const IDENTITY_TEMP_NAME = "SPACELOG.tmp";
const IDENTITY = "spacelog log 1\n";

function parentOf(dir: string): string {
  const cut = dir.replace(/\/+$/, "").lastIndexOf("/");
  return cut <= 0 ? "/" : dir.slice(0, cut);
}

/** Makes sure `dir` is a spacelog log directory, creating it (durably) if it is new or empty. */
export function prepareLogDirectory(io: StorageIo, dir: string): void {
  prepareSpacelogDirectory(io, dir, { identity: IDENTITY, noun: "log", refuse: (message) => new NotALogError(message) });
}

/** What a kind of spacelog directory is called and how its identity file reads. */
export interface DirectoryKind {
  /** The identity file's whole content, e.g. "spacelog log 1\n". */
  readonly identity: string;
  /** "log" or "store", for messages. */
  readonly noun: string;
  /** The error for a directory that is not one of these. */
  readonly refuse: (message: string) => Error;
}

/** Makes sure `dir` is a spacelog directory of `kind`, creating it (durably) if it is new or empty. */
export function prepareSpacelogDirectory(io: StorageIo, dir: string, kind: DirectoryKind): void {
  if (!io.exists(dir)) {
    io.makeDirectory(dir);
    io.syncDirectory(parentOf(dir));
  }
  const names = io.listDirectory(dir);
  // A crash mid-initialisation, whether or not SPACELOG made it: the temp file is never the log's.
  if (names.includes(IDENTITY_TEMP_NAME)) io.removeFile(`${dir}/${IDENTITY_TEMP_NAME}`);
  if (names.includes(IDENTITY_FILE_NAME)) {
    const identity = new TextDecoder().decode(io.readSmallFile(`${dir}/${IDENTITY_FILE_NAME}`) ?? new Uint8Array(0));
    if (identity !== kind.identity) throw kind.refuse(`${dir} holds a spacelog file of another kind or version: ${JSON.stringify(identity.trim())}`);
    return;
  }
  const foreign = names.filter((name) => name !== LOCK_FILE_NAME && name !== IDENTITY_TEMP_NAME);
  if (foreign.length > 0) {
    throw kind.refuse(`${dir} is not a spacelog ${kind.noun} directory (it holds ${foreign.slice(0, 3).join(", ")}${foreign.length > 3 ? ", ..." : ""})`);
  }
  io.createSmallFile(`${dir}/${IDENTITY_TEMP_NAME}`, new TextEncoder().encode(kind.identity));
  io.renameFile(`${dir}/${IDENTITY_TEMP_NAME}`, `${dir}/${IDENTITY_FILE_NAME}`);
  io.syncDirectory(dir);
}
