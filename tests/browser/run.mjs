#!/usr/bin/env node
// Runs the browser tests (tests/browser/*.test.mjs, node:test) one file at
// a time, after installing playwright-core and axe-core from the pinned
// package-lock.json (npm ci, offline once npm's cache holds them; skipped
// when the lock has not changed since the last install). Prints each
// result, then "browser: N passed, N failed, N skipped"; exits 1 on any
// failure. Run by ctest (tests/CMakeLists.txt); SESAME_BIN names the binary.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const here = dirname(fileURLToPath(import.meta.url));
const lock = readFileSync(join(here, 'package-lock.json'));
const stamp = join(here, 'node_modules', '.sesame-lock-sha256');
const want = createHash('sha256').update(lock).digest('hex');
if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== want) {
  const npm = spawnSync('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'],
    { cwd: here, stdio: 'inherit' });
  if (npm.status !== 0) {
    console.error('browser: npm ci failed');
    process.exit(1);
  }
  writeFileSync(stamp, want);
}

const only = process.argv.slice(2);
const files = readdirSync(here).filter((f) => f.endsWith('.test.mjs') && (!only.length || only.some((o) => f.includes(o))))
  .sort().map((f) => join(here, f));
const counts = { passed: 0, failed: 0, skipped: 0 };
const stream = run({ files, concurrency: 1, timeout: 240_000 });
stream.on('test:pass', (t) => {
  if (t.details?.type === 'suite') return;
  if (t.skip || t.todo) counts.skipped += 1;
  else counts.passed += 1;
});
stream.on('test:fail', (t) => {
  if (t.details?.type !== 'suite') counts.failed += 1;
});
stream.compose(spec).pipe(process.stdout);
stream.on('end', () => {
  // After the reporter's own summary: the closing line CI reads.
  setImmediate(() => {
    console.log(`browser: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
    process.exitCode = counts.failed || !counts.passed ? 1 : 0;
  });
});
