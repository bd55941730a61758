#!/usr/bin/env node
// Builds a TypeScript strategy project into a Sandtrade strategy component.
//
//   node guest-sdk-ts/build.mjs <project dir> <out.wasm> [--wit <dir>] [--keep]
//
// A project is a directory whose `strategy.ts` exports exactly one `Strategy` subclass. The
// build:
//   1. loads the project once in node to find that class and call its `describe()`, so that
//      a missing class, a second one or bad metadata is reported in a sentence;
//   2. type-checks strategy.ts, and the entry that exports it, against the WIT's types;
//   3. bundles it with the SDK into one ES module whose exports are the `strategy` world's
//      functions (describe, init, onBar, onBars, onFill) and whose only import is the host;
//   4. runs componentize-js with the repository's wit/ and world `strategy`, the engine's
//      stdio and HTTP left out; reads the component's imports back and refuses any the host
//      does not grant; then marks the component with the inert WASI profile, under which the
//      host links the clocks the engine imports to its own clock (the replay time in a
//      backtest), so that `Date.now()` and `performance.now()` tell the strategy's time.
// --keep keeps the work directory (the bundle and the generated entry) and prints where.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { componentize } from '@bytecodealliance/componentize-js';
import { componentWit } from '@bytecodealliance/jco';
import { build } from 'esbuild';
import { REPO_WIT, SDK_DIR, SDK_SRC, UserError, projectDir, sdkResolver, typecheck } from './tools/project.mjs';

/**
 * What a strategy component may import (any 0.2.x version of the WASI ones): the host's
 * grant list for strategies. The engine's own needs, with stdio and HTTP disabled, are
 * `wasi:random/random` (Math.random, crypto.getRandomValues), the clocks, and the stderr
 * stream its clock support brings along (written into the host log).
 */
const GRANTED = [
  'sandtrade:strategy/types',
  'sandtrade:strategy/host',
  'wasi:io/error',
  'wasi:io/poll',
  'wasi:io/streams',
  'wasi:cli/environment',
  'wasi:cli/exit',
  'wasi:cli/stdin',
  'wasi:cli/stdout',
  'wasi:cli/stderr',
  'wasi:cli/terminal-input',
  'wasi:cli/terminal-output',
  'wasi:cli/terminal-stdin',
  'wasi:cli/terminal-stdout',
  'wasi:cli/terminal-stderr',
  'wasi:random/random',
  'wasi:random/insecure',
  'wasi:random/insecure-seed',
  // Under the inert profile only (declared below): both read the host's clock.
  'wasi:clocks/wall-clock',
  'wasi:clocks/monotonic-clock',
];

/**
 * The engine features left out. `stdio` would bring the WASI preview 1 adapter, which imports
 * wasi:filesystem; `http` and `fetch-event` are wasi:http. Without stdio an uncaught error
 * cannot be printed: the SDK writes it to the host log before the trap instead.
 */
const DISABLED = ['stdio', 'http', 'fetch-event'];

/** The custom section that declares the component's WASI profile to the host. */
const PROFILE_SECTION = 'sandtrade:wasi-profile';

/** `component` with a custom section declaring the inert WASI profile appended. */
function declareInert(component) {
  const leb = (n) => {
    const out = [];
    do {
      let byte = n & 0x7f;
      n >>>= 7;
      if (n !== 0) byte |= 0x80;
      out.push(byte);
    } while (n !== 0);
    return out;
  };
  const name = new TextEncoder().encode(PROFILE_SECTION);
  const payload = new TextEncoder().encode('inert');
  const content = [...leb(name.length), ...name, ...payload];
  return Buffer.concat([Buffer.from(component), Buffer.from([0, ...leb(content.length), ...content])]);
}

function parseArgs(argv) {
  const options = { keep: false, wit: REPO_WIT, positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--keep') options.keep = true;
    else if (arg === '--wit') options.wit = resolve(argv[++i] ?? '');
    else if (arg === '-h' || arg === '--help') options.help = true;
    else if (arg.startsWith('-')) throw new UserError(`unknown option ${arg} (known: --wit <dir>, --keep)`);
    else options.positional.push(arg);
  }
  return options;
}

