// The files the open store appends to, as streams of its I/O loop: one hot segment per space and
// the staging log. Creating, attaching, detaching and removing them are control ops queued in
// ring order (control-op.ts), so the loop does each exactly between the frames before and after.
import { type Core } from "../core/index.js";
import { toHex } from "./control-op.js";
import { stagingFileName, hotFileName } from "./store-files.js";
import { encodeStoreSegmentHeader, storeFrameSeed } from "./store-segment.js";
import { SEGMENT_HEADER_SIZE } from "../wal/segment-format.js";
import { type WriteQueue, type WriterStream } from "./write-queue.js";

export class StoreFiles {
  private nextStreamId = 1;
  /** The staging log new staged records go to. */
  staging!: WriterStream;
  stagingGeneration = 0n;

  constructor(private readonly core: Core) {}

  /** Queues the creation of a space's hot segment generation; frames may be queued to it at once. */
  createHot(queue: WriteQueue, spaceId: number, generation: bigint, baseRevision: bigint): { stream: WriterStream; name: string } {
    const name = hotFileName(spaceId, generation);
    const identity = { kind: "hot", spaceId, generation } as const;
    const header = encodeStoreSegmentHeader(this.core, { ...identity, baseRevision });
    const stream = this.newStream(name, storeFrameSeed(this.core, identity), SEGMENT_HEADER_SIZE);
    queue.control({ op: "create", stream: stream.id, name, header: toHex(header) });
    return { stream, name };
  }

  /** Queues a new staging generation; staged records go to it from now on. Returns the old stream. */
  createStaging(queue: WriteQueue, generation: bigint, baseRevision: bigint): WriterStream | null {
    const name = stagingFileName(generation);
    const identity = { kind: "staging", generation } as const;
    const header = encodeStoreSegmentHeader(this.core, { ...identity, baseRevision });
    const old = this.stagingGeneration === 0n ? null : this.staging;
    this.staging = this.newStream(name, storeFrameSeed(this.core, identity), SEGMENT_HEADER_SIZE);
    this.stagingGeneration = generation;
    queue.control({ op: "create", stream: this.staging.id, name, header: toHex(header) });
    return old;
  }

  /** Queues appending to an existing hot segment recovery kept (and synced), from `size`. */
  attachHot(queue: WriteQueue, spaceId: number, generation: bigint, size: number): WriterStream {
    const name = hotFileName(spaceId, generation);
    const stream = this.newStream(name, storeFrameSeed(this.core, { kind: "hot", spaceId, generation }), size);
    queue.control({ op: "attach", stream: stream.id, name, size });
    return stream;
  }

  detach(queue: WriteQueue, stream: WriterStream): void {
    queue.control({ op: "detach", stream: stream.id });
  }

  remove(queue: WriteQueue, names: readonly string[]): void {
    if (names.length > 0) queue.control({ op: "remove", names });
  }

  private newStream(name: string, seed: number, size: number): WriterStream {
    // Recovery synced what it kept, and a created file's header is synced before any frame.
    return { id: this.nextStreamId++, name, seed, fileEnd: size, durableEnd: size, markedEnd: size };
  }
}
