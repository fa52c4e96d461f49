// @anthropic-ai/sdk 1.x (the root devDependency), `messages.create` on an in-process canned
// `fetch`, under each peer instrumentation of the 0.x family of the peers suite, next to ours:
// uninstrumented, the floor, ours tracing only, ours governed with a cached decision, Traceloop
// (defaults, traceContent off) and OpenInference (defaults, inputs/outputs hidden). A process of
// its own, apart from 0.x (bench/suites/peers.mjs); the workload: bench/lib/peers.mjs.
// A peer that produces no span of its own is reported as not patching; for those, a child process
// also checks what an app that registers the peer (enabled) before requiring the SDK gets, and
// whether the peer's public `manuallyInstrument(module)` applies.
// Like 0.x, 1.x traces its own calls (`openTelemetry` client option, on by default, scope
// com.anthropic.sdk.typescript) whenever a global tracer provider is registered: every scenario,
// "uninstrumented" included, has the SDK's span.
process.env.AXONFLOW_TELEMETRY = 'off';

import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { ANTHROPIC_MODEL, anthropicFetch } from '../lib/canned.mjs';
import { DIST } from '../lib/dist.mjs';
import { setupOtel } from '../lib/otel.mjs';
import { activator, loadPeerRequire, peerDefinitions, runWorkload, SIZES } from '../lib/peers.mjs';
import { pinSelf, startAgentStub } from '../lib/processes.mjs';
import { anthropicUsage, PROMPT, packageVersion } from '../lib/workload.mjs';

const PREFIX = 'peers-anthropic1.anthropic1';

/**
 * In a fresh process: the peer built with `config` (enabled, as an app registers it), then
 * `require('@anthropic-ai/sdk')` from the root. Resolves with what happened, in words.
 */
function requireUnderPeer(peer) {
  const source = `
    const { createRequire } = require('node:module');
    const peerRequire = createRequire(${JSON.stringify(new URL('../peers/package.json', import.meta.url).pathname)});
    const rootRequire = createRequire(${JSON.stringify(new URL('../../package.json', import.meta.url).pathname)});
    new (peerRequire(${JSON.stringify(peer.pkg)})[${JSON.stringify(peer.exportName)}])(${JSON.stringify(peer.config)});
    let out;
    try {
      const sdk = rootRequire('@anthropic-ai/sdk');
      out = { ok: true, wrapped: Boolean(sdk.Anthropic?.Messages?.prototype?.create?.__wrapped) };
    } catch (err) {
      out = { ok: false, error: String(err?.message ?? err) };
    }
    process.stdout.write(JSON.stringify(out));
  `;
  return new Promise(resolve => {
    execFile(
      process.execPath,
      ['-e', source],
      { env: { ...process.env, AXONFLOW_TELEMETRY: 'off' }, timeout: 20_000 },
      (err, stdout) => {
        let out;
        try {
          out = JSON.parse(stdout);
        } catch {
          resolve(`the check in a child process failed (${err?.message ?? 'no output'})`);
          return;
        }
        resolve(
          out.ok
            ? `registered before the SDK is required, its hook ${out.wrapped ? 'wraps Messages.prototype.create' : 'leaves Messages.prototype.create unwrapped'}`
            : `registered before the SDK is required (as an app does), its hook throws inside the app's require('@anthropic-ai/sdk'): ${out.error}`,
        );
      },
    );
  });
}

/** Whether the peer's `manuallyInstrument(module)` applies to this module; undone if it does. */
function manualOutcome(peer, sdk) {
  if (typeof peer.instance.manuallyInstrument !== 'function') return 'it has no manuallyInstrument';
  try {
    peer.instance.manuallyInstrument(sdk);
  } catch (err) {
    return `its manuallyInstrument(module) throws too: ${err?.message ?? err}`;
  }
  try {
    peer.instance.unpatch?.(sdk);
  } catch {
    // Undone as far as it goes; the peer is not measured.
  }
  return 'its manuallyInstrument(module) applies without an error (not measured)';
}

export async function run({ quick = false } = {}) {
  const size = quick ? SIZES.quick : SIZES.full;
  const pinned = pinSelf();
  const peerRequire = loadPeerRequire();
  const otel = setupOtel();
  const { AxonFlowClient, AxonFlowInstrumentation } = await import(new URL('index.js', DIST).href);

  // Every instrumentation first (each registers its require hook), then disabled.
  const ours = new AxonFlowInstrumentation({ governance: false });
  const peers = peerDefinitions(peerRequire).anthropic;
  for (const def of peers) {
    def.instance = def.make();
    def.version = packageVersion(peerRequire, def.pkg);
  }
  const all = [ours, ...peers.map(p => p.instance)];
  for (const instance of all) {
    instance.setTracerProvider(otel.provider);
    instance.disable();
  }
  const rootRequire = createRequire(import.meta.url);
  const sdkModule = rootRequire('@anthropic-ai/sdk');
  const version = packageVersion(rootRequire, '@anthropic-ai/sdk');
  if (!/^1\./.test(version)) {
    throw new Error(`bench: expected @anthropic-ai/sdk 1.x at the root, found ${version}`);
  }
  const activate = activator();

  // Reasons already found, by peer package: both configurations of a peer fail alike.
  const explained = new Map();
  const explain = async (peer, failure) => {
    if (!explained.has(peer.pkg)) {
      explained.set(peer.pkg, [await requireUnderPeer(peer), manualOutcome(peer, sdkModule)]);
    }
    return [failure, ...explained.get(peer.pkg)].join('; ');
  };

  const stub = await startAgentStub();
  const agent = new AxonFlowClient({
    endpoint: stub.url,
    telemetry: false,
    cache: { ttlMs: 3_600_000 },
  });
  try {
    const anthropic = new sdkModule.Anthropic({
      apiKey: 'bench',
      baseURL: 'http://127.0.0.1:9',
      fetch: anthropicFetch(),
      maxRetries: 0,
    });
    return await runWorkload({
      w: {
        prefix: PREFIX,
        sdk: `@anthropic-ai/sdk ${version}`,
        provider: 'anthropic',
        model: ANTHROPIC_MODEL,
        usage: anthropicUsage,
        call: () =>
          anthropic.messages.create({
            model: ANTHROPIC_MODEL,
            max_tokens: 64,
            messages: [{ role: 'user', content: PROMPT }],
          }),
        peers,
        explain,
        details: {
          sdkOwnSpan:
            'com.anthropic.sdk.typescript anthropic.messages.create, in every scenario (the openTelemetry client option, on by default)',
        },
      },
      size,
      otel,
      ours,
      agent,
      activate,
      pinned,
    });
  } finally {
    await activate(undefined)();
    await agent.close();
    await stub.close();
    await otel.provider.shutdown();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run({ quick: process.argv.includes('--quick') });
  for (const row of rows) console.log(JSON.stringify(row));
}
