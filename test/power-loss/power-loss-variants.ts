// The power-loss stage's variants, shared by the parent (power-loss-main.ts) and the child it
// kills (power-loss-child.ts): how the child opens the log, how big its entries are, and whether
// it appends until killed or appends a batch and goes quiet (the negative control).
import { type LogOptions } from "../../host/wal/index.js";

export type PowerLossVariantName = "thread" | "in-process" | "rotation" | "control";

export interface PowerLossVariant {
  readonly name: PowerLossVariantName;
  readonly title: string;
  /** How the child opens the log. */
  readonly options: LogOptions;
  /** Concurrent writers in the child. */
  readonly writers: number;
  /**
   * The control's child appends one batch, waits until the I/O loop has surely written it, then
   * reports QUIET and waits to be killed; every other child appends until it is killed.
   */
  readonly control: boolean;
  /** Every this many rounds the parent retires the older half of the log (0: never). */
  readonly retireEvery: number;
  /**
   * Each child draws its own segmentSizeMax (from this list) and preallocation. A child whose
   * segmentSizeMax is below the last segment's size rotates at its first append, before it
   * writes a byte to the segment it recovered; and without preallocation no zero tail is cut
   * (and synced) at recovery. Together: a restart after a kill that left the segment's tail
   * unsynced starts a new segment over bytes that are not durable.
   */
  readonly segmentSizesMax: readonly number[];
}

/** What one child opens the log with, beyond its variant's options (drawn by the parent). */
export interface PowerLossChildOptions {
  readonly segmentSizeMax?: number;
  readonly preallocate?: boolean;
}

export const POWER_LOSS_VARIANTS: Readonly<Record<PowerLossVariantName, PowerLossVariant>> = {
  thread: {
    name: "thread", title: "I/O thread", options: { durability: "sync" }, writers: 64, control: false, retireEvery: 0, segmentSizesMax: [],
  },
  "in-process": {
    name: "in-process", title: "in-process (ioThread: false)", options: { durability: "sync", ioThread: false }, writers: 64, control: false, retireEvery: 0,
    segmentSizesMax: [],
  },
  rotation: {
    name: "rotation",
    title: "segmentSizeMax 64 or 24 KiB, preallocation on or off, per child (frequent rotations)",
    options: { durability: "sync", segmentSizeMax: 64 * 1024 },
    writers: 64,
    control: false,
    retireEvery: 10,
    segmentSizesMax: [64 * 1024, 24 * 1024],
  },
  control: {
    name: "control", title: "negative control (durability \"none\")", options: { durability: "none" }, writers: 64, control: true, retireEvery: 0, segmentSizesMax: [],
  },
};

/** Entry bytes per counter: small ones, except under rotation, where ~1 KB entries fill segments fast. */
export function powerLossEntrySize(variant: PowerLossVariantName, counter: number): number {
  if (variant === "rotation") return 12 + ((counter * 7919) % 1500);
  return 12 + (counter % 97);
}

/** Entries the control's child appends in one batch before it goes quiet. */
export const CONTROL_BATCH_ENTRIES = 500;

/** How long the control's child waits after its batch is acknowledged: the loop writes it in microseconds. */
export const CONTROL_QUIET_MS = 200;
