// What build.mjs and test.mjs share: where things are, how `sandtrade-guest` resolves, and
// running the TypeScript compiler on a strategy project.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The SDK's directory (guest-sdk-ts/). */
export const SDK_DIR = fileURLToPath(new URL('..', import.meta.url));
export const SDK_SRC = join(SDK_DIR, 'src');
/** The repository's WIT package, which the SDK is written against. */
export const REPO_WIT = resolve(SDK_DIR, '..', 'wit');

/** An error whose message is the whole story: printed without a stack. */
export class UserError extends Error {}

/**
 * The project directory, checked: it exists and holds `strategy.ts`.
 * @param {string | undefined} dir
 */
export function projectDir(dir) {
  if (dir === undefined) throw new UserError('name the strategy project directory (the one holding strategy.ts)');
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new UserError(`${dir} is not a directory`);
  if (!existsSync(join(abs, 'strategy.ts'))) {
    throw new UserError(
      `${dir} has no strategy.ts: a strategy project is a directory whose strategy.ts exports ` +
        'one Strategy subclass',
    );
  }
  return abs;
}

/** The project's test files: every `*.test.ts` in it, outside node_modules. */
export function testFiles(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...testFiles(path));
    else if (entry.name.endsWith('.test.ts')) found.push(path);
  }
  return found.sort();
}

/** esbuild plugin: `sandtrade-guest[/testing]` are this SDK's sources, wherever the project is. */
export const sdkResolver = {
  name: 'sandtrade-guest',
  setup(build) {
    build.onResolve({ filter: /^sandtrade-guest(\/testing)?$/ }, (args) => ({
      path: join(SDK_SRC, args.path === 'sandtrade-guest' ? 'index.ts' : 'testing.ts'),
    }));
  },
};

/**
 * Type-checks `files` with the SDK's settings (`tsconfig.strategy.json`, or the tests' when
 * `tests`), through a tsconfig written to `workDir`. Returns the compiler's output, empty when
 * clean.
 */
export function typecheck(files, workDir, { tests = false } = {}) {
  const config = join(workDir, tests ? 'tsconfig.tests.json' : 'tsconfig.json');
  const base = join(SDK_DIR, tests ? 'tsconfig.tests.json' : 'tsconfig.strategy.json');
  const generated = join(SDK_DIR, 'generated', 'strategy.d.ts');
  writeFileSync(config, JSON.stringify({ extends: base, files: [generated, ...files] }, null, 2));
  const tsc = join(SDK_DIR, 'node_modules', 'typescript', 'bin', 'tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', config, '--pretty', 'false'], { encoding: 'utf8' });
  return (run.stdout + run.stderr).trim();
}
