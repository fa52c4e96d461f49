// Fuzzes what axonflow-otel reads from the network: mutated OpenAI / Anthropic SDK streams and
// replies (the app must see the same with and without instrumentation, one span ends), both AXON
// dialect streams (decodeAxonStream ends or throws StreamProtocolError, never hangs), and
// pre-check replies (AxonFlowClient.preCheck decides only on valid replies, fails open or throws a
// typed error otherwise, within its deadline, without touching Object.prototype).
//
//   npm run fuzz                                   # 10,000 cases per target
//   node fuzz/run.mjs --cases 300 --seed 7         # fewer cases, another seed
//   node fuzz/run.mjs --target pre-check --seed 1 --case 42   # replay one case, with its log
//
// Each target runs in a child process; a case that does not finish within --case-timeout-ms
// (a hang, or a loop that blocks the event loop) is reported and the process replaced after it.
// Failures that match an open finding in fuzz/known.mjs are listed as known. Exit code 1 when a
// case fails otherwise (or at all, with --strict); the last line of output is a JSON summary.
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { knownFinding } from './known.mjs';

/** Slowest first, so parallel jobs finish together. */
const TARGETS = [
  'openai-chat',
  'anthropic-messages',
  'openai-responses',
  'pre-check',
  'axon-anthropic',
  'axon-openai',
];
const SHOWN_PER_TARGET = 5;

const { values: args } = parseArgs({
  options: {
    target: { type: 'string', default: 'all' },
    cases: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    case: { type: 'string' },
    jobs: { type: 'string', default: String(Math.min(2, availableParallelism())) },
    'case-timeout-ms': { type: 'string', default: '10000' },
    strict: { type: 'boolean', default: false },
  },
});

function int(name, min) {
  const value = Number(args[name]);
  if (!Number.isSafeInteger(value) || value < min) {
    process.stderr.write(`--${name} must be an integer >= ${min}, got ${args[name]}\n`);
    process.exit(2);
  }
  return value;
}

const targets = args.target === 'all' ? TARGETS : args.target.split(',').map(t => t.trim());
for (const t of targets) {
  if (!TARGETS.includes(t)) {
    process.stderr.write(`unknown target ${t}: use one of ${TARGETS.join(', ')} or all\n`);
    process.exit(2);
  }
}
const seed = int('seed', 0);
const single = args.case === undefined ? undefined : int('case', 0);
const cases = single === undefined ? int('cases', 1) : 1;
const jobs = int('jobs', 1);
const caseTimeoutMs = int('case-timeout-ms', 100);

function repro(target, i) {
  return `node fuzz/run.mjs --target ${target} --seed ${seed} --case ${i}`;
}

/** Runs cases [from, to) of one target; restarts the worker after a case that never ends. */
function runTarget(target, from, to) {
  return new Promise(resolve => {
    const result = {
      target,
      cases: 0,
      failures: [],
      restarts: 0,
      sdkHangs: 0,
      started: performance.now(),
    };
    const start = at => {
      if (at >= to) {
        result.seconds = (performance.now() - result.started) / 1000;
        resolve(result);
        return;
      }
      const worker = fork(
        new URL('./worker.mjs', import.meta.url),
        [JSON.stringify({ target, seed, from: at, to })],
        {
          env: { ...process.env, AXONFLOW_TELEMETRY: 'off' },
          stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        },
      );
      let current = at;
      let log = [];
      let settled = false;
      let timer;
      /** Stops this worker; `cut` means case `current` was cut short (and counts as run). */
      const settle = ({ failure, cut }, next) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (cut) {
          result.cases++;
          result.restarts++;
        }
        if (failure) result.failures.push({ i: current, failure, log });
        worker.removeAllListeners();
        worker.on('error', () => {});
        if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
        start(next);
      };
      let phase = 'case';
      const arm = (ms = caseTimeoutMs) => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          if (phase === 'plain') {
            // The SDK alone never finished: nothing of ours ran, so nothing to judge.
            result.sdkHangs++;
            settle({ cut: true }, current + 1);
          } else {
            const failure = `no answer within ${Math.round(ms)} ms: hung or blocked`;
            settle({ failure, cut: true }, current + 1);
          }
        }, ms);
      };
      arm();
      worker.on('message', message => {
        if (message.type === 'phase') {
          phase = message.phase;
          // The SDK alone took plainMs on this input: allow the instrumented run as much, and more.
          arm(message.phase === 'plain' ? 3 * caseTimeoutMs : 4 * message.plainMs + caseTimeoutMs);
          return;
        }
        arm();
        if (message.type === 'begin') {
          current = message.i;
          phase = 'case';
          log = [];
        } else if (message.type === 'log') {
          log = message.log;
          if (single !== undefined) process.stdout.write(`case ${message.i}: ${log.join('; ')}\n`);
        } else if (message.type === 'end') {
          result.cases++;
          if (message.failure)
            result.failures.push({ i: message.i, failure: message.failure, log });
          current = message.i + 1;
        } else if (message.type === 'done') settle({}, to);
      });
      worker.on('error', err =>
        settle({ failure: `the worker crashed: ${err?.stack ?? err}`, cut: true }, current + 1),
      );
      worker.on('exit', (code, signal) =>
        settle(
          { failure: `the worker exited (${signal ?? `code ${code}`}) during a case`, cut: true },
          current + 1,
        ),
      );
    };
    start(from);
  });
}

