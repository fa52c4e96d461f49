// Start-up cost of the register entry: the CPU a Node process spends, in all, when it is started
// with `--require axonflow-otel/register` (or `--import`) and the app itself does nothing. Every
// process started with the entry pays it (NODE_OPTIONS hands it to each child process, build tool
// and npm script too), whether or not it ever calls a model.
//
// Each scenario is one `node` child process running the same tiny app (a file, not `-e`: the
// entry registers its ES module hook only for a file). The app's last `exit` listener writes
// `process.cpuUsage()`, getrusage(RUSAGE_SELF): user + system CPU time of every thread of the
// process (main thread, V8 compiler and GC helpers, libuv pool) from exec to that point, which
// covers Node's bootstrap, the preload and the app; only the teardown after the `exit` event is
// left out, the same for every scenario. The app also reports whether an OpenTelemetry tracer
// provider and our start are in place, so a scenario that silently started nothing fails the
// suite instead of looking fast.
//
// Scenarios run one child at a time, interleaved (A B C …, B C … A, …) so that neighbouring
// runs see the same machine; "added CPU" is the per-round paired difference against `node` alone,
// reported as the median with p25–p75. The children get a clean environment (no inherited OTEL_*,
// AXONFLOW_* or NODE_OPTIONS), AXONFLOW_TELEMETRY=off, and the agent and the OTLP endpoint on a
// loopback port nothing listens on; the app ends at once, so no span is made or sent.
//
// Compared: `@opentelemetry/auto-instrumentations-node/register` from bench/peers, with the same
// trace exporter default (OTLP over HTTP/protobuf) and its resource detectors narrowed to ours
// (env, host, os, process; its default list also probes cloud metadata endpoints), once with its
// metrics and logs defaults (OTLP exporters for both) and once with those set to `none`.
process.env.AXONFLOW_TELEMETRY = 'off';

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIST } from '../lib/dist.mjs';
import { closedPort, pinSelf } from '../lib/processes.mjs';
import { progress } from '../lib/rounds.mjs';
import { rounded, spread } from '../lib/stats.mjs';

const PREFIX = 'startup';
/** Judged: CPU the `--require` entry adds to a process, default settings. */
const TARGET_MS = 300;
const SIZES = { quick: { rounds: 6, breakdownRuns: 3 }, full: { rounds: 30, breakdownRuns: 10 } };
const DETECTORS = 'env,host,os,process';

/** The app every child runs: reports its CPU time and what is registered, at the very end. */
const APP = `'use strict';
process.on('exit', () => {
  const cpu = process.cpuUsage();
  const api = globalThis[Symbol.for('opentelemetry.js.api.1')];
  const ours = globalThis[Symbol.for('axonflow-otel.register.started')];
  require('node:fs').writeSync(1, JSON.stringify({
    cpuMs: (cpu.user + cpu.system) / 1000,
    tracerProvider: Boolean(api && api.trace),
    started: Boolean(ours && ours.handle),
  }) + '\\n');
});
`;

/**
 * Where the entry's start-up goes: a child that requires, one after the other, the packages the
 * `--require` entry loads (in the order it reaches them), then the entry itself, and reports the
 * CPU after each step. A step's cost is what it adds on top of the steps before it (modules they
 * share are counted once, at the first step that loads them).
 */
const BREAKDOWN_STEPS = [
  '@opentelemetry/api',
  '@opentelemetry/core',
  '@opentelemetry/resources',
  '@opentelemetry/sdk-trace',
  '@opentelemetry/context-async-hooks',
  '@opentelemetry/instrumentation',
  'undici',
  'zod',
  '@opentelemetry/exporter-trace-otlp-proto',
];

