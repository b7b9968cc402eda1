// The README's test command runs this: the whole suite against Debian 12's
// QEMU (7.2), and every test that needs QEMU again against each other QEMU
// installed, QEMU 10.0 from scripts/install-qemu10.sh above all. The runs go
// in parallel (two cores: most of a test's time is waiting on QEMU, tmux or a
// timeout), each with its own log, printed whole when it ends.
//
// A third run, beside them, tests the single-file executable (npm run
// build:single, built here first): test/cli, test/repl and the other tests
// that start the CLI, against the first QEMU, with QMPSH_TEST_BIN naming the
// file (test/helpers/run-cli.ts).
//
//   QMPSH_TEST_QEMUS=/path/a:/path/b   the QEMU binaries to test against (the first runs everything,
//                                      each other one every test file that starts a QEMU)
//   QMPSH_TEST_SINGLE=0                no single-file run
//   CI=true                            a missing QEMU 10.0 fails the run instead of being skipped
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const QEMU10 = process.env.QMPSH_QEMU10_PREFIX
  ? `${process.env.QMPSH_QEMU10_PREFIX}/bin/qemu-system-x86_64`
  : '/opt/qmpsh/qemu-10.0/bin/qemu-system-x86_64';
const testFiles = (dirs) =>
  dirs.flatMap((d) => readdirSync(d, { recursive: true }).map((f) => join(d, String(f)))).filter((f) => f.endsWith('.test.ts')).sort();
// What another QEMU version runs: every test file that starts a QEMU (through
// test/helpers/qemu.ts or guest.ts), but those that start every version at
// once themselves (marked `qmpsh-test: every-qemu`, run by the first run only).
// A file that talks to scripted peers only would test the same thing twice.
const QEMU_TESTS = testFiles(['test/cli', 'test/integration', 'test/repl', 'test/hardening']).filter((f) => {
  const text = readFileSync(f, 'utf8');
  return /helpers\/(qemu|guest)\.js/.test(text) && !text.includes('qmpsh-test: every-qemu');
});
// What the single file is tested with: test/cli, test/repl, and every other
// test file that starts the CLI as a process (through test/helpers/run-cli.ts).
const SINGLE_FILE_TESTS = [
  'test/cli',
  'test/repl',
  ...readdirSync('test', { recursive: true })
    .map((f) => join('test', String(f)))
    .filter((f) => f.endsWith('.test.ts') && !/^test\/(cli|repl)\//.test(f) && readFileSync(f, 'utf8').includes('helpers/run-cli.js'))
    .sort(),
];
const SINGLE_FILE = fileURLToPath(new URL('../build/qmpsh-linux-x64', import.meta.url));

function versionOf(binary) {
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  const m = /version (\d+\.\d+\.\d+)/.exec(r.stdout ?? '');
  return m ? m[1] : undefined;
}

const given = process.env.QMPSH_TEST_QEMUS?.split(':').filter(Boolean);
const binaries = given ?? ['qemu-system-x86_64', ...(existsSync(QEMU10) ? [QEMU10] : [])];
if (!given && !existsSync(QEMU10)) {
  const say = `QEMU 10.0 is not installed (${QEMU10}): run scripts/install-qemu10.sh`;
  if (process.env.CI) {
    console.error(`test: ${say}; CI tests both versions`);
    process.exit(1);
  }
  console.error(`test: ${say} to test it too; testing the system QEMU only`);
}
const runs = binaries.map((binary, i) => {
  const version = versionOf(binary);
  if (!version) {
    console.error(`test: cannot run ${binary} --version`);
    process.exit(1);
  }
  return { binary, version, label: `QEMU ${version}`, files: i === 0 ? [] : QEMU_TESTS, env: {} };
});
if (process.env.QMPSH_TEST_SINGLE !== '0') {
  // Built now, from the tree under test (into build/, beside dist/).
  const built = spawnSync(process.execPath, ['scripts/build-single.mjs'], { stdio: 'inherit', env: { ...process.env, QMPSH_SINGLE_OUT: SINGLE_FILE } });
  if (built.status !== 0) {
    console.error('test: the single file did not build (npm run build:single); QMPSH_TEST_SINGLE=0 skips its run');
    process.exit(1);
  }
  const { binary, version } = runs[0];
  runs.push({ binary, version, label: `single file, QEMU ${version}`, files: SINGLE_FILE_TESTS, env: { QMPSH_TEST_BIN: SINGLE_FILE } });
}

function run({ binary, version, label, files, env }) {
  return new Promise((resolve) => {
    const started = Date.now();
    // Each run its own $TMPDIR: a test that checks nothing is left in it (or
    // no process runs from it) sees its own run only.
    const own = mkdtempSync(join(tmpdir(), `qmpsh-run-${version}${env.QMPSH_TEST_BIN ? '-single' : ''}-`));
    // Like /tmp itself: the permission test runs a copy of qmpsh as nobody from here.
    chmodSync(own, 0o1777);
    const child = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...files], {
      // QMPSH_TEST_QEMUS: every version, for the tests that start them all at once.
      env: { ...process.env, ...env, QMPSH_TEST_QEMU: binary, QMPSH_TEST_QEMUS: binaries.join(':'), TMPDIR: own },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    child.on('close', (code) => {
      rmSync(own, { recursive: true, force: true });
      const plain = log.replace(/\x1b\[[0-9;]*m/g, '');
      const m = /Tests\s+(?:(\d+) failed \| )?(\d+) passed/.exec(plain);
      resolve({ label, code, log, failed: Number(m?.[1] ?? (code ? 1 : 0)), passed: Number(m?.[2] ?? 0), seconds: (Date.now() - started) / 1000 });
    });
  });
}

console.log(`test: ${runs.map((r) => r.label).join(', ')}, in parallel`);
const results = await Promise.all(runs.map(run));
let passed = 0;
let failed = 0;
for (const r of results) {
  console.log(`\n===== ${r.label}: ${r.passed} passed, ${r.failed} failed, exit ${r.code}, ${r.seconds.toFixed(0)}s =====`);
  console.log(r.log.trimEnd());
  passed += r.passed;
  failed += r.failed;
}
const bad = results.filter((r) => r.code !== 0);
// The failures again at the very end: a CI log is often read from its tail.
for (const r of results.filter((x) => x.code !== 0)) {
  const plain = r.log.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
  const failing = plain.filter((l) => /^\s*(×|FAIL\s)/.test(l) || /AssertionError|Error: /.test(l));
  console.log(`\n----- ${r.label}: what failed -----`);
  console.log([...new Set(failing.map((l) => l.trimEnd()))].slice(0, 60).join('\n') || `(vitest exited ${r.code}; see its log above)`);
}
for (const r of results) console.log(`${r.label}: ${r.passed} passed, ${r.failed} failed`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = bad.length ? 1 : 0;
