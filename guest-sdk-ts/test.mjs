#!/usr/bin/env node
// Type-checks and runs a strategy project's unit tests under node's test runner:
//
//   node guest-sdk-ts/test.mjs <project dir> [more node --test options]
//
// Runs every `*.test.ts` of the project with `sandtrade-guest` resolved to this SDK (the
// tests import the mock host from 'sandtrade-guest/testing'). The project needs no
// node_modules of its own: this SDK's (npm install in guest-sdk-ts/) serve it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SDK_DIR, UserError, projectDir, testFiles, typecheck } from './tools/project.mjs';

function main() {
  const [dir, ...nodeOptions] = process.argv.slice(2);
  const project = projectDir(dir);
  const tests = testFiles(project);
  if (tests.length === 0) throw new UserError(`${dir} has no *.test.ts files`);
  const work = mkdtempSync(join(tmpdir(), 'sandtrade-ts-test-'));
  try {
    const errors = typecheck([join(project, 'strategy.ts'), ...tests], work, { tests: true });
    if (errors !== '') throw new UserError(`type errors:\n${errors}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const register = join(SDK_DIR, 'tools', 'register.mjs');
  const run = spawnSync(process.execPath, ['--import', register, '--test', ...nodeOptions, ...tests], {
    stdio: 'inherit',
  });
  process.exitCode = run.status ?? 1;
}

try {
  main();
} catch (e) {
  if (e instanceof UserError) console.error(`test.mjs: ${e.message}`);
  else console.error(e);
  process.exitCode = 1;
}