const USAGE = 'usage: node guest-sdk-ts/build.mjs <project dir> <out.wasm> [--wit <dir>] [--keep]';

/** The project's Strategy subclass and its metadata, found by loading the project in node. */
async function findStrategy(project, work) {
  const probe = join(work, 'probe.mjs');
  await build({
    stdin: {
      contents:
        `export { Strategy } from ${JSON.stringify(join(SDK_SRC, 'strategy.ts'))};\n` +
        `export * as project from ${JSON.stringify(join(project, 'strategy.ts'))};\n`,
      resolveDir: project,
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile: probe,
    plugins: [sdkResolver],
    external: ['sandtrade:*'],
    keepNames: true,
    logLevel: 'silent',
  }).catch((e) => {
    throw new UserError(`strategy.ts does not compile:\n${e.message}`);
  });

  let loaded;
  try {
    loaded = await import(pathToFileURL(probe).href);
  } catch (e) {
    throw new UserError(
      `strategy.ts failed while loading, at its top level: ${e?.stack ?? e}\n` +
        'Top-level code runs before any host is there: call the host (emit, position, log, ' +
        'nowMs) only from describe, init, onBar and onFill.',
    );
  }
  const { Strategy, project: exported } = loaded;
  const classes = Object.entries(exported).filter(
    ([, value]) => typeof value === 'function' && value.prototype instanceof Strategy,
  );
  // A base class shared by the strategy is not a second strategy: keep the most derived.
  const leaves = classes.filter(
    ([, value]) => !classes.some(([, other]) => other !== value && other.prototype instanceof value),
  );
  if (leaves.length === 0) {
    throw new UserError(
      'strategy.ts exports no Strategy subclass: export one, e.g. ' +
        "`export class MyStrategy extends Strategy { ... }` with Strategy from 'sandtrade-guest'",
    );
  }
  if (leaves.length > 1) {
    const names = leaves.map(([name]) => (name === 'default' ? 'the default export' : name)).join(', ');
    throw new UserError(
      `strategy.ts exports ${leaves.length} Strategy subclasses (${names}): a component runs ` +
        'exactly one; stop exporting the others',
    );
  }
  const [exportName, Class] = leaves[0];
  for (const method of ['describe', 'init']) {
    if (typeof Class[method] !== 'function') {
      const signature = method === 'describe' ? 'describe(): Metadata' : `init(params: Params): ${Class.name}`;
      throw new UserError(`${Class.name} has no static ${method}: add \`static ${signature} { ... }\``);
    }
  }
  let metadata;
  try {
    metadata = Class.describe();
  } catch (e) {
    throw new UserError(`${Class.name}.describe() threw: ${e?.stack ?? e}`);
  }
  checkMetadata(Class.name, metadata);
  return { exportName, className: Class.name, metadata };
}

/** The checks the host makes at load, made now with clearer words. */
function checkMetadata(name, m) {
  const problem = (what) => new UserError(`${name}.describe() returned ${what}`);
  if (m === null || typeof m !== 'object') throw problem(`${m}, not { name, version, symbols, barSeconds }`);
  if (typeof m.name !== 'string' || m.name.trim() === '') throw problem('no name (a short identifier, e.g. "ma-crossover")');
  if (typeof m.version !== 'string') throw problem('no version string (e.g. "0.1.0")');
  if (!Array.isArray(m.symbols) || m.symbols.length === 0 || !m.symbols.every((s) => typeof s === 'string' && s !== '')) {
    throw problem('no symbols: list the symbols it trades, e.g. symbols: ["AAPL"]');
  }
  if (!Number.isInteger(m.barSeconds) || m.barSeconds < 1 || m.barSeconds > 0xffff_ffff) {
    throw problem(`barSeconds ${m.barSeconds}: a whole number of seconds, at least 1 (60 for one-minute bars)`);
  }
}

/** The entry module: the world's exports for the project's class, the host installed. */
function entrySource(project, exportName) {
  const sdk = (file) => JSON.stringify(join(SDK_SRC, file));
  return `// Generated by guest-sdk-ts/build.mjs: the \`strategy\` world's exports for strategy.ts.
import * as witHost from 'sandtrade:strategy/host@0.2.0';
import { strategyExports, useComponentHost } from ${sdk('component.ts')};
import { ${exportName} as UserStrategy } from ${JSON.stringify(join(project, 'strategy.ts'))};

useComponentHost(witHost);

const world = strategyExports(UserStrategy);
export const describe = world.describe;
export const init = world.init;
export const onBar = world.onBar;
export const onBars = world.onBars;
export const onFill = world.onFill;

// The SDK's adapter must fit the world as jco reads the WIT.
({ describe, init, onBar, onBars, onFill }) satisfies typeof import('sandtrade:strategy/strategy@0.2.0');
`;
}

/** The interfaces `wasm` imports, read back from the component (`jco wit`). */
async function componentImports(wasm) {
  const wit = await componentWit(wasm);
  return [...wit.matchAll(/^\s*import ([\w:./@-]+);/gm)].map((m) => m[1]);
}

function granted(name) {
  const unversioned = name.replace(/@.*$/, '');
  return GRANTED.includes(unversioned);
}

async function main() {
  const started = performance.now();
  const options = parseArgs(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return;
  }
  if (options.positional.length !== 2) throw new UserError(USAGE);
  const project = projectDir(options.positional[0]);
  const out = resolve(options.positional[1]);
  const work = mkdtempSync(join(tmpdir(), 'sandtrade-ts-build-'));
  try {
    const found = await findStrategy(project, work);
    const { name, version, symbols, barSeconds } = found.metadata;
    console.log(`strategy  ${found.className}: ${name} ${version}, ${symbols.join(', ')}, ${barSeconds} s bars`);

    const entry = join(work, 'entry.ts');
    writeFileSync(entry, entrySource(project, found.exportName));
    const errors = typecheck([join(project, 'strategy.ts'), entry], work);
    if (errors !== '') throw new UserError(`type errors:\n${errors}`);
    console.log('types     ok');

    const bundle = join(work, 'strategy.js');
    const result = await build({
      // Fed as stdin, and paths taken from the SDK's directory, so that the bundle (whose
      // comments name each file) and the component are the same bytes on every build.
      stdin: { contents: entrySource(project, found.exportName), sourcefile: 'entry.ts', resolveDir: project, loader: 'ts' },
      absWorkingDir: SDK_DIR,
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      outfile: bundle,
      plugins: [sdkResolver],
      // The host's interfaces are the component's imports, bound by componentize-js.
      external: ['sandtrade:*'],
      // Class names appear in log lines and errors (`MaCrossover.onBar threw ...`).
      keepNames: true,
      metafile: true,
      logLevel: 'silent',
    }).catch((e) => {
      throw new UserError(`bundling failed:\n${e.message}`);
    });
    if (Object.keys(result.metafile.inputs).some((input) => resolve(input) === join(SDK_SRC, 'testing.ts'))) {
      throw new UserError("strategy.ts imports 'sandtrade-guest/testing', the mock host for tests: import it from test files only");
    }

    const { component } = await componentize({
      sourcePath: bundle,
      witPath: options.wit,
      worldName: 'strategy',
      disableFeatures: DISABLED,
    });
    const imports = await componentImports(component);
    const refused = imports.filter((i) => !granted(i));
    if (refused.length > 0) {
      throw new UserError(
        `the component imports ${refused.join(', ')}, which the host does not grant a strategy ` +
          `(all imports: ${imports.join(', ')})`,
      );
    }
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, declareInert(component));
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const mib = (statSync(out).size / (1 << 20)).toFixed(1);
    console.log(`imports   ${imports.join(', ')}`);
    console.log(`wrote     ${relative(process.cwd(), out) || out} (${mib} MiB) in ${seconds} s`);
  } finally {
    if (options.keep) console.log(`work dir  ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  if (e instanceof UserError) console.error(`build.mjs: ${e.message}`);
  else console.error(e);
  process.exitCode = 1;
});
