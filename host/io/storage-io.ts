// The one I/O interface every backend implements (DESIGN section 7; after LaminarDB's StorageIo).
//
// Two halves:
// - the cold path (open, read, truncate, rename, directory sync, ...) is synchronous: it runs at
//   open, recovery, rotation and retirement, where simplicity beats overlap, and the simulator can
//   answer it without an event loop;
// - the hot path (write, datasync) is submit + poll: submit returns a token at once, completions
//   are polled into a caller-owned array. Tokens come from the core's completion table, one token
//   space for every kind of op, so a write's token never equals a sync's.
//
// Every backend registers its ops with the same CompletionTable, so "a sync covers exactly the
// writes that had completed when it was submitted" is decided in one place, the core.
import { type CompletionTable } from "../core/index.js";
import { type LockOwner } from "./lock-owner.js";

/** A file registered with a backend: its index in the completion table's file slots. */
export type IoFile = number & { readonly __ioFile: unique symbol };

export interface IoCompletion {
  token: bigint;
  /** Bytes written for a write; 0 for a datasync; a negative errno number on failure. */
  result: number;
  /** The POSIX error name on failure (EIO, ENOSPC, ...), "" on success. */
  errno: string;
}

export type StorageIoKind = "sync" | "threadpool" | "sim" | "uring";

export interface OpenFileOptions {
  /** Create the file if it does not exist. */
  readonly create: boolean;
  /** With create: fail with EEXIST if it exists. */
  readonly exclusive?: boolean;
  /** The file's written and synced position in the completion table (its current size if omitted). */
  readonly position?: number;
}

export interface StorageIo {
  readonly kind: StorageIoKind;
  readonly completions: CompletionTable;
  /**
   * Who takes a log directory's LOCK through this backend, when that is not this OS process: the
   * simulator's process, which a crash kills (host/io/lock-owner.ts). Absent: this OS process.
   */
  readonly lockOwner?: LockOwner;

  // --- cold path: synchronous; failures throw IoError / DiskFullError ---
  openFile(path: string, options: OpenFileOptions): IoFile;
  /** Closes and deregisters; the file must have no pending ops. */
  closeFile(file: IoFile): void;
  fileSize(file: IoFile): number;
  /** Reads up to buffer.byteLength bytes at position; returns the count (short at end of file). */
  readAt(file: IoFile, buffer: Uint8Array, position: number): number;
  /** Sets the file's size (rolling back a failed write, or cutting a torn tail), then syncs it. */
  truncate(file: IoFile, size: number): void;
  /** A blocking fdatasync, for the cold path only (after truncate, before a rename). */
  syncFile(file: IoFile): void;
  listDirectory(dir: string): string[];
  makeDirectory(dir: string): void;
  removeFile(path: string): void;
  renameFile(from: string, to: string): void;
  /** fsync of a directory: makes created, renamed and removed entries durable. */
  syncDirectory(dir: string): void;
  exists(path: string): boolean;
  /** Reads a whole small file (a lock or a marker); undefined if it does not exist. */
  readSmallFile(path: string): Uint8Array | undefined;
  /** Writes a whole small file with create-exclusive semantics; false if it already exists. */
  createSmallFile(path: string, bytes: Uint8Array): boolean;
  /**
   * Writes `bytes` at `position` of the existing file at `path`, in place, then fdatasyncs it (a
   * state slot rewritten where it is: within blocks the file has, nothing is allocated).
   */
  overwriteAt(path: string, bytes: Uint8Array, position: number): void;

  // --- hot path: submit + poll; no blocking, no throwing for I/O errors (they complete with errno) ---
  /** Writes the buffers, gathered, at `position`. Returns the token, or null if the table is full. */
  submitWrite(file: IoFile, buffers: readonly Uint8Array[], position: number): bigint | null;
  /** Submits an fdatasync covering the writes that have completed so far. Null if the table is full. */
  submitDatasync(file: IoFile): bigint | null;
  /** Pushes queued submissions to the kernel; returns how many. */
  flush(): number;
  /** Moves finished completions into `out` (appended); returns how many were added. */
  pollCompletions(out: IoCompletion[]): number;
  /** Ops submitted and not yet polled. */
  pendingCount(): number;
  /** Resolves when at least one completion is ready to poll (at once if one is). */
  awaitCompletion(): Promise<void>;
  /** Releases the backend's resources; every file must be closed. */
  dispose(): void;
}

/** Narrows a Node-style error to its POSIX name ("EIO"), or "EIO" when it carries none. */
export function errnoOf(error: unknown): string {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") return error.code;
  return "EIO";
}

/**
 * The POSIX name carried by anything a cold-path call threw: an IoError's `errno`, a Node error's
 * `code`, or "EIO" when it carries neither. The one place that narrows thrown errors to an errno.
 */
export function errnoOfThrown(error: unknown): string {
  if (typeof error === "object" && error !== null && "errno" in error && typeof error.errno === "string") return error.errno;
  return errnoOf(error);
}

/** Negative errno numbers for completions (Linux values, so results read like io_uring's). */
export const ERRNO_NUMBERS: Readonly<Record<string, number>> = {
  EPERM: 1, ENOENT: 2, EIO: 5, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EEXIST: 17,
  EISDIR: 21, EINVAL: 22, EFBIG: 27, ENOSPC: 28, EROFS: 30, EDQUOT: 122,
};

export function errnoNumber(errno: string): number {
  return -(ERRNO_NUMBERS[errno] ?? 5);
}

/** The POSIX name of a positive errno number ("EIO" for numbers this table does not know). */
export function errnoName(errno: number): string {
  for (const [name, value] of Object.entries(ERRNO_NUMBERS)) if (value === errno) return name;
  return "EIO";
}
