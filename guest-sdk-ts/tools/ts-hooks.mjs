// Module hooks that let node 20 run a strategy project's TypeScript as the component build
// sees it, without a compile step:
// - `sandtrade-guest` and `sandtrade-guest/testing` resolve to this SDK's sources, wherever
//   the project is (a project needs no node_modules of its own);
// - `.ts` files are stripped of their types by esbuild (no type-checking here: test.mjs and
//   build.mjs run tsc first) and run as ES modules.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

const SDK = new URL('../src/', import.meta.url);
const ENTRY_POINTS = {
  'sandtrade-guest': new URL('index.ts', SDK).href,
  'sandtrade-guest/testing': new URL('testing.ts', SDK).href,
};

export async function resolve(specifier, context, nextResolve) {
  const sdk = ENTRY_POINTS[specifier];
  if (sdk !== undefined) return { url: sdk, shortCircuit: true };
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const source = await readFile(path, 'utf8');
  const { code } = await transform(source, {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcefile: path,
    sourcemap: 'inline',
  });
  return { format: 'module', source: code, shortCircuit: true };
}

