// The host functions, behind one seam.
//
// Inside a component they are the `sandtrade:strategy/host@0.2.0` imports: the entry that
// `build.mjs` generates installs them before the host calls anything. In unit tests the
// `sandtrade-guest/testing` module installs its mock when it is imported. The rest of the SDK,
// and the strategy's own code, call `host()` and never know which one answers: the same
// strategy source runs in both.
//
// Inside `on-bars` the host must know which bar the strategy is on when it calls anything that
// answers as of a bar (`emit`, `emitBracket`, `position`, `workingOrders`, `cancel`, `modify`, `nowMs`): `host()` keeps
// the batch's cursor (`batch`) and tells the host lazily, only before such a call.

import type {
  BracketIdsRecord,
  CancelOutcome,
  CancelRefusal,
  ExitsRecord,
  Level,
  ModifyOutcome,
  ModifyRefusal,
  OrderChangeRecord,
  Position,
  RejectionRecord,
  SignalRecord,
  WorkingOrder,
} from './wit.ts';

/** The outcome of `emit`, as a value: the real host throws for a refusal, the mock returns. */
export type EmitOutcome = { ok: true; id: bigint } | { ok: false; rejection: RejectionRecord };

/** The outcome of `emitBracket`, as a value, like `EmitOutcome`. */
export type BracketOutcome = { ok: true; ids: BracketIdsRecord } | { ok: false; rejection: RejectionRecord };

/** The outcome of `cancel`, as a value, like `EmitOutcome`. */
export type CancelResult = { ok: true; outcome: CancelOutcome } | { ok: false; refusal: CancelRefusal };

/** The outcome of `modify`, as a value, like `EmitOutcome`. */
export type ModifyResult = { ok: true; outcome: ModifyOutcome } | { ok: false; refusal: ModifyRefusal };

/** What the SDK needs from a host. */
export interface Host {
  emit(signal: SignalRecord): EmitOutcome;
  emitBracket(entry: SignalRecord, exits: ExitsRecord): BracketOutcome;
  workingOrders(): WorkingOrder[];
  cancel(signalId: bigint): CancelResult;
  modify(signalId: bigint, change: OrderChangeRecord): ModifyResult;
  position(symbol: string): Position | undefined;
  log(level: Level, message: string): void;
  logLevel(): Level;
  nowMs(): bigint;
  /** Inside `on-bars`: the strategy is now on bar `index` of the batch. */
  handlingBar(index: number): void;
}

let current: Host | undefined;

/** Makes `implementation` answer every host call from now on. */
export function installHost(implementation: Host): void {
  current = implementation;
  batch.start();
}

/** The installed host, unwrapped; a clear error when there is none. */
function installed(): Host {
  if (current === undefined) {
    throw new Error(
      'sandtrade-guest: no host is installed. In a unit test, import from ' +
        "'sandtrade-guest/testing' (its mock host stands in for Sandtrade); in a component, " +
        'build with guest-sdk-ts/build.mjs, whose entry installs the real one.',
    );
  }
  return current;
}

/**
 * The cursor of an `on-bars` batch: the bar the strategy is handling, and the bar the host
 * was last told of. Telling the host costs a call, so it is told only before a call that
 * answers as of a bar, and only when the bar changed: a strategy that calls the host on 3 bars
 * of a batch of 1,000 pays for 3. Outside a batch both are 0 and the host is never told.
 */
let handling = 0;
let told = 0;

export const batch = {
  /** A batch starts (or ended): the host takes its first bar as the current one. */
  start(): void {
    handling = 0;
    told = 0;
  },

  /** The strategy moves on to bar `index` of the batch. */
  at(index: number): void {
    handling = index;
  },
};

/** Tells the host the current bar of the batch if it does not know it yet. */
function syncCursor(host: Host): void {
  if (handling !== told) {
    host.handlingBar(handling);
    told = handling;
  }
}

/**
 * The installed host, as the SDK calls it: the calls that answer as of a bar first bring the
 * host up to the batch's current bar; `log` and `logLevel` do not depend on the bar.
 */
const asOfBar: Host = {
  emit(signal) {
    const host = installed();
    syncCursor(host);
    return host.emit(signal);
  },
  emitBracket(entry, exits) {
    const host = installed();
    syncCursor(host);
    return host.emitBracket(entry, exits);
  },
  workingOrders() {
    const host = installed();
    syncCursor(host);
    return host.workingOrders();
  },
  cancel(signalId) {
    const host = installed();
    syncCursor(host);
    return host.cancel(signalId);
  },
  modify(signalId, change) {
    const host = installed();
    syncCursor(host);
    return host.modify(signalId, change);
  },
  position(symbol) {
    const host = installed();
    syncCursor(host);
    return host.position(symbol);
  },
  nowMs() {
    const host = installed();
    syncCursor(host);
    return host.nowMs();
  },
  log: (level, message) => installed().log(level, message),
  logLevel: () => installed().logLevel(),
  handlingBar: (index) => installed().handlingBar(index),
};

/** The host every SDK function calls; a clear error when none is installed. */
export function host(): Host {
  installed();
  return asOfBar;
}