function breakdownApp(entry) {
  return `'use strict';
const { createRequire } = require('node:module');
const from = createRequire(${JSON.stringify(entry)});
const cpuMs = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };
const steps = [];
let last = cpuMs();
for (const name of ${JSON.stringify(BREAKDOWN_STEPS)}) {
  from(name);
  const now = cpuMs();
  steps.push([name, now - last]);
  last = now;
}
require(${JSON.stringify(entry)});
steps.push(['the register entry (our code, what is left)', cpuMs() - last]);
process.on('exit', () => {
  require('node:fs').writeSync(1, JSON.stringify({ steps, cpuMs: cpuMs(), tracerProvider: true, started: true }) + '\\n');
});
`;
}

/** The environment of every child: the parent's, without anything that configures OTel or us. */
function childEnv(port, extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(OTEL_|AXONFLOW_|NODE_OPTIONS$|NODE_V8_COVERAGE$)/.test(k)) continue;
    env[k] = v;
  }
  return {
    ...env,
    AXONFLOW_TELEMETRY: 'off',
    AXONFLOW_AGENT_URL: `http://127.0.0.1:${port}`,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    ...extra,
  };
}

/** Runs one child to its end; resolves with what the app reported. */
function runChild(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', chunk => {
      out += chunk;
    });
    child.stderr.on('data', chunk => {
      err += chunk;
    });
    child.once('error', reject);
    child.once('exit', code => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve({ ...JSON.parse(line), code, stderr: err.trim() });
      } catch {
        reject(new Error(`bench: ${args.join(' ')} exited ${code} without a report: ${err}`));
      }
    });
  });
}

function peerRegister() {
  try {
    const peerRequire = createRequire(new URL('../peers/package.json', import.meta.url));
    const path = peerRequire.resolve('@opentelemetry/auto-instrumentations-node/register');
    // Its exports map does not list package.json: read it next to the resolved entry.
    const pkg = join(dirname(dirname(path)), 'package.json');
    const { version } = JSON.parse(readFileSync(pkg, 'utf8'));
    return { path, version };
  } catch {
    return undefined;
  }
}

