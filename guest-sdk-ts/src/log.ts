// Writing lines to the host log, tagged by the host with the strategy's name.

import { host } from './host.ts';
import type { Level } from './wit.ts';

/** A message, or a function that makes it: the function runs only if the line is kept. */
export type Message = string | (() => string);

const RANK: Record<Level, number> = { debug: 1, info: 2, warn: 3, error: 4 };

/**
 * Whether a line at `level` would be kept by the host. `debug(() => ...)` checks it before
 * building the message, so a dropped debug line costs a comparison, not a string.
 *
 * Inside a component the host's level is asked once per instance (it changes only when the
 * strategy is reloaded or restarted); the test mock is asked every time.
 */
export function logEnabled(level: Level): boolean {
  return RANK[level] >= RANK[host().logLevel()];
}

/** Writes `message` at `level`, nothing if the host would drop it. */
export function log(level: Level, message: Message): void {
  if (!logEnabled(level)) return;
  host().log(level, typeof message === 'function' ? message() : message);
}

/** Writes a debug line. Pass a function to skip building it when debug lines are dropped. */
export function debug(message: Message): void {
  log('debug', message);
}

/** Writes an info line. */
export function info(message: Message): void {
  log('info', message);
}

/** Writes a warn line. */
export function warn(message: Message): void {
  log('warn', message);
}

/** Writes an error line. */
export function error(message: Message): void {
  log('error', message);
}
