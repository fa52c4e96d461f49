// CPU profile of one scenario in a loop, to see where the time of a call goes. The V8 sampling
// profiler starts after a warm-up, so module loading and JIT warm-up stay out of the profile.
//
//   node bench/profile.mjs <scenario> [--seconds N] [--save file.cpuprofile] [--json out.json]
//   node bench/profile.mjs --compare a,b,c [--seconds N] [--json out.json]
//   node bench/profile.mjs --summarize file.cpuprofile   (e.g. one written by node --cpu-prof)
//
// Scenarios: uninstrumented, floor, tracing, cached, uncached, breaker, stream-plain, stream-ours
// (openai 7 with the in-process fetch, as in the instrumentation suite), precheck-cached,
// precheck-uncached, precheck-breaker (AxonFlowClient alone). The summary gives self time per
// function, per owner (our build, each package, Node internals, GC), and our own top frames,
// with their sources in src/ (dist/esm/x.js → src/x.ts).
process.env.AXONFLOW_TELEMETRY = 'off';

import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import { MODEL, openaiFetch } from './lib/canned.mjs';
import { DIST } from './lib/dist.mjs';
import { setupOtel } from './lib/otel.mjs';
import { closedPort, startAgentStub } from './lib/processes.mjs';
import { floorSpan, openaiUsage, PROMPT } from './lib/workload.mjs';

const OURS = 'axonflow-otel';

function owner(frame) {
  const url = frame.url;
  if (!url) return frame.functionName ? `(vm) ${frame.functionName}` : '(vm)';
  if (url.includes('/dist/esm/') && !url.includes('node_modules')) return OURS;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) {
    return url.includes('undici') ? 'node internals: fetch/Response (undici)' : 'node internals';
  }
  return url.split('/').slice(-2).join('/');
}

function frameName(frame) {
  const fn = frame.functionName || '(anonymous)';
  const url = frame.url;
  const at = url.indexOf('/dist/esm/');
  if (at >= 0 && !url.includes('node_modules')) {
    return `${fn} (src/${url.slice(at + '/dist/esm/'.length).replace(/\.js$/, '.ts')})`;
  }
  return `${fn} (${url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1})`;
}

/** Self time per function and per owner, as shares of all samples. */
export function summarizeProfile(profile) {
  const byId = new Map(profile.nodes.map(n => [n.id, n]));
  const self = new Map();
  const owners = new Map();
  const ours = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = byId.get(profile.samples[i]).callFrame;
    // The profiler's own start/stop and idle time are not the scenario's.
    if (frame.url === 'node:inspector' || frame.functionName === '(idle)') continue;
    const dt = profile.timeDeltas[i] ?? 0;
    const name = frameName(frame);
    const o = owner(frame);
    self.set(name, (self.get(name) ?? 0) + dt);
    owners.set(o, (owners.get(o) ?? 0) + dt);
    if (o === OURS) ours.set(name, (ours.get(name) ?? 0) + dt);
    total += dt;
  }
  const top = (map, n) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, pct: Math.round((1000 * us) / total) / 10 }));
  return {
    sampledMs: Math.round(total / 1000),
    bySelfTime: top(self, 60),
    byOwner: top(owners, 20),
    oursBySelfTime: top(ours, 30),
  };
}

async function scenarios() {
  const otel = setupOtel();
  const { AxonFlowClient, AxonFlowInstrumentation } = await import(new URL('index.js', DIST).href);
  const instrumentation = new AxonFlowInstrumentation({ governance: false });
  instrumentation.setTracerProvider(otel.provider);
  const { OpenAI } = createRequire(import.meta.url)('openai');
  const stub = await startAgentStub();
  const options = { telemetry: false, cache: { ttlMs: 3_600_000 } };
  const agent = new AxonFlowClient({ endpoint: stub.url, ...options });
  const down = new AxonFlowClient({
    endpoint: `http://127.0.0.1:${await closedPort()}`,
    ...options,
    retry: { enabled: false },
    breaker: { failureThreshold: 1, resetTimeoutMs: 3_600_000 },
  });
  await down.preCheck({ query: 'open the breaker' });
  const sdk = chunks =>
    new OpenAI({
      apiKey: 'bench',
      baseURL: 'http://127.0.0.1:9/v1',
      fetch: openaiFetch({ chunks }),
      maxRetries: 0,
    });
  const openai = sdk(1);
  const streaming = sdk(200);
  const chat = content =>
    openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content }] });
  const stream = async () => {
    const s = await streaming.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: PROMPT }],
      stream: true,
    });
    for await (const _ of s);
  };
  const request = query => ({
    query: `user: ${query}`,
    context: { provider: 'openai', model: MODEL, operation: 'chat' },
  });
  let n = 0;
  const off = { enabled: false };
  return {
    table: {
      uninstrumented: [off, () => chat(PROMPT)],
      floor: [
        off,
        () =>
          floorSpan(
            otel.tracer,
            { provider: 'openai', model: MODEL },
            () => chat(PROMPT),
            openaiUsage,
          ),
      ],
      tracing: [{ governance: false }, () => chat(PROMPT)],
      cached: [{ client: agent }, () => chat(PROMPT)],
      uncached: [{ client: agent }, () => chat(`${PROMPT} #${n++}`)],
      breaker: [{ client: down }, () => chat(PROMPT)],
      'stream-plain': [off, stream],
      'stream-ours': [{ governance: false }, stream],
      'precheck-cached': [off, () => agent.preCheck(request(PROMPT))],
      'precheck-uncached': [off, () => agent.preCheck(request(`${PROMPT} #${n++}`))],
      'precheck-breaker': [off, () => down.preCheck(request(PROMPT))],
    },
    use(config) {
      if (config.enabled === false) instrumentation.disable();
      else {
        instrumentation.setConfig(config);
        instrumentation.enable();
      }
    },
    async close() {
      instrumentation.disable();
      await Promise.all([agent.close(), down.close()]);
      await stub.close();
      await otel.provider.shutdown();
    },
  };
}

