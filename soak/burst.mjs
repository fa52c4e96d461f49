// Burst test of the gate under load: N concurrent governed openai calls with distinct prompts,
// in one process, against a loopback agent that answers every pre-check (and every audit) after
// a fixed latency, and the sandbox model. Counts how many calls failed open (the gate must not
// fail open because of our own queueing), the pre-check latency, and closes the audit accounting
// (exported + dropped + failed + skipped + still queued or in flight = governed calls).
//
//   node soak/burst.mjs [--calls 2000] [--latency-ms 200]
// The last line of output is a JSON summary. `runBurst()` is what the test suite calls.
import http from 'node:http';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { ProxyTracerProvider, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { AxonFlowAuditSpanProcessor, AxonFlowClient, AxonFlowInstrumentation } from 'axonflow-otel';
import { startSandbox } from 'axonflow-otel/sandbox';

/** A loopback agent that answers after `latencyMs`, from as many connections as it is sent. */
async function startSlowAgent(latencyMs) {
  let n = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const server = http.createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    req.resume();
    req.on('end', () => {
      setTimeout(() => {
        inFlight--;
        const body = req.url.startsWith('/api/audit')
          ? { success: true, audit_id: `aud-${++n}` }
          : { approved: true, context_id: `ctx-${++n}`, policies: [] };
        const text = JSON.stringify(body);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': text.length });
        res.end(text);
      }, latencyMs);
    });
  });
  server.maxConnections = 100_000;
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

let instrumentation;

export async function runBurst({ calls = 2000, latencyMs = 200, timeoutMs } = {}) {
  const agent = await startSlowAgent(latencyMs);
  const sandbox = await startSandbox();
  const exporter = new InMemorySpanExporter();
  const proxy = new ProxyTracerProvider();
  // The agent deadline: the client's default unless the caller gives one (the test suite gives a
  // longer one, so that a busy machine starving the event loop is not read as a slow agent).
  const client = new AxonFlowClient({
    endpoint: agent.url,
    telemetry: false,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  // A short export timeout: the burst measures the gate; at the end, what is still queued is
  // counted (above) and then dropped on shutdown instead of drained for minutes.
  const audit = new AxonFlowAuditSpanProcessor({
    client,
    tracerProvider: proxy,
    exportTimeoutMillis: 1000,
  });
  const provider = new TracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter }), audit],
  });
  proxy.setDelegate(provider);
  // One instrumentation per process: it patches openai when openai is first required, and a
  // later burst re-enables the same one with its own client and provider.
  instrumentation ??= new AxonFlowInstrumentation({ client, enabled: false });
  instrumentation.setConfig({ client });
  instrumentation.setTracerProvider(provider);
  instrumentation.enable();
  const OpenAI = createRequire(import.meta.url)('openai');
  const openai = new OpenAI({ baseURL: sandbox.modelUrl, apiKey: 'sk-burst', maxRetries: 0 });

  const started = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: calls }, (_, i) =>
      openai.chat.completions.create({
        model: 'sandbox-gpt',
        messages: [{ role: 'user', content: `Distinct question number ${i}` }],
      }),
    ),
  );
  const elapsedMs = performance.now() - started;
  const preChecks = exporter.getFinishedSpans().filter(s => s.name === 'axonflow.pre_check');
  const failOpen = preChecks.filter(s => s.attributes['axonflow.decision'] === 'fail_open');
  const reasons = {};
  for (const s of failOpen) {
    const reason = String(s.attributes['axonflow.fail_open.reason']);
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  }
  const latencies = preChecks
    .map(s => (s.endTime[0] - s.startTime[0]) * 1e3 + (s.endTime[1] - s.startTime[1]) / 1e6)
    .sort((a, b) => a - b);
  const stats = audit.stats();
  const accounted =
    stats.exported + stats.dropped + stats.failed + stats.skipped + stats.queued + stats.inFlight;
  const summary = {
    calls,
    latencyMs,
    succeeded: results.filter(r => r.status === 'fulfilled').length,
    preChecks: preChecks.length,
    failOpen: failOpen.length,
    failOpenPct: Number(((failOpen.length / calls) * 100).toFixed(2)),
    failOpenReasons: reasons,
    preCheckMs: {
      p50: Number(percentile(latencies, 50).toFixed(1)),
      p99: Number(percentile(latencies, 99).toFixed(1)),
    },
    agentMaxConcurrent: agent.maxInFlight(),
    elapsedMs: Math.round(elapsedMs),
    audit: { ...stats, accounted },
  };
  instrumentation.disable();
  await audit.shutdown();
  await provider.shutdown();
  trace.disable();
  await client.close();
  await sandbox.close();
  await agent.close();
  return summary;
}

const isMain = process.argv[1] && import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '2000' },
      'latency-ms': { type: 'string', default: '200' },
    },
  });
  const summary = await runBurst({
    calls: Number(values.calls),
    latencyMs: Number(values['latency-ms']),
  });
  console.log(
    `burst: ${summary.calls} concurrent calls, agent ${summary.latencyMs} ms → fail-open ${summary.failOpenPct} % (${summary.failOpen}), pre-check p50 ${summary.preCheckMs.p50} ms, p99 ${summary.preCheckMs.p99} ms`,
  );
  console.log(JSON.stringify(summary));
}
