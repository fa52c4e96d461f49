import { diag } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AxonFlowClient } from '../../src/client/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { captureDiag, harness, SUMMARY } from './harness.js';

describe('round trip through the sandbox agent', () => {
  let sandbox: Sandbox;
  let client: AxonFlowClient;

  beforeEach(async () => {
    captureDiag();
    sandbox = await startSandbox();
    client = new AxonFlowClient({
      endpoint: sandbox.agentUrl,
      telemetry: false,
      clientId: 'app-1',
    });
  });

  afterEach(async () => {
    await client.close();
    await sandbox.close();
    diag.disable();
  });

  it('audits a pre-checked call under its context id', async () => {
    const check = await client.preCheck({ query: 'What is the capital of France?' });
    expect(check.approved).toBe(true);
    expect(check.contextId).not.toBe('');

    const h = harness({ client });
    h.governedCall({
      contextId: check.contextId,
      provider: 'openai',
      model: 'gpt-4o',
      tokenUsage: { promptTokens: 14, completionTokens: 9 },
      latencyMs: 42,
      metadata: { operation: 'chat' },
    });
    await h.processor.shutdown();

    const audits = sandbox.audits();
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      context_id: check.contextId,
      client_id: 'app-1',
      provider: 'openai',
      model: 'gpt-4o',
      response_summary: SUMMARY,
      token_usage: { prompt_tokens: 14, completion_tokens: 9, total_tokens: 23 },
      latency_ms: 42,
      metadata: { operation: 'chat' },
    });
    const [span] = h.auditSpans();
    expect(span!.attributes['axonflow.audit_id']).toBe(audits[0]!.audit_id);
    expect(span!.attributes['axonflow.context_id']).toBe(check.contextId);
  });

  it('counts a record with a context id the agent does not know as failed, without retrying', async () => {
    const h = harness({ client });
    h.governedCall({ contextId: 'made-up-context' });
    await h.processor.shutdown();
    expect(sandbox.audits()).toHaveLength(0);
    expect(h.processor.stats()).toMatchObject({ exported: 0, failed: 1 });
    expect(h.auditSpans()[0]!.attributes['error.type']).toBe('AXONFLOW_REQUEST_REJECTED');
  });

  it('delivers records queued while the agent was stopped once it is started again', async () => {
    const checks = await Promise.all(
      [1, 2, 3].map(i => client.preCheck({ query: `question ${i}` })),
    );
    const resilient = new AxonFlowClient({
      endpoint: sandbox.agentUrl,
      telemetry: false,
      clientId: 'app-1',
      breaker: { resetTimeoutMs: 200 },
    });
    try {
      sandbox.stopAgent('unavailable');
      const h = harness({ client: resilient, exportTimeoutMillis: 10_000 });
      for (const check of checks) h.governedCall({ contextId: check.contextId });
      const flushed = h.processor.forceFlush();
      setTimeout(() => sandbox.startAgent(), 500);
      await flushed;
      expect(h.processor.stats()).toMatchObject({ exported: 3, failed: 0 });
      expect(
        sandbox
          .audits()
          .map(a => a.context_id)
          .sort(),
      ).toEqual(checks.map(c => c.contextId).sort());
      await h.processor.shutdown();
    } finally {
      await resilient.close();
    }
  });
});
