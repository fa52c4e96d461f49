/**
 * A denial is final for retry logic: frameworks that retry failed model calls (LangChain's
 * `AsyncCaller`, 6 retries by default with exponential backoff) surface a `PolicyViolationError`
 * at once, after exactly one pre-check, and never call the model.
 */
import { ChatOpenAI } from '@langchain/openai';
import * as openaiModule from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AxonFlowClient, PolicyViolationError } from '../../src/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';

let sandbox: Sandbox;
let client: AxonFlowClient;
let h: Harness;

beforeAll(async () => {
  sandbox = await startSandbox();
  client = new AxonFlowClient({ endpoint: sandbox.agentUrl, telemetry: false });
  h = setupHarness({ client }, { openai: openaiModule });
});

afterAll(async () => {
  await h.close();
  await client.close();
  await sandbox.close();
});

beforeEach(() => {
  h.reset();
  sandbox.resetCounters();
});

describe('retry logic of frameworks', () => {
  it('LangChain ChatOpenAI with its default retries: a denial surfaces at once, after one pre-check', async () => {
    const model = new ChatOpenAI({
      model: 'm',
      apiKey: 'k',
      configuration: { baseURL: sandbox.modelUrl },
    });
    const err = await model.invoke('Remember my SSN 123-45-6789').catch(e => e);
    // One attempt: one call span (each retry would be a new model request and a new span).
    expect(h.spans().filter(s => s.name === 'chat m')).toHaveLength(1);
    const violation = err instanceof PolicyViolationError ? err : err?.cause;
    expect(violation).toBeInstanceOf(PolicyViolationError);
    expect(violation.code).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.agentRequests()).toBe(1);
    expect(sandbox.modelRequests()).toBe(0);
  });

  it('LangChain ChatOpenAI: an allowed call is governed like any other', async () => {
    const model = new ChatOpenAI({
      model: 'm',
      apiKey: 'k',
      configuration: { baseURL: sandbox.modelUrl },
    });
    const reply = await model.invoke('What is the capital of France?');
    expect(String(reply.content)).toMatch(/Sandbox reply/);
    expect(h.span('chat m').attributes['axonflow.decision']).toBe('allow');
    expect(sandbox.modelRequests()).toBe(1);
  });

  it('carries the shape retry logic reads as final: status 403 and LangChain’s retryable mark', () => {
    const violation = new PolicyViolationError({ blockReason: 'pii' });
    expect(violation.status).toBe(403);
    expect(
      Object.getOwnPropertyDescriptor(violation, Symbol.for('langchain.errors.retryable'))?.value,
    ).toBe(false);
  });
});
