// build.mjs's sentences for projects it cannot build. These fail before componentize-js runs,
// so they are quick; the full build is exercised by building the example (see README.md).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const BUILD = new URL('../build.mjs', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'sandtrade-ts-build-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

const HEADER = `import { Strategy, type Bar, type Metadata } from 'sandtrade-guest';\n`;
const STRATEGY = (name: string) => `
export class ${name} extends Strategy {
  static describe(): Metadata { return { name: '${name}', version: '1', symbols: ['AAPL'], barSeconds: 60 }; }
  static init(): ${name} { return new ${name}(); }
  onBar(_bar: Bar): void {}
}
`;

/** build.mjs's stderr for a project whose strategy.ts is `source` (null: no strategy.ts). */
function buildError(name: string, source: string | null): string {
  const dir = join(root, name);
  mkdirSync(dir);
  if (source !== null) writeFileSync(join(dir, 'strategy.ts'), source);
  const run = spawnSync(process.execPath, [BUILD, dir, join(root, `${name}.wasm`)], { encoding: 'utf8' });
  assert.equal(run.status, 1, run.stdout + run.stderr);
  return run.stderr.trim();
}

test('a project without strategy.ts', () => {
  assert.match(buildError('empty', null), /has no strategy\.ts: a strategy project is a directory whose strategy\.ts exports one Strategy subclass$/);
});

test('no Strategy subclass', () => {
  assert.equal(
    buildError('none', `${HEADER}export const x = 1;\n`),
    "build.mjs: strategy.ts exports no Strategy subclass: export one, e.g. `export class MyStrategy extends Strategy { ... }` with Strategy from 'sandtrade-guest'",
  );
});

test('two Strategy subclasses', () => {
  assert.equal(
    buildError('two', HEADER + STRATEGY('One') + STRATEGY('Two')),
    'build.mjs: strategy.ts exports 2 Strategy subclasses (One, Two): a component runs exactly one; stop exporting the others',
  );
});

test('an exported base class is not a second strategy', () => {
  const source = `${HEADER}export abstract class Base extends Strategy {}\n${STRATEGY('Leaf').replace('extends Strategy', 'extends Base')}export const broken: number = 'x';\n`;
  // It gets past the class search to the type check, which then fails on `broken`.
  assert.match(buildError('base', source), /^build\.mjs: type errors:\n.*strategy\.ts\(\d+,\d+\): error TS2322/);
});

test('a missing static init', () => {
  const source = HEADER + STRATEGY('NoInit').replace(/ {2}static init.*\n/, '');
  assert.equal(buildError('noinit', source), 'build.mjs: NoInit has no static init: add `static init(params: Params): NoInit { ... }`');
});

test('bad metadata', () => {
  const source = HEADER + STRATEGY('Bad').replace("symbols: ['AAPL']", 'symbols: []');
  assert.equal(buildError('meta', source), 'build.mjs: Bad.describe() returned no symbols: list the symbols it trades, e.g. symbols: ["AAPL"]');
});

test('host calls at the top level', () => {
  const source = `${HEADER}import { info } from 'sandtrade-guest';\ninfo('hello');\n${STRATEGY('Early')}`;
  assert.match(buildError('early', source), /failed while loading, at its top level: .*no host is installed/s);
});

test('the mock host in strategy code', () => {
  const source = `${HEADER}import { reset } from 'sandtrade-guest/testing';\nvoid reset;\n${STRATEGY('Mocked')}`;
  assert.equal(
    buildError('mock', source),
    "build.mjs: strategy.ts imports 'sandtrade-guest/testing', the mock host for tests: import it from test files only",
  );
});
