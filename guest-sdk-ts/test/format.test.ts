// Numbers written as Rust writes them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { display, fixed } from 'sandtrade-guest';

test('display is Rust’s {} for f64', () => {
  assert.equal(display(3), '3');
  assert.equal(display(187.5), '187.5');
  assert.equal(display(0.1), '0.1');
  assert.equal(display(1e21), '1000000000000000000000');
  assert.equal(display(1.5e-7), '0.00000015');
  assert.equal(display(-2.5e-8), '-0.000000025');
  assert.equal(display(1.2345e22), '12345000000000000000000');
  assert.equal(display(-0), '-0');
  assert.equal(display(NaN), 'NaN');
  assert.equal(display(-Infinity), '-inf');
});

test('fixed is Rust’s {:.N}: ties to even', () => {
  assert.equal(fixed(10.5, 2), '10.50');
  assert.equal(fixed(10.333333, 2), '10.33');
  assert.equal(fixed(0.125, 2), '0.12'); // toFixed: 0.13
  assert.equal(fixed(0.375, 2), '0.38');
  assert.equal(fixed(187.125, 2), '187.12');
  assert.equal(fixed(-0.125, 2), '-0.12');
  assert.equal(fixed(2.5, 0), '2');
  assert.equal(fixed(3.5, 0), '4');
  assert.equal(fixed(0.5, 0), '0');
  assert.equal(fixed(0.35, 1), '0.3'); // 0.35 is 0.34999..., no tie
  assert.equal(fixed(-0, 2), '-0.00');
  assert.equal(fixed(Infinity, 2), 'inf');
});
