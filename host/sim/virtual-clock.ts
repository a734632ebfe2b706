// Virtual time for the simulator, in milliseconds (STYLE habit 7: time is a parameter). Nothing
// in host/sim reads a wall clock: the disk advances this clock to the moment its next op completes,
// and a harness may advance it to fire its own timers.
import { assert } from "../assert.js";

/** What code that needs the time takes as a parameter: the real clock in production, this in the simulator. */
export interface Clock {
  nowMs(): number;
}

export class VirtualClock implements Clock {
  private now: number;

  constructor(startMs = 0) {
    assert(Number.isSafeInteger(startMs) && startMs >= 0, `a virtual start time is a non-negative integer; got ${startMs}`);
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  /** Moves time forward to `ms`; time never runs backwards. */
  advanceTo(ms: number): void {
    assert(Number.isFinite(ms), `virtual time is finite; got ${ms}`);
    assert(ms >= this.now, `virtual time runs forward: ${ms} ms < now ${this.now} ms`);
    this.now = ms;
  }

  advanceBy(ms: number): void {
    assert(ms >= 0, `advanceBy() takes a non-negative duration; got ${ms}`);
    this.advanceTo(this.now + ms);
  }
}
