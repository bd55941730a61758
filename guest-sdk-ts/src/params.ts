// The operator's parameters, as given to `init`.

import { display } from './format.ts';

/**
 * The types a parameter can be read as, named as in the Rust SDK (so that error messages
 * read the same: "param `fast`: expected usize, got `abc`"). Each parses exactly as Rust's
 * `str::parse` does: integers are ASCII digits with an optional `+` (and `-` for the signed
 * types), in range; floats also accept `1.`, `.5`, `1e3`, `inf` and `nan`; `bool` is `true`
 * or `false`; `string` takes anything.
 *
 * `usize` and `isize` are 32-bit, as in the `wasm32` components the Rust SDK builds.
 * `u64` and `i64` are read as `bigint` (a `number` cannot hold every such value); every other
 * numeric type as a `number`.
 */
export type ParamType =
  | 'u8' | 'u16' | 'u32' | 'u64' | 'usize'
  | 'i8' | 'i16' | 'i32' | 'i64' | 'isize'
  | 'f32' | 'f64'
  | 'bool'
  | 'string';

/** What `get(key, type)` returns for each `ParamType`. */
export type ParamValue<T extends ParamType> = T extends 'u64' | 'i64'
  ? bigint
  : T extends 'bool'
    ? boolean
    : T extends 'string'
      ? string
      : number;

/** Integer ranges, inclusive. */
const INTEGERS: Record<string, { signed: boolean; min: bigint; max: bigint }> = {
  u8: { signed: false, min: 0n, max: 0xffn },
  u16: { signed: false, min: 0n, max: 0xffffn },
  u32: { signed: false, min: 0n, max: 0xffff_ffffn },
  usize: { signed: false, min: 0n, max: 0xffff_ffffn },
  u64: { signed: false, min: 0n, max: 0xffff_ffff_ffff_ffffn },
  i8: { signed: true, min: -0x80n, max: 0x7fn },
  i16: { signed: true, min: -0x8000n, max: 0x7fffn },
  i32: { signed: true, min: -0x8000_0000n, max: 0x7fff_ffffn },
  isize: { signed: true, min: -0x8000_0000n, max: 0x7fff_ffffn },
  i64: { signed: true, min: -0x8000_0000_0000_0000n, max: 0x7fff_ffff_ffff_ffffn },
};

/** Rust's float syntax: `inf`, `infinity` and `nan` in any case, or a decimal. */
const FLOAT = /^[+-]?(?:inf|infinity|nan|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)$/i;

/** What Rust's `str::trim` removes: Unicode White_Space (not U+FEFF, which JS trims). */
const RUST_TRIM =
  /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/** `text` parsed as `type`, `undefined` when it does not parse. */
function parse(text: string, type: ParamType): unknown {
  if (type === 'string') return text;
  if (type === 'bool') return text === 'true' ? true : text === 'false' ? false : undefined;
  if (type === 'f64' || type === 'f32') {
    if (!FLOAT.test(text)) return undefined;
    const word = text.replace(/^[+-]/, '').toLowerCase();
    const negative = text.startsWith('-');
    let value: number;
    if (word === 'nan') value = NaN;
    else if (word === 'inf' || word === 'infinity') value = negative ? -Infinity : Infinity;
    else value = Number(text);
    // f32 is rounded from the f64: in rare cases one ulp from Rust's direct decimal-to-f32.
    return type === 'f32' ? Math.fround(value) : value;
  }
  const range = INTEGERS[type];
  if (range === undefined) return undefined;
  const match = /^([+-]?)([0-9]+)$/.exec(text);
  if (match === null || (match[1] === '-' && !range.signed)) return undefined;
  const value = BigInt(text);
  if (value < range.min || value > range.max) return undefined;
  return type === 'u64' || type === 'i64' ? value : Number(value);
}

/** What kind of problem a `ParamError` reports. */
export type ParamErrorKind = 'missing' | 'invalid' | 'unknown' | 'out-of-range';

/**
 * Why a parameter could not be read. Thrown by `Params`; let it escape `init` and the host
 * shows its message as the reason the parameters were refused.
 */
export class ParamError extends Error {
  override name = 'ParamError';

  private constructor(
    readonly kind: ParamErrorKind,
    /** The parameter's name. */
    readonly key: string,
    message: string,
  ) {
    super(message);
  }

  /** "param `qty`: missing" */
  static missing(key: string): ParamError {
    return new ParamError('missing', key, `param \`${key}\`: missing`);
  }

