// The workload of the peers (openai 6, @anthropic-ai/sdk 0.x) and peers-anthropic1
// (@anthropic-ai/sdk 1.x) suites: one SDK call under each peer instrumentation, next to ours, on
// an in-process canned `fetch`. Scenarios per SDK: uninstrumented, the floor (one hand-written
// span), ours tracing only, ours governed with a cached decision (agent stub in another process),
// and each peer alone, with its default configuration and with its content capture turned off.
// Every instrumentation is constructed before the SDKs are required and then disabled, so the
// require hook records each SDK without patching it; a scenario enables exactly one. A peer
// counts only if a call made while it is enabled produces a span of its own; otherwise its row
// says "did not patch". Also: retained heap per 10,000 calls (after a full GC) for each scenario.
import { createRequire } from 'node:module';
import { belowPeersRow, governedRow } from './compare.mjs';
import { collectGarbage, interleaved, pairedCpu, progress } from './rounds.mjs';
import { rounded } from './stats.mjs';
import { counted, floorSpan, scenarioRow } from './workload.mjs';

/** Rounds, calls per batch and heap calls: CI-sized (quick) or the full run. */
export const SIZES = {
  quick: { rounds: 2, subRounds: 6, calls: 10, warmupMs: 150, heapWarm: 0, heapCalls: 0 },
  full: { rounds: 5, subRounds: 25, calls: 15, warmupMs: 600, heapWarm: 500, heapCalls: 10_000 },
};

/** A `require` that resolves from bench/peers (its own package.json and lock). */
export function loadPeerRequire() {
  const peerRequire = createRequire(new URL('../peers/package.json', import.meta.url));
  try {
    peerRequire.resolve('openai');
  } catch {
    throw new Error('bench: peers are not installed; run: npm ci --prefix bench/peers');
  }
  return peerRequire;
}

/**
 * The peer instrumentations, by SDK: package, export and configuration of each, and what its
 * content capture is. `make()` builds one (with the peers' `require`).
 */
export function peerDefinitions(peerRequire) {
  const def = (label, short, pkg, exportName, config, capture) => ({
    label,
    short,
    pkg,
    exportName,
    config,
    capture,
    make: () => new (peerRequire(pkg)[exportName])(config),
  });
  const traceloop = (pkg, exportName) => [
    def(
      `${pkg} (defaults)`,
      'traceloop (defaults)',
      pkg,
      exportName,
      {},
      'on (traceContent defaults to true)',
    ),
    def(
      `${pkg} (traceContent off)`,
      'traceloop (traceContent off)',
      pkg,
      exportName,
      { traceContent: false },
      'off',
    ),
  ];
  const openinference = (pkg, exportName) => [
    def(
      `${pkg} (defaults)`,
      'openinference (defaults)',
      pkg,
      exportName,
      {},
      'on (hide* default to false)',
    ),
    def(
      `${pkg} (inputs/outputs hidden)`,
      'openinference (inputs/outputs hidden)',
      pkg,
      exportName,
      { traceConfig: { hideInputs: true, hideOutputs: true } },
      'off (hideInputs, hideOutputs)',
    ),
  ];
  return {
    openai: [
      def(
        'contrib @opentelemetry/instrumentation-openai',
        'contrib instrumentation-openai',
        '@opentelemetry/instrumentation-openai',
        'OpenAIInstrumentation',
        {},
        'off (default)',
      ),
      ...traceloop('@traceloop/instrumentation-openai', 'OpenAIInstrumentation'),
      ...openinference('@arizeai/openinference-instrumentation-openai', 'OpenAIInstrumentation'),
    ],
    anthropic: [
      ...traceloop('@traceloop/instrumentation-anthropic', 'AnthropicInstrumentation'),
      ...openinference(
        '@arizeai/openinference-instrumentation-anthropic',
        'AnthropicInstrumentation',
      ),
    ],
    bedrock: [
      ...traceloop('@traceloop/instrumentation-bedrock', 'BedrockInstrumentation'),
      ...openinference('@arizeai/openinference-instrumentation-bedrock', 'BedrockInstrumentation'),
    ],
  };
}

/**
 * `activate(instance, configure)` returns a scenario's `enter`: it disables the instrumentation
 * enabled before, then enables `instance` (none when undefined). An `enable()` that throws (a
 * patch that does not fit the loaded SDK) is undone as far as `disable()` can, and rethrown, so
 * the probe reports it.
 */
export function activator() {
  let active;
  const off = instance => {
    try {
      instance.disable();
    } catch {
      // A patch that failed half-way may fail to unpatch as well; the instance is off either way.
    }
  };
  return (instance, configure) => async () => {
    if (active && active !== instance) off(active);
    active = undefined;
    configure?.();
    if (instance) {
      try {
        instance.enable();
      } catch (err) {
        off(instance);
        throw new Error(`enable() threw: ${err?.message ?? err}`);
      }
    }
    active = instance;
  };
}

/**
 * The scenarios of one SDK workload `w` (`prefix`, `sdk`, `provider`, `model`, `usage`, `call`,
 * `peers` with their `instance` and `version`): probed, then measured in interleaved rounds.
 * Returns the rows; `w.explain(peer, reason)` may add to the reason of a peer that did not patch.
 */