export async function run({ quick = false } = {}) {
  const size = quick ? SIZES.quick : SIZES.full;
  const pinned = pinSelf();
  const dir = mkdtempSync(join(os.tmpdir(), 'axonflow-startup-'));
  const app = join(dir, 'app.cjs');
  writeFileSync(app, APP);
  const port = await closedPort();
  const cjsEntry = fileURLToPath(new URL('../commonjs/register/index.js', DIST));
  const esmEntry = new URL('register/index.js', DIST).href;
  if (!existsSync(cjsEntry)) throw new Error(`bench: ${cjsEntry} is missing; build first`);
  const peer = peerRegister();

  const ours = { tracerProvider: true, started: true };
  const scenarios = [
    { name: 'node alone', args: [app], env: {}, expect: { tracerProvider: false, started: false } },
    { name: 'ours --require', args: ['--require', cjsEntry, app], env: {}, expect: ours },
    { name: 'ours --import', args: ['--import', esmEntry, app], env: {}, expect: ours },
    {
      // Governed (the audit processor keeps a tracer provider), no trace exporter loaded.
      name: 'ours --require, OTEL_TRACES_EXPORTER=none',
      args: ['--require', cjsEntry, app],
      env: { OTEL_TRACES_EXPORTER: 'none' },
      expect: ours,
    },
  ];
  if (peer) {
    const expect = { tracerProvider: true, started: false };
    scenarios.push(
      {
        name: `auto-instrumentations-node ${peer.version} --require, its metrics and logs defaults`,
        args: ['--require', peer.path, app],
        env: { OTEL_NODE_RESOURCE_DETECTORS: DETECTORS },
        expect,
      },
      {
        name: `auto-instrumentations-node ${peer.version} --require, traces only`,
        args: ['--require', peer.path, app],
        env: {
          OTEL_NODE_RESOURCE_DETECTORS: DETECTORS,
          OTEL_METRICS_EXPORTER: 'none',
          OTEL_LOGS_EXPORTER: 'none',
        },
        expect,
      },
    );
  }
  for (const s of scenarios) s.env = childEnv(port, s.env);

  const cpu = new Map(scenarios.map(s => [s.name, []]));
  const once = async (s, record) => {
    const r = await runChild(s.args, s.env);
    for (const [key, want] of Object.entries(s.expect)) {
      if (r[key] !== want) {
        throw new Error(`bench: ${s.name}: ${key} is ${r[key]}, expected ${want}\n${r.stderr}`);
      }
    }
    if (r.code !== 0) throw new Error(`bench: ${s.name} exited ${r.code}\n${r.stderr}`);
    if (record) cpu.get(s.name).push(r.cpuMs);
    return r;
  };
  const stderr = {};
  const breakdown = new Map();
  try {
    // One untimed run of each, so every round reads files from the page cache.
    for (const s of scenarios) {
      const r = await once(s, false);
      if (r.stderr) stderr[s.name] = r.stderr.slice(0, 500);
    }
    for (let round = 0; round < size.rounds; round++) {
      progress(`${PREFIX}: round ${round + 1}/${size.rounds}`);
      for (let i = 0; i < scenarios.length; i++) {
        await once(scenarios[(round + i) % scenarios.length], true);
      }
    }
    // Where the time goes: the breakdown child, after the rounds (not part of them).
    const breakdownFile = join(dir, 'breakdown.cjs');
    writeFileSync(breakdownFile, breakdownApp(cjsEntry));
    for (let i = 0; i < size.breakdownRuns; i++) {
      progress(`${PREFIX}: breakdown ${i + 1}/${size.breakdownRuns}`);
      const r = await runChild([breakdownFile], scenarios[1].env);
      for (const [name, ms] of r.steps) {
        if (!breakdown.has(name)) breakdown.set(name, []);
        breakdown.get(name).push(ms);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const base = cpu.get('node alone');
  const added = name => spread(cpu.get(name).map((v, i) => v - base[i]));
  const rows = [
    {
      name: `${PREFIX}.node alone (the app, no preload): CPU per process`,
      unit: 'ms',
      value: rounded(spread(base).p50, 1),
      target: null,
      pass: null,
      details: rounded({ cpuMs: spread(base), pinned, runs: base.length }, 1),
    },
  ];
  for (const s of scenarios.slice(1)) {
    const a = added(s.name);
    const judged = s.name === 'ours --require';
    rows.push({
      name: `${PREFIX}.${s.name}: CPU added over node alone`,
      unit: 'ms',
      value: rounded(a.p50, 1),
      target: judged ? `<= ${TARGET_MS}` : null,
      pass: judged ? a.p50 <= TARGET_MS : null,
      details: rounded(
        {
          spread: { p25: a.p25, p75: a.p75 },
          addedCpuMs: a,
          cpuMs: spread(cpu.get(s.name)),
          env: Object.fromEntries(
            Object.entries(s.env).filter(([k]) =>
              /^(OTEL_TRACES|OTEL_METRICS|OTEL_LOGS|OTEL_NODE)/.test(k),
            ),
          ),
          ...(stderr[s.name] ? { stderr: stderr[s.name] } : {}),
          pinned,
          runs: a.n,
        },
        1,
      ),
    });
  }
  for (const [step, values] of breakdown) {
    const ms = spread(values);
    rows.push({
      name: `${PREFIX}.breakdown: ${step}`,
      unit: 'ms',
      value: rounded(ms.p50, 1),
      target: null,
      pass: null,
      details: rounded(
        { cpuMs: ms, runs: values.length, note: 'CPU added by this step, after the ones above' },
        1,
      ),
    });
  }
  if (!peer) {
    rows.push({
      name: `${PREFIX}.auto-instrumentations-node: not installed`,
      unit: '',
      value: null,
      target: null,
      pass: null,
      details: { status: 'not installed', reason: 'npm ci --prefix bench/peers' },
    });
  }
  return rows;
}
