// Fails when generated/ no longer matches ../wit: regenerates the types into a temporary
// directory and compares. Fix with `npm run generate`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { REPO_WIT, SDK_DIR } from './project.mjs';

function files(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath ?? e.path, e.name)))
    .sort();
}

const fresh = mkdtempSync(join(tmpdir(), 'sandtrade-ts-generated-'));
try {
  const jco = join(SDK_DIR, 'node_modules', '@bytecodealliance', 'jco', 'src', 'jco.js');
  const run = spawnSync(
    process.execPath,
    [jco, 'guest-types', REPO_WIT, '--world-name', 'strategy', '--quiet', '--out-dir', fresh],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`jco guest-types failed:\n${run.stdout}${run.stderr}`);
  const committed = join(SDK_DIR, 'generated');
  const want = files(fresh);
  const have = files(committed);
  const stale = want.filter(
    (f) => !have.includes(f) || readFileSync(join(fresh, f), 'utf8') !== readFileSync(join(committed, f), 'utf8'),
  );
  const extra = have.filter((f) => !want.includes(f));
  if (stale.length + extra.length > 0) {
    console.error(`generated/ is out of date with ../wit (${[...stale, ...extra].join(', ')}): run \`npm run generate\``);
    process.exitCode = 1;
  } else {
    console.log('generated/ matches ../wit');
  }
} finally {
  rmSync(fresh, { recursive: true, force: true });
}
