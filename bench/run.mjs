// Entry point of the benchmarks (`npm run bench`):
//
//   node --expose-gc bench/run.mjs [--quick] [--only client,peers] [--out DIR] [--no-profile]
//                                  [--strict]
//   node bench/run.mjs --render [results.json]   (REPORT.md and overhead.svg again, no measuring)
//
// Runs every bench/suites/*.mjs (each exports `run({ quick })` returning rows
// `{ name, unit, value, target, pass, details }`), each in a child process of its own, then CPU
// profiles of the hot paths (full mode), and writes results.json, REPORT.md and overhead.svg.
// Full mode writes them to bench/; --quick (CI-sized, under a minute of measuring) writes them to
// a temporary directory unless --out says otherwise, so a quick run never replaces the committed
// full results. --strict exits 1 when a target is missed (a crashed suite always does).
//
// Measured is a snapshot of dist/ taken at start (bench/.run/dist), so a rebuild while the run
// goes cannot mix two builds; build first (`npm run build`). The peer instrumentations (and the
// SDK lines and telemetry packages the peers, ai-sdk and google-genai suites load from there) are
// installed from bench/peers/package-lock.json (`npm ci --prefix bench/peers`) when any of them is
// missing.
import { execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { METHOD, notes } from './lib/notes.mjs';
import { fmt, renderChart, renderReport } from './lib/report.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const SNAPSHOT = join(BENCH, '.run', 'dist');
const PROFILES = ['precheck-cached', 'precheck-breaker', 'precheck-uncached', 'stream-ours'];
/** The suites that load packages from bench/peers. */
const NEED_PEERS = [
  'peers.mjs',
  'peers-anthropic1.mjs',
  'bedrock.mjs',
  'ai-sdk.mjs',
  'google-genai.mjs',
  'google-genai-peers.mjs',
  'startup.mjs',
];
const COMPARED = ['uninstrumented', 'floor', 'tracing', 'cached', 'breaker'];

const args = process.argv.slice(2);
const option = flag => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const only = option('--only')?.split(',');
const outDir = option('--out') ?? (quick ? join(os.tmpdir(), 'axonflow-otel-bench') : BENCH);
const profile = !args.includes('--no-profile') && (!quick || args.includes('--profile'));

function git(...argv) {
  try {
    return execFileSync('git', argv, { cwd: ROOT, encoding: 'utf8' }).trimEnd();
  } catch {
    return '';
  }
}

function machineInfo() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    arch: process.arch,
    memoryGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    v8: process.versions.v8,
    commit: git('rev-parse', '--short=12', 'HEAD') || 'unknown',
    dirty: git('status', '--porcelain', '--', 'src')
      .split('\n')
      .filter(Boolean)
      .map(line => line.slice(3)),
    pinning:
      os.availableParallelism() >= 2
        ? 'measured processes on CPU 0, agent stub / sandbox helpers on CPU 1 (taskset), for the client, instrumentation, peers, peers-anthropic1, bedrock, ai-sdk, google-genai and google-genai-peers suites; the audit suite runs unpinned'
        : 'none (one CPU)',
  };
}

const load = () => os.loadavg()[0];

/** Runs `node <argv>` and resolves with its exit code and the tail of its stderr. */
function node(argv) {
  return new Promise(resolve => {
    const child = spawn(process.execPath, argv, {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'pipe'],
      env: { ...process.env, AXONFLOW_TELEMETRY: 'off', AXONFLOW_BENCH_DIST: SNAPSHOT },
    });
    let tail = '';
    child.stderr.on('data', chunk => {
      tail = (tail + chunk).slice(-4000);
    });
    child.on('exit', code => resolve({ code, stderr: tail }));
  });
}

async function runSuite(file, tmp) {
  const suite = file.replace(/\.mjs$/, '');
  const out = join(tmp, `${suite}.json`);
  const started = performance.now();
  const before = load();
  console.log(`bench: ${suite} …`);
  const { code, stderr } = await node([
    '--expose-gc',
    join(BENCH, 'lib', 'runner.mjs'),
    join(BENCH, 'suites', file),
    out,
    ...(quick ? ['--quick'] : []),
  ]);
  const result = {
    suite,
    status: code === 0 && existsSync(out) ? 'ok' : 'failed',
    durationS: (performance.now() - started) / 1000,
    loadAvg: { before, after: load() },
    rows: [],
  };
  if (result.status === 'ok') result.rows = JSON.parse(readFileSync(out, 'utf8'));
  else {
    result.error = stderr.trim().split('\n').slice(-15).join('\n');
    result.rows.push({
      name: `${suite}: suite failed`,
      unit: '',
      value: null,
      target: 'runs',
      pass: false,
      details: { status: 'failed', exitCode: code },
    });
  }
  console.log(`bench: ${suite} ${result.status} in ${fmt(result.durationS, 0)} s`);
  return result;
}

async function runProfiles(tmp) {
  const profiles = [];
  for (const scenario of PROFILES) {
    const out = join(tmp, `profile-${scenario}.json`);
    console.log(`bench: profile ${scenario} …`);
    const { code, stderr } = await node([
      join(BENCH, 'profile.mjs'),
      scenario,
      '--seconds',
      '2',
      '--json',
      out,
    ]);
    profiles.push(
      code === 0 && existsSync(out)
        ? JSON.parse(readFileSync(out, 'utf8'))
        : { scenario, error: stderr.trim().split('\n').slice(-3).join(' ') },
    );
  }
  const out = join(tmp, 'profile-compare.json');
  console.log(`bench: profile ${COMPARED.join(', ')} side by side …`);
  const { code, stderr } = await node([
    join(BENCH, 'profile.mjs'),
    '--compare',
    COMPARED.join(','),
    '--seconds',
    '10',
    '--json',
    out,
  ]);
  const compared =
    code === 0 && existsSync(out)
      ? JSON.parse(readFileSync(out, 'utf8'))
      : { error: stderr.trim().split('\n').slice(-3).join(' ') };
  return { profiles, compared };
}

