// The host functions, behind one seam.
//
// Inside a component they are the `sandtrade:strategy/host@0.1.0` imports: the entry that
// `build.mjs` generates installs them before the host calls anything. In unit tests the
// `sandtrade-guest/testing` module installs its mock when it is imported. The rest of the SDK,
// and the strategy's own code, call `host()` and never know which one answers: the same
// strategy source runs in both.

import type { Level, Position, RejectionRecord, SignalRecord } from './wit.ts';

/** The outcome of `emit`, as a value: the real host throws for a refusal, the mock returns. */
export type EmitOutcome = { ok: true; id: bigint } | { ok: false; rejection: RejectionRecord };

/** What the SDK needs from a host. */
export interface Host {
  emit(signal: SignalRecord): EmitOutcome;
  position(symbol: string): Position | undefined;
  log(level: Level, message: string): void;
  logLevel(): Level;
  nowMs(): bigint;
}

let current: Host | undefined;

/** Makes `implementation` answer every host call from now on. */
export function installHost(implementation: Host): void {
  current = implementation;
}

/** The installed host; a clear error when there is none. */
export function host(): Host {
  if (current === undefined) {
    throw new Error(
      'sandtrade-guest: no host is installed. In a unit test, import from ' +
        "'sandtrade-guest/testing' (its mock host stands in for Sandtrade); in a component, " +
        'build with guest-sdk-ts/build.mjs, whose entry installs the real one.',
    );
  }
  return current;
}