export async function runWorkload({ w, size, otel, ours, agent, activate, pinned }) {
  const scenarios = [
    { name: 'uninstrumented', enter: activate(undefined), call: w.call },
    {
      name: 'floor (one hand-written span)',
      enter: activate(undefined),
      call: () => floorSpan(otel.tracer, { provider: w.provider, model: w.model }, w.call, w.usage),
    },
    {
      name: 'ours: tracing only',
      enter: activate(ours, () => ours.setConfig({ governance: false })),
      call: w.call,
      scope: ours.instrumentationName,
    },
    {
      name: 'ours: governed, cached decision',
      enter: activate(ours, () => ours.setConfig({ client: agent })),
      call: w.call,
      scope: ours.instrumentationName,
    },
    ...w.peers.map(p => ({
      name: p.label,
      enter: activate(p.instance),
      call: w.call,
      scope: p.instance.instrumentationName,
      peer: p,
    })),
  ];

  // Which scenarios really trace: a scenario with a scope must produce spans of that scope.
  const rows = [];
  const live = [];
  for (const s of scenarios) {
    let spans;
    let failure;
    try {
      await s.enter();
      spans = await otel.capture(async () => {
        await s.call();
        await s.call();
      });
    } catch (err) {
      failure = /^enable\(\) threw/.test(err?.message)
        ? err.message
        : `the call failed while it was enabled: ${err?.message ?? err}`;
    }
    const own = spans?.filter(x => x.scope === s.scope) ?? [];
    if (s.scope && own.length === 0) {
      failure ??= `no span from ${s.scope} (saw ${spans.map(x => x.scope).join(', ') || 'none'})`;
    }
    if (failure) {
      if (!s.peer) throw new Error(`bench: ${w.prefix} ${s.name}: ${failure}`);
      const reason = w.explain ? await w.explain(s.peer, failure) : failure;
      rows.push({
        name: `${w.prefix} ${s.name}: CPU per call`,
        unit: 'µs',
        value: null,
        target: null,
        pass: null,
        details: { status: 'did not patch', reason, sdk: w.sdk, version: s.peer?.version },
      });
      continue;
    }
    s.spans = spans.length / 2;
    live.push(s);
  }
  await activate(undefined)();

  const results = await interleaved({
    scenarios: live.map(s => counted(otel, s, s.spans)),
    rounds: size.rounds,
    subRounds: size.subRounds,
    calls: size.calls,
    warmupMs: size.warmupMs,
    settle: otel.flush,
  });

  const heapCalls = size.heapCalls;
  const oursAdded = pairedCpu(results.get('ours: tracing only'), results.get('uninstrumented'));
  progress(`${w.prefix}: heap`);
  for (const s of live) {
    const heap = size.heapCalls ? await retainedHeap(s, otel, heapCalls, size.heapWarm) : undefined;
    const extra = {
      sdk: w.sdk,
      spansPerCall: s.spans,
      heapPer10kCallsKiB: heap?.per10kKiB,
      heap: heap ?? 'measured in full mode only',
      pinned,
      ...(w.details ?? {}),
    };
    if (s.peer) {
      extra.version = s.peer.version;
      extra.contentCapture = s.peer.capture;
      extra.chartLabel = s.peer.short;
    }
    const row = scenarioRow(
      w.prefix,
      s.name,
      results,
      'uninstrumented',
      `${w.sdk}, in-process fetch`,
      extra,
    );
    if (row.details.addedCpuUs && s.name !== 'ours: tracing only') {
      row.details.addedVsOursTracingOnly = rounded(row.details.addedCpuUs.p50 / oursAdded.p50);
    }
    rows.push(row);
  }
  rows.push(
    belowPeersRow(w.prefix, results, {
      baseline: 'uninstrumented',
      tracing: 'ours: tracing only',
      peers: live.filter(s => s.peer).map(s => s.name),
    }),
    governedRow(w.prefix, results, {
      tracing: 'ours: tracing only',
      cached: 'ours: governed, cached decision',
    }),
  );
  await activate(undefined)();
  return rows;
}

/**
 * Heap in use after a full GC (spans flushed) across two consecutive runs of `calls` calls,
 * after `warm` calls. The first run still includes one-time growth (code and feedback of paths
 * the timed rounds did not reach, lazily built caches): the second is the retention per call.
 */
async function retainedHeap(s, otel, calls, warm) {
  await s.enter();
  for (let i = 0; i < warm; i++) await s.call();
  const heap = async () => {
    await otel.flush();
    collectGarbage();
    return process.memoryUsage().heapUsed;
  };
  const h0 = await heap();
  for (let i = 0; i < calls; i++) await s.call();
  const h1 = await heap();
  for (let i = 0; i < calls; i++) await s.call();
  const h2 = await heap();
  const perTenK = bytes => (bytes / 1024) * (10_000 / calls);
  return rounded({ calls, firstRunPer10kKiB: perTenK(h1 - h0), per10kKiB: perTenK(h2 - h1) }, 1);
}
