// The same workload under each peer instrumentation, next to ours: openai 6 chat completions and
// @anthropic-ai/sdk 0.x messages, both from bench/peers, on an in-process canned `fetch`. The
// scenarios, how each instrumentation is applied and the heap measurement: bench/lib/peers.mjs.
// @anthropic-ai/sdk 1.x runs in a process of its own (bench/suites/peers-anthropic1.mjs): the
// instrumentation base records one exports object per module name, so with both lines loaded only
// the one required last could be switched on and off.
// The peers and their SDK versions live in bench/peers (npm ci --prefix bench/peers).
process.env.AXONFLOW_TELEMETRY = 'off';

import { ANTHROPIC_MODEL, anthropicFetch, MODEL, openaiFetch } from '../lib/canned.mjs';
import { DIST } from '../lib/dist.mjs';
import { setupOtel } from '../lib/otel.mjs';
import { activator, loadPeerRequire, peerDefinitions, runWorkload, SIZES } from '../lib/peers.mjs';
import { pinSelf, startAgentStub } from '../lib/processes.mjs';
import { anthropicUsage, openaiUsage, PROMPT, packageVersion } from '../lib/workload.mjs';

export async function run({ quick = false } = {}) {
  const size = quick ? SIZES.quick : SIZES.full;
  const pinned = pinSelf();
  const peerRequire = loadPeerRequire();
  const otel = setupOtel();
  const { AxonFlowClient, AxonFlowInstrumentation } = await import(new URL('index.js', DIST).href);

  // Every instrumentation first (each registers its require hook), then disabled.
  const ours = new AxonFlowInstrumentation({ governance: false });
  const defs = peerDefinitions(peerRequire);
  const all = [ours];
  for (const list of [defs.openai, defs.anthropic]) {
    for (const def of list) {
      def.instance = def.make();
      def.version = packageVersion(peerRequire, def.pkg);
      all.push(def.instance);
    }
  }
  for (const instance of all) {
    instance.setTracerProvider(otel.provider);
    instance.disable();
  }
  const OpenAI = peerRequire('openai').OpenAI;
  const Anthropic = peerRequire('@anthropic-ai/sdk').Anthropic;
  const versions = {
    openai: packageVersion(peerRequire, 'openai'),
    anthropic: packageVersion(peerRequire, '@anthropic-ai/sdk'),
  };

  const activate = activator();

  const stub = await startAgentStub();
  const agent = new AxonFlowClient({
    endpoint: stub.url,
    telemetry: false,
    cache: { ttlMs: 3_600_000 },
  });
  const rows = [];
  try {
    const openai = new OpenAI({
      apiKey: 'bench',
      baseURL: 'http://127.0.0.1:9/v1',
      fetch: openaiFetch(),
      maxRetries: 0,
    });
    const anthropic = new Anthropic({
      apiKey: 'bench',
      baseURL: 'http://127.0.0.1:9',
      fetch: anthropicFetch(),
      maxRetries: 0,
    });
    const workloads = [
      {
        prefix: `peers.openai6`,
        sdk: `openai ${versions.openai}`,
        provider: 'openai',
        model: MODEL,
        usage: openaiUsage,
        call: () =>
          openai.chat.completions.create({
            model: MODEL,
            messages: [{ role: 'user', content: PROMPT }],
          }),
        peers: defs.openai,
      },
      {
        prefix: `peers.anthropic0`,
        sdk: `@anthropic-ai/sdk ${versions.anthropic}`,
        provider: 'anthropic',
        model: ANTHROPIC_MODEL,
        usage: anthropicUsage,
        call: () =>
          anthropic.messages.create({
            model: ANTHROPIC_MODEL,
            max_tokens: 64,
            messages: [{ role: 'user', content: PROMPT }],
          }),
        peers: defs.anthropic,
      },
    ];
    for (const w of workloads) {
      rows.push(...(await runWorkload({ w, size, otel, ours, agent, activate, pinned })));
    }
  } finally {
    for (const instance of all) instance.disable();
    await agent.close();
    await stub.close();
    await otel.provider.shutdown();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run({ quick: process.argv.includes('--quick') });
  for (const row of rows) console.log(JSON.stringify(row));
}