/**
 * The project's formatter also covers Markdown and SVG files under bench/: format what this run
 * wrote there, so `biome check .` stays clean. Files outside the repository are left as written.
 */
function formatWithBiome(files) {
  const biome = join(ROOT, 'node_modules', '.bin', 'biome');
  const inside = files.filter(f => f.startsWith(`${ROOT}/`));
  if (inside.length === 0 || !existsSync(biome)) return;
  try {
    execFileSync(biome, ['format', '--write', ...inside], { cwd: ROOT, stdio: 'ignore' });
  } catch {
    console.error('bench: could not format the report with biome; run `npm run format`');
  }
}

/**
 * Installs the peers from bench/peers/package-lock.json unless every package its package.json
 * names is installed (an install made before a package was added to the list is redone).
 */
function installPeers() {
  const peers = join(BENCH, 'peers');
  const { dependencies = {} } = JSON.parse(readFileSync(join(peers, 'package.json'), 'utf8'));
  const installed = Object.keys(dependencies).every(name =>
    existsSync(join(peers, 'node_modules', name, 'package.json')),
  );
  if (installed && existsSync(join(peers, 'node_modules', '.package-lock.json'))) return;
  console.log('bench: installing the peer instrumentations (npm ci --prefix bench/peers) …');
  execFileSync('npm', ['ci', '--prefix', peers, '--no-audit', '--no-fund'], { stdio: 'inherit' });
}

/** Copies dist/ to the snapshot; retries while a concurrent build is rewriting dist/. */
async function snapshotDist() {
  const needed = ['esm/index.js', 'esm/sandbox/index.js', 'esm/client/cache.js'];
  for (let attempt = 1; ; attempt++) {
    try {
      rmSync(SNAPSHOT, { recursive: true, force: true, maxRetries: 5 });
      mkdirSync(dirname(SNAPSHOT), { recursive: true });
      cpSync(join(ROOT, 'dist'), SNAPSHOT, { recursive: true });
      const missing = needed.filter(f => !existsSync(join(SNAPSHOT, f)));
      if (missing.length === 0) return;
      throw new Error(`incomplete copy, missing ${missing.join(', ')}`);
    } catch (err) {
      if (attempt === 5) throw new Error(`bench: could not snapshot dist/: ${err.message}`);
      await new Promise(resolve => setTimeout(resolve, 3000));
    }
  }
}

/** Renders REPORT.md and overhead.svg again from a results.json, without measuring anything. */
function renderOnly(file) {
  const results = JSON.parse(readFileSync(file, 'utf8'));
  const dir = dirname(resolve(file));
  writeFileSync(join(dir, 'REPORT.md'), renderReport(results, { method: METHOD, notes }));
  writeFileSync(join(dir, 'overhead.svg'), renderChart(results));
  formatWithBiome([join(dir, 'REPORT.md'), join(dir, 'overhead.svg')]);
  console.log(`bench: rendered ${join(dir, 'REPORT.md')} from ${file}`);
}

async function main() {
  if (args.includes('--render')) {
    renderOnly(option('--render') ?? join(BENCH, 'results.json'));
    return;
  }
  const entry = join(ROOT, 'dist', 'esm', 'index.js');
  if (!existsSync(entry)) {
    console.error('bench: dist/esm/index.js is missing; run `npm run build` first');
    process.exit(1);
  }
  const files = readdirSync(join(BENCH, 'suites'))
    .filter(f => f.endsWith('.mjs'))
    .filter(f => !only || only.includes(f.replace(/\.mjs$/, '')))
    .sort();
  await snapshotDist();
  if (files.some(f => NEED_PEERS.includes(f))) installPeers();

  const tmp = join(os.tmpdir(), `axonflow-otel-bench-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const loadBefore = load();
  const machine = machineInfo();
  const suites = [];
  for (const file of files) suites.push(await runSuite(file, tmp));
  const { profiles, compared } = profile ? await runProfiles(tmp) : { profiles: [] };
  rmSync(tmp, { recursive: true, force: true });

  const results = {
    machine,
    run: {
      mode: quick ? 'quick' : 'full',
      startedAt,
      durationS: (performance.now() - started) / 1000,
      loadAvg: { before: loadBefore, after: load() },
      command: `node --expose-gc bench/run.mjs ${args.join(' ')}`.trim(),
    },
    suites,
    profiles,
    profileCompare: compared,
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(outDir, 'REPORT.md'), renderReport(results, { method: METHOD, notes }));
  writeFileSync(join(outDir, 'overhead.svg'), renderChart(results));
  formatWithBiome([join(outDir, 'REPORT.md'), join(outDir, 'overhead.svg')]);

  const rows = suites.flatMap(s => s.rows);
  const judged = rows.filter(r => r.pass === true || r.pass === false);
  console.log(`\nbench: wrote ${join(outDir, 'REPORT.md')}`);
  for (const r of judged) {
    console.log(
      `  ${r.pass ? 'pass' : 'MISS'}  ${r.name}: ${fmt(r.value)} ${r.unit} (target ${r.target})`,
    );
  }
  const crashed = suites.some(s => s.status !== 'ok');
  const missed = judged.some(r => r.pass === false);
  process.exit(crashed || (missed && args.includes('--strict')) ? 1 : 0);
}

await main();
