// The in-process loop's waker: a wait ends on a poke or its timeout, and nothing left over from an
// earlier wait can disarm a later one.
import { expect } from "chai";
import { PokeWaker, type TimerSource } from "../../host/wal/loop-waker.js";

/** Timers fired by hand; cancelling can be made to fail, as for a timer already due. */
class ManualTimers implements TimerSource {
  readonly pending: Array<() => void> = [];
  cancelWorks = true;

  setTimer(_delayMs: number, callback: () => void): () => void {
    this.pending.push(callback);
    return () => {
      if (!this.cancelWorks) return;
      const at = this.pending.indexOf(callback);
      if (at >= 0) this.pending.splice(at, 1);
    };
  }

  fireAll(): void {
    for (const callback of this.pending.splice(0)) callback();
  }
}

function settled(promise: Promise<void>): () => boolean {
  let done = false;
  void promise.then(() => (done = true));
  return () => done;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("wal: PokeWaker", () => {
  it("a wait ends on a poke, on its timeout, or at once when the ticket is stale", async () => {
    const timers = new ManualTimers();
    const waker = new PokeWaker(timers);
    const poked = settled(waker.wait(waker.arm(), 5));
    await turn();
    expect(poked()).to.equal(false);
    waker.poke();
    await turn();
    expect(poked()).to.equal(true);
    expect(timers.pending, "the poke cancelled the timer").to.have.length(0);

    const timedOut = settled(waker.wait(waker.arm(), 5));
    timers.fireAll();
    await turn();
    expect(timedOut()).to.equal(true);

    const ticket = waker.arm();
    waker.poke(); // published between arm() and wait()
    const stale = settled(waker.wait(ticket, undefined));
    await turn();
    expect(stale()).to.equal(true);
  });

  it("a timer that outlives its poked wait does not disarm the next wait", async () => {
    const timers = new ManualTimers();
    timers.cancelWorks = false; // the first wait's timer is already due when the poke comes
    const waker = new PokeWaker(timers);
    const first = settled(waker.wait(waker.arm(), 5));
    waker.poke();
    await turn();
    expect(first()).to.equal(true);

    const second = settled(waker.wait(waker.arm(), undefined));
    timers.fireAll(); // the first wait's timer runs late
    await turn();
    expect(second(), "the stale timer does not end the second wait").to.equal(false);
    waker.poke();
    await turn();
    expect(second(), "the second wait still hears the poke").to.equal(true);
  });
});
