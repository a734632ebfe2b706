// Durability modes (DESIGN section 5), and what each one acknowledges:
//   "sync"         an append resolves after an fdatasync that was issued after its write completed
//                  covers it (group commit: one fdatasync per touched file per turn).
//   { intervalMs } an append resolves once written to the OS; the I/O loop syncs every intervalMs
//                  on its own timer (it never waits for a later append to notice). A crash loses at
//                  most the appends of the last interval plus the turn in flight.
//   "none"         an append resolves once handed to the I/O loop; written soon after, synced only on
//                  sync() and close(). A crash may lose everything since the last sync().
import { InvalidArgumentError } from "../errors.js";

export type DurabilityOption = "sync" | "none" | { readonly intervalMs: number };

export type Durability =
  | { readonly kind: "sync" }
  | { readonly kind: "interval"; readonly intervalMs: number }
  | { readonly kind: "none" };

export const INTERVAL_MS_MAX = 3_600_000;

export function parseDurability(option: DurabilityOption | undefined): Durability {
  if (option === undefined || option === "sync") return { kind: "sync" };
  if (option === "none") return { kind: "none" };
  if (typeof option === "object" && option !== null && "intervalMs" in option) {
    const intervalMs = option.intervalMs;
    if (!Number.isInteger(intervalMs) || intervalMs < 1 || intervalMs > INTERVAL_MS_MAX) {
      throw new InvalidArgumentError(`durability.intervalMs must be an integer in 1..${INTERVAL_MS_MAX}; got ${String(intervalMs)}`);
    }
    return { kind: "interval", intervalMs };
  }
  throw new InvalidArgumentError(`durability must be "sync", "none" or { intervalMs }; got ${JSON.stringify(option)}`);
}