async function profileScenario(name, seconds) {
  const env = await scenarios();
  const [config, call] = env.table[name] ?? [];
  if (!call) throw new Error(`unknown scenario ${name}; one of ${Object.keys(env.table)}`);
  env.use(config);
  const warmEnd = performance.now() + 1000;
  while (performance.now() < warmEnd) await call();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const cpu0 = process.cpuUsage();
  const end = performance.now() + seconds * 1000;
  let calls = 0;
  while (performance.now() < end) {
    await call();
    calls++;
  }
  const cpu = process.cpuUsage(cpu0);
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  await env.close();
  return { profile, calls, cpuUsPerCall: (cpu.user + cpu.system) / calls };
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Several scenarios in one profile: they alternate in batches of 20 calls (as in the suites),
 * each batch's time window is recorded, and every sample is attributed to the scenario whose
 * window holds it (V8's profile clock and `process.hrtime` are the same monotonic clock). All
 * scenarios thus share the machine's conditions, and the result is µs per call by owner.
 */
async function compareScenarios(names, seconds) {
  const env = await scenarios();
  const table = names.map(name => {
    const entry = env.table[name];
    if (!entry) throw new Error(`unknown scenario ${name}; one of ${Object.keys(env.table)}`);
    return { name, config: entry[0], call: entry[1], calls: 0, cpuUs: 0 };
  });
  for (const s of table) {
    env.use(s.config);
    const warmEnd = performance.now() + 500;
    while (performance.now() < warmEnd) await s.call();
  }
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const windows = [];
  const end = performance.now() + seconds * 1000;
  for (let k = 0; performance.now() < end; k++) {
    for (let j = 0; j < table.length; j++) {
      const s = table[(j + k) % table.length];
      env.use(s.config);
      const cpu0 = process.cpuUsage();
      const t0 = nowUs();
      for (let i = 0; i < 20; i++) await s.call();
      windows.push([t0, nowUs(), s]);
      const cpu = process.cpuUsage(cpu0);
      s.cpuUs += cpu.user + cpu.system;
      s.calls += 20;
    }
  }
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  await env.close();

  const byId = new Map(profile.nodes.map(n => [n.id, n]));
  const owners = new Map(table.map(s => [s, new Map()]));
  const ours = new Map(table.map(s => [s, new Map()]));
  let t = profile.startTime;
  let w = 0;
  let attributed = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    while (w < windows.length && windows[w][1] < t) w++;
    if (w >= windows.length) break;
    if (t < windows[w][0]) continue;
    const frame = byId.get(profile.samples[i]).callFrame;
    if (frame.url === 'node:inspector' || frame.functionName === '(idle)') continue;
    const s = windows[w][2];
    const o = owner(frame);
    owners.get(s).set(o, (owners.get(s).get(o) ?? 0) + dt);
    if (o === OURS)
      ours.get(s).set(frameName(frame), (ours.get(s).get(frameName(frame)) ?? 0) + dt);
    attributed += dt;
  }
  const perCall = (map, s, n) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, usPerCall: Math.round((100 * us) / s.calls) / 100 }));
  return {
    scenarios: table.map(s => ({
      scenario: s.name,
      calls: s.calls,
      cpuUsPerCall: s.cpuUs / s.calls,
      sampledUsPerCall: [...owners.get(s).values()].reduce((a, b) => a + b, 0) / s.calls,
      byOwner: perCall(owners.get(s), s, 25),
      ours: perCall(ours.get(s), s, 15),
    })),
    attributedMs: Math.round(attributed / 1000),
  };
}

function print(summary) {
  const line = ({ name, pct }) => console.log(`${String(pct).padStart(6)}%  ${name}`);
  console.log(`sampled ${summary.sampledMs} ms`);
  console.log('self time, top functions:');
  summary.bySelfTime.forEach(line);
  console.log('self time by owner:');
  summary.byOwner.forEach(line);
  console.log(`self time in ${OURS}:`);
  summary.oursBySelfTime.forEach(line);
}

const args = process.argv.slice(2);
const option = flag => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
if (import.meta.url === `file://${process.argv[1]}`) {
  if (args[0] === '--summarize') {
    print(summarizeProfile(JSON.parse(readFileSync(args[1], 'utf8'))));
  } else if (args[0] === '--compare') {
    const result = await compareScenarios(args[1].split(','), Number(option('--seconds') ?? 8));
    if (option('--json')) writeFileSync(option('--json'), JSON.stringify(result));
    else console.log(JSON.stringify(result, null, 2));
  } else {
    const name = args[0];
    const { profile, calls, cpuUsPerCall } = await profileScenario(
      name,
      Number(option('--seconds') ?? 5),
    );
    const summary = { scenario: name, calls, cpuUsPerCall, ...summarizeProfile(profile) };
    if (option('--save')) writeFileSync(option('--save'), JSON.stringify(profile));
    if (option('--json')) writeFileSync(option('--json'), JSON.stringify(summary));
    else {
      console.log(`${name}: ${calls} calls, ${cpuUsPerCall.toFixed(1)} µs CPU per call`);
      print(summary);
    }
  }
  process.exit(0);
}
