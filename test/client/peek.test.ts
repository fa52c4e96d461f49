import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as cache from '../../src/client/cache.js';
import { peekDecision } from '../../src/client/internal.js';
import { AxonFlowClient } from '../../src/index.js';
import { type ScriptedAgent, startScriptedAgent } from '../helpers/scripted-agent.js';

vi.mock('../../src/client/cache.js', async original => {
  const actual = await original<typeof import('../../src/client/cache.js')>();
  return { ...actual, cacheKey: vi.fn(actual.cacheKey) };
});

let agent: ScriptedAgent;
let client: AxonFlowClient;
const keys = vi.mocked(cache.cacheKey);

beforeEach(async () => {
  agent = await startScriptedAgent();
  client = new AxonFlowClient({ endpoint: agent.url, telemetry: false });
  keys.mockClear();
});

afterEach(async () => {
  await client.close();
  await agent.close();
});

describe('the synchronous cached-decision path', () => {
  it('is not part of the public client API', () => {
    expect('peekDecision' in client).toBe(false);
    expect(Object.getOwnPropertyNames(AxonFlowClient.prototype)).not.toContain('peekDecision');
  });

  it('serves a cached decision synchronously, and computes the key once on a miss', async () => {
    const request = () => ({ query: 'hello', context: { model: 'm' } });
    const first = request();
    expect(peekDecision(client, first)).toBeUndefined();
    expect(keys).toHaveBeenCalledTimes(1);
    const result = await client.preCheck(first);
    expect(result).toMatchObject({ approved: true, contextId: 'ctx-1', cached: false });
    expect(keys).toHaveBeenCalledTimes(1);
    expect(agent.count()).toBe(1);

    const hit = peekDecision(client, request());
    expect(hit).toMatchObject({ approved: true, contextId: 'ctx-1', cached: true });
    expect(keys).toHaveBeenCalledTimes(2);
    expect(agent.count()).toBe(1);
  });

  it('does not reuse what a peek computed for a request that changed since', async () => {
    const request = { query: 'first', context: { a: 1 } };
    expect(peekDecision(client, request)).toBeUndefined();
    request.query = 'second';
    await client.preCheck(request);
    expect(keys).toHaveBeenCalledTimes(2);
    expect(JSON.parse(agent.requests[0]!.body).query).toBe('second');
    expect(peekDecision(client, { query: 'second', context: { a: 1 } })).toMatchObject({
      cached: true,
    });
    expect(peekDecision(client, { query: 'first', context: { a: 1 } })).toBeUndefined();
  });

  it('does not reuse it for another request either', async () => {
    expect(peekDecision(client, { query: 'one' })).toBeUndefined();
    await client.preCheck({ query: 'two' });
    expect(JSON.parse(agent.requests[0]!.body).query).toBe('two');
    expect(peekDecision(client, { query: 'two' })).toMatchObject({ cached: true });
    expect(peekDecision(client, { query: 'one' })).toBeUndefined();
  });

  it('answers undefined for a client without the method', () => {
    expect(peekDecision({} as AxonFlowClient, { query: 'x' })).toBeUndefined();
  });
});
