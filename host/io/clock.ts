// Time is a parameter (STYLE habit 7): code below the CLI takes a Clock. The system clock is
// defined here, at the layer that talks to the OS; the simulator passes a virtual one.
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = {
  nowMs: () => performance.now(),
};
