/**
 * Governance must not depend on sampling: a governed call whose span the sampler drops is still
 * audited (the record reaches the processor without riding on the span), by exactly one
 * processor, the most recently started one that is not shut down; with none running, the record
 * is counted, never lost silently, and the call itself is unaffected.
 */
import {
  AlwaysOffSampler,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { unroutedAuditRecords } from '../../src/audit/index.js';
import {
  AxonFlowAuditSpanProcessor,
  AxonFlowClient,
  AxonFlowInstrumentation,
} from '../../src/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { attachModules } from '../helpers/otel.js';

let sandbox: Sandbox;
let client: AxonFlowClient;

beforeAll(async () => {
  sandbox = await startSandbox();
  client = new AxonFlowClient({ endpoint: sandbox.agentUrl, telemetry: false });
});

afterAll(async () => {
  await client.close();
  await sandbox.close();
});

/** Runs one governed chat call, its span dropped by the sampler, and cleans up after it. */
async function sampledOutCall(model: string, spanProcessors: SpanProcessor[]) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    sampler: new AlwaysOffSampler(),
    spanProcessors: [new SimpleSpanProcessor({ exporter }), ...spanProcessors],
  });
  const instrumentation = new AxonFlowInstrumentation({ client });
  instrumentation.setTracerProvider(provider);
  attachModules(instrumentation);
  try {
    const openai = new OpenAI({ apiKey: 'k', baseURL: sandbox.modelUrl, maxRetries: 0 });
    const completion = await openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Audit me even if nobody traces me' }],
    });
    return { completion, exported: exporter.getFinishedSpans() };
  } finally {
    instrumentation.disable();
    await provider.shutdown();
  }
}

const auditsOf = (model: string) =>
  sandbox.audits().filter(a => (a as { model?: string }).model === model);

it('audits a governed call whose span the sampler dropped', async () => {
  const processor = new AxonFlowAuditSpanProcessor({ client });
  try {
    const { completion, exported } = await sampledOutCall('sampled-out', [processor]);
    await processor.forceFlush();
    expect(exported).toHaveLength(0);
    const audits = auditsOf('sampled-out');
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      provider: 'openai',
      token_usage: {
        prompt_tokens: completion.usage!.prompt_tokens,
        completion_tokens: completion.usage!.completion_tokens,
      },
    });
    expect(processor.stats().exported).toBe(1);
  } finally {
    await processor.shutdown();
  }
});

it('hands the record to the most recently started processor only', async () => {
  const older = new AxonFlowAuditSpanProcessor({ client });
  const newer = new AxonFlowAuditSpanProcessor({ client });
  try {
    // The older one is on the call's provider; that does not matter for a span never recorded.
    await sampledOutCall('sampled-out-twice', [older]);
    await Promise.all([older.forceFlush(), newer.forceFlush()]);
    expect(auditsOf('sampled-out-twice')).toHaveLength(1);
    expect(newer.stats().exported).toBe(1);
    expect(older.stats().exported).toBe(0);
  } finally {
    await Promise.all([older.shutdown(), newer.shutdown()]);
  }
});

it('counts the record, and leaves the call alone, when no audit processor is running', async () => {
  const before = unroutedAuditRecords();
  const { completion } = await sampledOutCall('sampled-out-unaudited', []);
  expect(completion.choices[0]?.message.content).toBeTruthy();
  expect(unroutedAuditRecords()).toBe(before + 1);
  expect(auditsOf('sampled-out-unaudited')).toHaveLength(0);
});