async function main() {
  const queue = [...targets];
  const results = [];
  const lane = async () => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
      const from = single ?? 0;
      const r = await runTarget(t, from, from + cases);
      r.known = {};
      for (const f of r.failures) f.known = knownFinding(t, f.failure, f.log)?.id;
      for (const f of r.failures.filter(f => f.known))
        r.known[f.known] = (r.known[f.known] ?? 0) + 1;
      const fresh = r.failures.filter(f => !f.known || args.strict);
      results.push(r);
      const rate = r.cases / r.seconds;
      const knownText = Object.entries(r.known)
        .map(([id, n]) => `${n} known (${id})`)
        .join(', ');
      process.stdout.write(
        `${t}: ${r.cases} cases in ${r.seconds.toFixed(1)} s (${rate.toFixed(0)} cases/s), ${fresh.length} failure(s)${knownText ? `; ${knownText}` : ''}${r.sdkHangs ? `; ${r.sdkHangs} case(s) where the SDK alone never finished` : ''}\n`,
      );
      const shown = [...fresh, ...r.failures.filter(f => f.known && !args.strict)];
      for (const f of shown.slice(0, SHOWN_PER_TARGET)) {
        process.stdout.write(
          `  case ${f.i}${f.known ? ` [known: ${f.known}]` : ''}: ${f.failure}\n`,
        );
        if (f.log?.length) process.stdout.write(`    mutations: ${f.log.join('; ')}\n`);
        process.stdout.write(`    repro: ${repro(t, f.i)}\n`);
      }
      if (shown.length > SHOWN_PER_TARGET) {
        process.stdout.write(`  … and ${shown.length - SHOWN_PER_TARGET} more\n`);
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(jobs, targets.length) }, lane));
  const seconds = (performance.now() - started) / 1000;
  const total = results.reduce((n, r) => n + r.cases, 0);
  const failures = results.flatMap(r =>
    r.failures
      .filter(f => !f.known || args.strict)
      .map(f => ({
        target: r.target,
        case: f.i,
        failure: f.failure.slice(0, 500),
        mutations: f.log,
        repro: repro(r.target, f.i),
      })),
  );
  const known = {};
  for (const r of results) {
    for (const [id, n] of Object.entries(r.known)) known[id] = (known[id] ?? 0) + n;
  }
  process.stdout.write(
    `\n${total} cases in ${seconds.toFixed(1)} s (${(total / seconds).toFixed(0)} cases/s), ${failures.length} failure(s), seed ${seed}\n`,
  );
  for (const [id, n] of Object.entries(known)) {
    process.stdout.write(`known finding ${id}: ${n} case(s); see fuzz/known.mjs\n`);
  }
  const summary = {
    ok: failures.length === 0,
    seed,
    seconds: Number(seconds.toFixed(1)),
    cases: total,
    targets: Object.fromEntries(
      results.map(r => [
        r.target,
        {
          cases: r.cases,
          failures: r.failures.filter(f => !f.known || args.strict).length,
          known: r.known,
          sdkHangs: r.sdkHangs,
          seconds: Number(r.seconds.toFixed(1)),
          casesPerSecond: Math.round(r.cases / r.seconds),
        },
      ]),
    ),
    known,
    failures: failures.slice(0, 20),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exitCode = summary.ok ? 0 : 1;
}

await main();