  /** "param `fast`: expected u32, got `abc`" */
  static invalid(key: string, expected: string, got: string): ParamError {
    return new ParamError('invalid', key, `param \`${key}\`: expected ${expected}, got \`${got}\``);
  }

  /** "param `sloww`: unknown (known: fast, slow)" */
  static unknown(key: string, known: readonly string[]): ParamError {
    return new ParamError('unknown', key, `param \`${key}\`: unknown (known: ${known.join(', ')})`);
  }

  /**
   * An error saying that `key`'s value `got` does not satisfy `requirement`:
   * `ParamError.outOfRange('fast', 'must be less than slow (30)', 40)` reads
   * "param `fast`: must be less than slow (30), got `40`".
   */
  static outOfRange(key: string, requirement: string, got: unknown): ParamError {
    const shown = typeof got === 'number' ? display(got) : String(got);
    return new ParamError('out-of-range', key, `param \`${key}\`: ${requirement}, got \`${shown}\``);
  }
}

/**
 * The parameters passed to `init`: the `[params]` table of the strategy's sidecar `.toml`,
 * every value as a string (the host stringifies TOML scalars: `fast = 10` arrives as `"10"`,
 * `ratio = 0.5` as `"0.5"`, `on = true` as `"true"`).
 *
 * ```ts
 * const params = new Params([['fast', '10'], ['slow', 'abc']]);
 * params.get('fast', 'u32');          // 10
 * params.get('slow', 'u32');          // throws "param `slow`: expected u32, got `abc`"
 * params.get('qty', 'u32');           // throws "param `qty`: missing"
 * params.getOr('qty', 'u32', 100);    // 100
 * ```
 */
export class Params implements Iterable<[string, string]> {
  private readonly entries: ReadonlyArray<readonly [string, string]>;

  /** Wraps the `(key, value)` pairs the host passed. */
  constructor(entries: Iterable<readonly [string, string]> = []) {
    this.entries = Array.from(entries, ([k, v]) => [k, v] as const);
  }

  /** Parameters from an object, handy in tests: `Params.from({ fast: '2', slow: '3' })`. */
  static from(values: Record<string, string>): Params {
    return new Params(Object.entries(values));
  }

  /** The raw string value of `key`, if given. When a key appears twice the last value wins. */
  raw(key: string): string | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const [k, v] = this.entries[i]!;
      if (k === key) return v;
    }
    return undefined;
  }

  /** Whether `key` was given. */
  contains(key: string): boolean {
    return this.raw(key) !== undefined;
  }

  /**
   * The value of `key` parsed as `type` (surrounding whitespace ignored). Throws a
   * `ParamError`: "param `quantity`: missing", "param `fast`: expected u32, got `abc`".
   */
  get<T extends ParamType>(key: string, type: T): ParamValue<T> {
    const value = this.getOpt(key, type);
    if (value === undefined) throw ParamError.missing(key);
    return value;
  }

  /**
   * The value of `key` parsed as `type`, or `fallback` when the key is absent. A value that
   * is present but does not parse still throws: a typo is never silently replaced by the
   * default.
   */
  getOr<T extends ParamType>(key: string, type: T, fallback: ParamValue<T>): ParamValue<T> {
    const value = this.getOpt(key, type);
    return value === undefined ? fallback : value;
  }

  /** The value of `key` parsed as `type`, `undefined` when absent. */
  getOpt<T extends ParamType>(key: string, type: T): ParamValue<T> | undefined {
    const raw = this.raw(key);
    if (raw === undefined) return undefined;
    const value = parse(raw.replace(RUST_TRIM, ''), type);
    if (value === undefined) throw ParamError.invalid(key, type === 'string' ? 'String' : type, raw);
    return value as ParamValue<T>;
  }

  /**
   * Refuses any parameter not in `known`, so that a misspelt key in the sidecar `.toml` fails
   * `init` instead of being ignored. Throws "param `sloww`: unknown (known: fast, slow)".
   */
  denyUnknown(known: readonly string[]): void {
    const stray = this.entries.find(([k]) => !known.includes(k));
    if (stray !== undefined) throw ParamError.unknown(stray[0], known);
  }

  /** All `(key, value)` pairs, in the order the host passed them. */
  *[Symbol.iterator](): Iterator<[string, string]> {
    for (const [k, v] of this.entries) yield [k, v];
  }

  /** The number of pairs. */
  get length(): number {
    return this.entries.length;
  }

  /** Whether no parameters were given. */
  isEmpty(): boolean {
    return this.entries.length === 0;
  }
}
