// Ordered file operations the store's I/O loop runs for the writers' thread (ring-pieces.ts,
// Control pieces). The piece body is the op as JSON; large bytes (a block, a manifest) stay in the
// core's shared memory and travel as references, so the I/O thread reads them in place. The
// writers' thread keeps each referenced region until the op has completed.
import { assert } from "../assert.js";

/** Bytes [ptr, ptr + length) of the core's memory. */
export interface ByteRef {
  readonly ptr: number;
  readonly length: number;
}

/** A file the loop writes whole, then fdatasyncs (a block). */
export interface WholeFile {
  readonly name: string;
  readonly bytes: ByteRef;
}

export type ControlOp =
  /** Creates `name` (exclusive) with the 64-byte header (hex), fdatasyncs it and the directory; frames for `stream` then go to it. */
  | { readonly op: "create"; readonly stream: number; readonly name: string; readonly header: string }
  /** Frames for `stream` go to the existing file `name`, from byte `size` (a file recovery kept). */
  | { readonly op: "attach"; readonly stream: number; readonly name: string; readonly size: number }
  /** `stream` takes no more frames: its file is closed (it was synced with the turns before). */
  | { readonly op: "detach"; readonly stream: number }
  /** Removes files, then fsyncs the directory. */
  | { readonly op: "remove"; readonly names: readonly string[] }
  /**
   * A seal's installation, run in the background between turns (writes never wait for it): each
   * block written in steps, fdatasynced, the directory fsynced, then the manifest written to
   * MANIFEST.tmp, fdatasynced, renamed over MANIFEST, the directory fsynced. `job` numbers it:
   * the loop counts finished jobs in the ring (STORE_JOBS_DONE_WORD).
   */
  | { readonly op: "install"; readonly job: number; readonly blocks: readonly WholeFile[]; readonly manifest: ByteRef };

export function encodeControlOp(op: ControlOp): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(op));
}

/** The loop's side. The bytes come from this process's writers' thread, so a bad one is a bug. */
export function decodeControlOp(bytes: Uint8Array): ControlOp {
  const op = JSON.parse(new TextDecoder().decode(bytes)) as ControlOp;
  assert(typeof op === "object" && op !== null && typeof op.op === "string", "a control op is an object with an op name");
  return op;
}

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

export function fromHex(hex: string): Uint8Array {
  assert(hex.length % 2 === 0 && /^[0-9a-f]*$/.test(hex), "hex bytes");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
