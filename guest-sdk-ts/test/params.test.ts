// Params: typed lookup as Rust's `str::parse` reads it, and the Rust SDK's messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParamError, Params } from 'sandtrade-guest';

function params(): Params {
  return new Params([
    ['fast', '10'],
    ['slow', ' 30 '],
    ['bad', 'abc'],
    ['ratio', '0.5'],
    ['on', 'true'],
    ['name', 'x'],
  ]);
}

/** The message `run` throws. */
function thrown(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof ParamError, `a ParamError, got ${String(e)}`);
    return e.message;
  }
  assert.fail('did not throw');
}

test('typed lookup', () => {
  const p = params();
  assert.equal(p.get('fast', 'u32'), 10);
  assert.equal(p.get('slow', 'usize'), 30);
  assert.equal(p.get('ratio', 'f64'), 0.5);
  assert.equal(p.get('on', 'bool'), true);
  assert.equal(p.get('name', 'string'), 'x');
  assert.equal(p.get('fast', 'u64'), 10n);
});

test('an invalid value names key, type and value', () => {
  const p = params();
  assert.equal(thrown(() => p.get('bad', 'u32')), 'param `bad`: expected u32, got `abc`');
  assert.equal(thrown(() => p.get('bad', 'f64')), 'param `bad`: expected f64, got `abc`');
  assert.equal(thrown(() => p.get('ratio', 'u32')), 'param `ratio`: expected u32, got `0.5`');
  const e = (() => {
    try {
      p.get('bad', 'u8');
    } catch (e) {
      return e as ParamError;
    }
  })()!;
  assert.deepEqual([e.kind, e.key], ['invalid', 'bad']);
});

test('a missing key is named', () => {
  assert.equal(thrown(() => params().get('quantity', 'u32')), 'param `quantity`: missing');
});

test('getOr defaults only when absent', () => {
  const p = params();
  assert.equal(p.getOr('quantity', 'u32', 100), 100);
  assert.equal(p.getOr('fast', 'u32', 99), 10);
  assert.throws(() => p.getOr('bad', 'u32', 1), ParamError);
  assert.equal(p.getOpt('quantity', 'u32'), undefined);
  assert.equal(p.getOpt('fast', 'i32'), 10);
});

test('integers parse as Rust parses them', () => {
  const one = (text: string, type: 'u32' | 'i32' | 'u8' | 'usize' | 'i64' | 'u64') => new Params([['k', text]]).getOpt('k', type);
  assert.equal(one('+7', 'u32'), 7);
  assert.equal(one('-7', 'i32'), -7);
  assert.equal(one('007', 'u32'), 7);
  assert.equal(one('255', 'u8'), 255);
  assert.equal(one('4294967295', 'usize'), 4294967295);
  assert.equal(one('-9223372036854775808', 'i64'), -9223372036854775808n);
  assert.equal(one('18446744073709551615', 'u64'), 18446744073709551615n);
  for (const [text, type] of [
    ['-0', 'u32'], // no sign but + for unsigned types
    ['256', 'u8'],
    ['4294967296', 'usize'], // usize is 32-bit, as in a wasm32 component
    ['1_000', 'u32'],
    ['0x10', 'u32'],
    ['1e3', 'u32'],
    ['+', 'i32'],
    ['', 'u32'],
    ['٣', 'u32'], // digits are ASCII only
  ] as const) {
    assert.throws(() => one(text, type), ParamError, `${text} as ${type}`);
  }
});

test('floats parse as Rust parses them', () => {
  const f = (text: string) => new Params([['k', text]]).get('k', 'f64');
  assert.equal(f('1.'), 1);
  assert.equal(f('.5'), 0.5);
  assert.equal(f('+1.5e3'), 1500);
  assert.equal(f('1E-2'), 0.01);
  assert.equal(f('inf'), Infinity);
  assert.equal(f('-Infinity'), -Infinity);
  assert.ok(Number.isNaN(f('NaN')));
  assert.equal(f('1e400'), Infinity);
  for (const text of ['.', 'e5', '1e', '0x10', '1_0', 'Infinityx', '']) {
    assert.throws(() => f(text), ParamError, text);
  }
  assert.equal(new Params([['k', '0.1']]).get('k', 'f32'), Math.fround(0.1));
});

test('bool is exactly true or false, after trimming', () => {
  const b = (text: string) => new Params([['k', text]]).get('k', 'bool');
  assert.equal(b(' false\n'), false);
  assert.throws(() => b('True'), /expected bool, got `True`/);
  assert.throws(() => b('1'), ParamError);
});

test('trimming is Rust’s: Unicode whitespace, not the byte-order mark', () => {
  assert.equal(new Params([['k', '\u3000 12\u0085']]).get('k', 'u32'), 12);
  assert.throws(() => new Params([['k', '\ufeff12']]).get('k', 'u32'), ParamError);
});

test('denyUnknown names the stray key', () => {
  const p = new Params([
    ['fast', '1'],
    ['sloww', '2'],
  ]);
  p.denyUnknown(['fast', 'sloww']);
  assert.equal(thrown(() => p.denyUnknown(['fast', 'slow'])), 'param `sloww`: unknown (known: fast, slow)');
});

test('the last duplicate wins and iteration keeps order', () => {
  const p = new Params([
    ['a', '1'],
    ['b', '2'],
    ['a', '3'],
  ]);
  assert.equal(p.get('a', 'u32'), 3);
  assert.equal(p.length, 3);
  assert.ok(!p.isEmpty());
  assert.ok(p.contains('b'));
  assert.deepEqual([...p].map(([k]) => k), ['a', 'b', 'a']);
  assert.ok(new Params().isEmpty());
  assert.deepEqual([...Params.from({ x: '1' })], [['x', '1']]);
});

test('outOfRange message', () => {
  assert.equal(
    ParamError.outOfRange('fast', 'must be less than slow (30)', 40).message,
    'param `fast`: must be less than slow (30), got `40`',
  );
  assert.equal(ParamError.outOfRange('ratio', 'must be below 1', 30.0).message, 'param `ratio`: must be below 1, got `30`');
});
