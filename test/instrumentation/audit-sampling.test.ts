/**
 * Governance must not depend on sampling: a governed call whose span the sampler drops is still
 * audited (the record reaches the processor without riding on the span).
 */
import {
  AlwaysOffSampler,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
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

it('audits a governed call whose span the sampler dropped', async () => {
  const exporter = new InMemorySpanExporter();
  const processor = new AxonFlowAuditSpanProcessor({ client });
  const provider = new TracerProvider({
    sampler: new AlwaysOffSampler(),
    spanProcessors: [new SimpleSpanProcessor({ exporter }), processor],
  });
  const instrumentation = new AxonFlowInstrumentation({ client });
  instrumentation.setTracerProvider(provider);
  attachModules(instrumentation);
  try {
    const openai = new OpenAI({ apiKey: 'k', baseURL: sandbox.modelUrl, maxRetries: 0 });
    const completion = await openai.chat.completions.create({
      model: 'sampled-out',
      messages: [{ role: 'user', content: 'Audit me even if nobody traces me' }],
    });
    await processor.forceFlush();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    const audits = sandbox.audits().filter(a => (a as { model?: string }).model === 'sampled-out');
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
    instrumentation.disable();
    await processor.shutdown();
    await provider.shutdown();
  }
});
