// Numbers written the way the Rust SDK writes them, so that log lines and signal reasons read
// the same whichever language a strategy is written in.

/**
 * `x` as Rust's `{}` writes an `f64`: the shortest digits that read back as `x`, never in
 * exponent notation (`3`, `187.5`, `0.0000001`, `1000000000000000000000`), and `NaN`, `inf`,
 * `-inf`, `-0` for the special values.
 */
export function display(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0';
  const shortest = String(x);
  const e = shortest.indexOf('e');
  if (e < 0) return shortest;
  // JavaScript switches to exponent notation below 1e-6 and from 1e21; spell the digits out.
  const sign = shortest.startsWith('-') ? '-' : '';
  const mantissa = shortest.slice(sign.length, e);
  const exponent = Number(shortest.slice(e + 1));
  const digits = mantissa.replace('.', '');
  const point = (mantissa.indexOf('.') < 0 ? mantissa.length : mantissa.indexOf('.')) + exponent;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * `x` with `digits` decimals, as Rust's `{:.2}` writes it. The same as `x.toFixed(digits)`
 * except on an exact tie, which Rust rounds to the even digit (`0.125` gives `0.12`, where
 * `toFixed` gives `0.13`), and for the special values (`NaN`, `inf`, `-inf`).
 */
export function fixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  // toFixed drops the sign of -0; Rust writes `-0.00`.
  const plain = Object.is(x, -0) ? `-${x.toFixed(digits)}` : x.toFixed(digits);
  // A tie is a value exactly halfway between two `digits`-decimal numbers: x * 10^digits
  // ends in .5 exactly. Such a value is a multiple of 2^-(digits+1) with an odd numerator
  // (and that scaling by a power of two is exact).
  const scaled = Math.abs(x) * 2 ** (digits + 1);
  if (!Number.isInteger(scaled) || scaled % 2 === 0 || scaled > Number.MAX_SAFE_INTEGER) {
    return plain;
  }
  // toFixed rounded the tie away from zero; Rust keeps the even neighbour.
  const lower = Math.floor(Math.abs(x) * 10 ** digits);
  const kept = lower % 2 === 0 ? lower : lower + 1;
  const text = String(kept).padStart(digits + 1, '0');
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  return digits === 0
    ? `${sign}${text}`
    : `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}
