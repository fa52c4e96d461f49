import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { diag, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attachAuditData } from '../../src/audit/index.js';
import { AxonFlowClient, type AxonFlowClientConfig } from '../../src/client/index.js';
import { type AuditClient, AxonFlowAuditSpanProcessor } from '../../src/processor/index.js';
import { json, type ScriptedAgent, startScriptedAgent } from '../helpers/scripted-agent.js';
import {
  AUDIT_PATH,
  auditData,
  captureDiag,
  harness,
  type LogLine,
  SUMMARY,
  until,
} from './harness.js';

let agent: ScriptedAgent;
let logs: LogLine[];
const clients: AxonFlowClient[] = [];
const processors: AxonFlowAuditSpanProcessor[] = [];

function client(config: AxonFlowClientConfig = {}): AxonFlowClient {
  const c = new AxonFlowClient({ endpoint: agent.url, telemetry: false, ...config });
  clients.push(c);
  return c;
}

function track<T extends { processor: AxonFlowAuditSpanProcessor }>(h: T): T {
  processors.push(h.processor);
  return h;
}

let auditSeq = 0;
function accept(): (req: unknown, res: http.ServerResponse) => void {
  return (_req, res) => json(res, 200, { success: true, audit_id: `aud-${++auditSeq}` });
}

function warnings(): string[] {
  return logs.filter(l => l.level === 'warn').map(l => l.message);
}

beforeEach(async () => {
  logs = captureDiag();
  agent = await startScriptedAgent(accept());
});

afterEach(async () => {
  await Promise.all(processors.splice(0).map(p => p.shutdown()));
  await Promise.all(clients.splice(0).map(c => c.close()));
  await agent.close();
  diag.disable();
});

describe('delivery', () => {
  it('sends one audit request per record with the wire fields of the call', async () => {
    const h = track(harness({ client: client({ clientId: 'tenant-a' }) }));
    h.governedCall({
      contextId: 'ctx-42',
      provider: 'anthropic',
      model: 'claude-sonnet-4',
      tokenUsage: { promptTokens: 30, completionTokens: 12, totalTokens: 45 },
      latencyMs: 250.6,
      metadata: { operation: 'chat', streamed: true },
    });
    await h.processor.forceFlush();

    expect(agent.count(AUDIT_PATH)).toBe(1);
    const sent = agent.requests[0]!;
    expect(sent.method).toBe('POST');
    expect(JSON.parse(sent.body)).toEqual({
      context_id: 'ctx-42',
      client_id: 'tenant-a',
      response_summary: SUMMARY,
      provider: 'anthropic',
      model: 'claude-sonnet-4',
      token_usage: { prompt_tokens: 30, completion_tokens: 12, total_tokens: 45 },
      latency_ms: 251,
      metadata: {
        operation: 'chat',
        streamed: true,
        idempotency_key: expect.stringMatching(/^[0-9a-f-]{36}$/),
      },
    });
    expect(h.processor.stats()).toEqual({
      queued: 0,
      concurrency: 8,
      inFlight: 0,
      exported: 1,
      dropped: 0,
      failed: 0,
      skipped: 0,
    });
  });

  it('records an axonflow.audit CLIENT span as a child of the ended call span', async () => {
    const h = track(harness({ client: client() }));
    const call = h.governedCall({ contextId: 'ctx-7', provider: 'openai', model: 'gpt-4o-mini' });
    await h.processor.forceFlush();

    const [audit] = h.auditSpans();
    expect(audit).toBeDefined();
    expect(audit!.kind).toBe(SpanKind.CLIENT);
    expect(audit!.instrumentationScope.name).toBe('axonflow-otel');
    expect(audit!.spanContext().traceId).toBe(call.spanContext().traceId);
    expect(audit!.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
    expect(audit!.attributes).toEqual({
      'axonflow.context_id': 'ctx-7',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'axonflow.audit_id': `aud-${auditSeq}`,
      'axonflow.audit.attempts': 1,
    });
    expect(audit!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('never puts the response summary into a span or the log', async () => {
    agent.handle((_req, res) => json(res, 400, { error: 'Invalid or expired context' }));
    const h = track(harness({ client: client() }));
    h.governedCall();
    h.governedCall({ contextId: undefined, skipReason: 'fail_open:timeout' });
    await h.processor.shutdown();

    const exported = JSON.stringify(
      h.exporter.getFinishedSpans().map(s => ({ a: s.attributes, e: s.events, st: s.status })),
    );
    expect(h.exporter.getFinishedSpans().length).toBe(4);
    expect(exported).not.toContain('summary-marker');
    expect(JSON.stringify(logs)).not.toContain('summary-marker');
  });

  it('sends through the configured client, else through one client built from the environment', async () => {
    const other = await startScriptedAgent(accept());
    const saved = process.env.AXONFLOW_AGENT_URL;
    process.env.AXONFLOW_AGENT_URL = other.url;
    try {
      const h1 = track(harness({ client: client() }));
      h1.governedCall();
      await h1.processor.forceFlush();
      expect([agent.count(AUDIT_PATH), other.count(AUDIT_PATH)]).toEqual([1, 0]);

      // No client configured: records carry none, so all go through the environment's agent.
      const h2 = track(harness());
      h2.governedCall();
      h2.governedCall();
      await h2.processor.forceFlush();
      expect([agent.count(AUDIT_PATH), other.count(AUDIT_PATH)]).toEqual([1, 2]);
      expect(h2.processor.stats().exported).toBe(2);
    } finally {
      if (saved === undefined) delete process.env.AXONFLOW_AGENT_URL;
      else process.env.AXONFLOW_AGENT_URL = saved;
      await other.close();
    }
  });

  it('sends the records that shutdown flushes through a client it builds from the environment then', async () => {
    const saved = process.env.AXONFLOW_AGENT_URL;
    process.env.AXONFLOW_AGENT_URL = agent.url;
    try {
      // The records are still queued when shutdown starts: the first send builds the client.
      const h = track(harness({ scheduledDelayMillis: 60_000, exportTimeoutMillis: 3000 }));
      h.governedCall();
      h.governedCall();
      await h.processor.shutdown();
      expect(agent.count(AUDIT_PATH)).toBe(2);
      expect(h.processor.stats()).toMatchObject({ exported: 2, failed: 0, dropped: 0 });
    } finally {
      if (saved === undefined) delete process.env.AXONFLOW_AGENT_URL;
      else process.env.AXONFLOW_AGENT_URL = saved;
    }
  });

  it('counts records as failed, and logs once, when no client can be built from the environment', async () => {
    const saved = process.env.AXONFLOW_AGENT_URL;
    process.env.AXONFLOW_AGENT_URL = 'not a url';
    try {
      const h = track(harness());
      for (let i = 0; i < 3; i++) h.governedCall();
      await h.processor.forceFlush();
      expect(h.processor.stats()).toMatchObject({ exported: 0, failed: 3 });
      expect(h.auditSpans().map(s => s.attributes['error.type'])).toEqual([
        'AXONFLOW_CONFIG',
        'AXONFLOW_CONFIG',
        'AXONFLOW_CONFIG',
      ]);
      const errors = logs.filter(l => l.level === 'error' && l.message.includes('environment'));
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message).toContain('AXONFLOW_AGENT_URL');
    } finally {
      if (saved === undefined) delete process.env.AXONFLOW_AGENT_URL;
      else process.env.AXONFLOW_AGENT_URL = saved;
    }
  });

  it('sends at most `concurrency` records at a time', async () => {
    let open = 0;
    let peak = 0;
    agent.handle((_req, res) => {
      open++;
      peak = Math.max(peak, open);
      setTimeout(() => {
        open--;
        json(res, 200, { success: true, audit_id: 'a' });
      }, 20);
    });
    const h = track(harness({ client: client(), concurrency: 3 }));
    for (let i = 0; i < 12; i++) h.governedCall();
    await h.processor.forceFlush();
    expect(agent.count(AUDIT_PATH)).toBe(12);
    expect(peak).toBe(3);
  });

  it('does not hold records up behind one that waits for a retry', async () => {
    agent.handle((req, res) => {
      if (JSON.parse(req.body).context_id === 'ctx-slow') json(res, 503, { error: 'busy' });
      else json(res, 200, { success: true, audit_id: 'aud-fast' });
    });
    const h = track(
      harness({
        client: client(),
        concurrency: 2,
        scheduledDelayMillis: 10,
        exportTimeoutMillis: 5000,
      }),
    );
    h.governedCall({ contextId: 'ctx-slow' });
    await until(() => agent.count(AUDIT_PATH) >= 1, 5000, 'the first attempt');
    h.governedCall({ contextId: 'ctx-fast' });
    await until(() => h.processor.stats().exported === 1, 1000, 'the second record');
    expect(h.processor.stats().inFlight).toBe(1);
  });

  it('starts sending after scheduledDelayMillis without a flush', async () => {
    const h = track(harness({ client: client(), scheduledDelayMillis: 10 }));
    h.governedCall();
    expect(h.processor.stats().queued).toBe(1);
    await until(() => h.processor.stats().exported === 1, 5000, 'the scheduled send');
    expect(agent.count(AUDIT_PATH)).toBe(1);
  });

  it('starts sending at once when maxExportBatchSize records wait', async () => {
    const h = track(
      harness({ client: client(), scheduledDelayMillis: 600_000, maxExportBatchSize: 5 }),
    );
    for (let i = 0; i < 4; i++) h.governedCall();
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(agent.count(AUDIT_PATH)).toBe(0);
    h.governedCall();
    await until(() => h.processor.stats().exported === 5, 5000, 'the batch-size send');
  });
});

describe('skipped records', () => {
  it('never sends a call without a context id, counts it and still records a span', async () => {
    const h = track(harness({ client: client() }));
    const call = h.governedCall({ contextId: undefined, skipReason: 'fail_open:timeout' });
    h.governedCall({ contextId: '', skipReason: undefined });
    await h.processor.forceFlush();

    expect(agent.count()).toBe(0);
    expect(h.processor.stats()).toMatchObject({ skipped: 2, exported: 0, failed: 0 });
    const spans = h.auditSpans();
    expect(spans.map(s => s.attributes['axonflow.audit.skipped'])).toEqual([
      'fail_open:timeout',
      'no_context_id',
    ]);
    expect(spans[0]!.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
    expect(spans[0]!.attributes['axonflow.context_id']).toBeUndefined();
    expect(spans[0]!.attributes['axonflow.audit.attempts']).toBe(0);
    expect(spans[0]!.status.code).toBe(SpanStatusCode.UNSET);
  });
});

describe('agent failures', () => {
  it('retries 5xx and then succeeds', async () => {
    let n = 0;
    agent.handle((_req, res) => {
      if (++n <= 2) json(res, 503, { error: 'warming up' });
      else json(res, 200, { success: true, audit_id: 'aud-after-retry' });
    });
    const h = track(harness({ client: client(), exportTimeoutMillis: 5000 }));
    h.governedCall();
    await h.processor.forceFlush();

    expect(agent.count(AUDIT_PATH)).toBe(3);
    expect(h.processor.stats()).toMatchObject({ exported: 1, failed: 0 });
    expect(h.auditSpans()[0]!.attributes).toMatchObject({
      'axonflow.audit_id': 'aud-after-retry',
      'axonflow.audit.attempts': 3,
    });
  });

  it('retries 429 and an invalid reply', async () => {
    let n = 0;
    agent.handle((_req, res) => {
      n++;
      if (n === 1) json(res, 429, { error: 'slow down' });
      else if (n === 2) json(res, 200, '<html>proxy error</html>');
      else json(res, 200, { success: true, audit_id: 'aud-3' });
    });
    const h = track(harness({ client: client(), exportTimeoutMillis: 5000 }));
    h.governedCall();
    await h.processor.forceFlush();
    expect(agent.count(AUDIT_PATH)).toBe(3);
    expect(h.processor.stats().exported).toBe(1);
  });

  it('does not retry a 400: counts it failed and warns with the status, not the agent’s words', async () => {
    agent.handle((_req, res) => json(res, 400, { error: 'Invalid or expired context' }));
    const h = track(harness({ client: client() }));
    h.governedCall();
    await h.processor.forceFlush();

    expect(agent.count(AUDIT_PATH)).toBe(1);
    expect(h.processor.stats()).toMatchObject({ exported: 0, failed: 1 });
    const [span] = h.auditSpans();
    expect(span!.attributes).toMatchObject({
      'error.type': 'AXONFLOW_REQUEST_REJECTED',
      'axonflow.audit.attempts': 1,
    });
    expect(span!.attributes['axonflow.audit_id']).toBeUndefined();
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.status.message).not.toContain('Invalid or expired');
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toContain('HTTP 400');
    expect(warnings()[0]).not.toContain('Invalid or expired context');
  });

  it('does not retry an authentication failure', async () => {
    agent.handle((_req, res) => json(res, 401, { error: 'X-License-Key header required' }));
    const h = track(harness({ client: client() }));
    h.governedCall();
    await h.processor.forceFlush();
    expect(agent.count(AUDIT_PATH)).toBe(1);
    expect(h.auditSpans()[0]!.attributes['error.type']).toBe('AXONFLOW_AUTH');
  });

  it('warns about failures once per interval, with counts, not once per record', async () => {
    agent.handle((_req, res) => json(res, 400, { error: 'Invalid or expired context' }));
    const h = track(harness({ client: client() }));
    for (let i = 0; i < 20; i++) h.governedCall();
    await h.processor.forceFlush();
    expect(h.processor.stats().failed).toBe(20);
    expect(warnings()).toHaveLength(1);
    await h.processor.shutdown();
    expect(warnings()).toHaveLength(2);
    expect(warnings()[1]).toMatch(/^axonflow-otel: 19 audit record\(s\) not delivered/);
    expect(warnings()[1]).toContain('AXONFLOW_REQUEST_REJECTED: 19');
  });

  it('counts a record failed when the agent does not confirm it', async () => {
    agent.handle((_req, res) => json(res, 200, { success: false, audit_id: '' }));
    const h = track(harness({ client: client() }));
    h.governedCall();
    await h.processor.forceFlush();
    expect(h.processor.stats()).toMatchObject({ exported: 0, failed: 1 });
    expect(h.auditSpans()[0]!.attributes['error.type']).toBe('audit_not_recorded');
  });

  it('retries an attempt that hit the client deadline, and gives up at exportTimeoutMillis', async () => {
    agent.handle(() => {});
    const h = track(harness({ client: client({ timeoutMs: 150 }), exportTimeoutMillis: 1000 }));
    h.governedCall();
    await h.processor.forceFlush();
    await until(() => h.processor.stats().failed === 1, 3000, 'the failure');
    expect(agent.count(AUDIT_PATH)).toBeGreaterThanOrEqual(2);
    const [span] = h.auditSpans();
    expect(span!.attributes['error.type']).toBe('AXONFLOW_TIMEOUT');
    expect(span!.attributes['axonflow.audit.attempts']).toBe(agent.count(AUDIT_PATH));
  });
});

describe('audit idempotency', () => {
  it('sends one idempotency key per record, the same on each retry of that record', async () => {
    // The first attempt of each record is stored but answered after the client deadline.
    const seen = new Map<string, number>();
    agent.handle((req, res) => {
      const key = JSON.parse(req.body).metadata?.idempotency_key as string;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      if (n === 1) setTimeout(() => json(res, 200, { success: true, audit_id: 'late' }), 400);
      else json(res, 200, { success: true, audit_id: `aud-${key.slice(0, 8)}` });
    });
    const h = track(harness({ client: client({ timeoutMs: 150 }), exportTimeoutMillis: 3000 }));
    h.governedCall();
    h.governedCall({ contextId: 'ctx-2' });
    await h.processor.forceFlush();
    await until(() => h.processor.stats().exported === 2, 5000, 'both records');
    expect(seen.size).toBe(2);
    for (const [key, attempts] of seen) {
      expect(key).toMatch(/^[0-9a-f-]{36}$/);
      expect(attempts).toBe(2);
    }
  });
});

describe('agent down, then up', () => {
  /** A port nothing listens on yet (connections are refused), and a way to start the agent on it. */
  async function freePort(): Promise<number> {
    const probe = net.createServer();
    await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>(resolve => probe.close(() => resolve()));
    return port;
  }

  async function listenOn(port: number, received: string[]): Promise<http.Server> {
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', c => {
        body += c;
      });
      req.on('end', () => {
        received.push(body);
        json(res, 200, { success: true, audit_id: `aud-${received.length}` });
      });
    });
    await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve));
    return server;
  }

  it('delivers the queued records once the agent is back, within the export timeout', async () => {
    const port = await freePort();
    const c = client({
      endpoint: `http://127.0.0.1:${port}`,
      breaker: { resetTimeoutMs: 200 },
    });
    const h = track(harness({ client: c, exportTimeoutMillis: 10_000 }));
    for (let i = 0; i < 5; i++) h.governedCall({ contextId: `ctx-down-${i}` });
    const flushed = h.processor.forceFlush();
    await new Promise(resolve => setTimeout(resolve, 700));
    expect(h.processor.stats().exported).toBe(0);

    const received: string[] = [];
    const server = await listenOn(port, received);
    try {
      await flushed;
      expect(h.processor.stats()).toMatchObject({ exported: 5, failed: 0, inFlight: 0 });
      expect(received.map(b => JSON.parse(b).context_id).sort()).toEqual([
        'ctx-down-0',
        'ctx-down-1',
        'ctx-down-2',
        'ctx-down-3',
        'ctx-down-4',
      ]);
      for (const span of h.auditSpans()) {
        expect(span.attributes['axonflow.audit.attempts']).toBeGreaterThan(1);
      }
    } finally {
      await c.close();
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    }
  });

  it('counts the records failed when the agent stays down past the export timeout', async () => {
    const port = await freePort();
    const h = track(
      harness({
        client: client({ endpoint: `http://127.0.0.1:${port}` }),
        exportTimeoutMillis: 400,
      }),
    );
    for (let i = 0; i < 3; i++) h.governedCall();
    await h.processor.forceFlush();
    await until(() => h.processor.stats().failed === 3, 3000, 'the failures');
    expect(h.processor.stats()).toMatchObject({ exported: 0, failed: 3, queued: 0, inFlight: 0 });
    for (const span of h.auditSpans()) {
      expect(span.attributes['error.type']).toBe('AXONFLOW_UNAVAILABLE');
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
    }
  });
});

describe('bounded queue', () => {
  it('drops the newest records when full, counts them, and warns once, synchronously', async () => {
    agent.handle(() => {});
    const h = track(
      harness({
        client: client(),
        maxQueueSize: 10,
        scheduledDelayMillis: 600_000,
        exportTimeoutMillis: 300,
      }),
    );
    for (let i = 0; i < 25; i++) h.governedCall({ contextId: `ctx-q-${i}` });
    // Nothing was awaited: onEnd did all of this synchronously.
    expect(h.processor.stats()).toMatchObject({ queued: 10, dropped: 15 });
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toContain('dropped 1 audit record(s)');
    expect(warnings()[0]).toContain('maxQueueSize=10');

    await h.processor.shutdown();
    expect(warnings().filter(w => w.includes('dropped 14 audit record(s)'))).toHaveLength(1);
    // The oldest ten were kept: the ones sent are ctx-q-0..9 (hung, so they fail).
    const sent = agent.requests.map(r => JSON.parse(r.body).context_id);
    expect(sent.every((id: string) => Number(id.slice(6)) < 10)).toBe(true);
  });
});

describe('forceFlush and shutdown', () => {
  it('delivers all 1,000 records queued before shutdown to a healthy agent', async () => {
    const h = track(harness({ client: client() }));
    for (let i = 0; i < 1000; i++) h.governedCall({ contextId: `ctx-bulk-${i}` });
    await h.processor.shutdown();

    expect(agent.count(AUDIT_PATH)).toBe(1000);
    const ids = new Set(agent.requests.map(r => JSON.parse(r.body).context_id));
    expect(ids.size).toBe(1000);
    expect(h.processor.stats()).toEqual({
      queued: 0,
      concurrency: expect.any(Number),
      inFlight: 0,
      exported: 1000,
      dropped: 0,
      failed: 0,
      skipped: 0,
    });
  });

  it('delivers the queued records when the tracer provider shuts down', async () => {
    const h = track(harness({ client: client() }));
    for (let i = 0; i < 50; i++) h.governedCall();
    await h.provider.shutdown();
    expect(agent.count(AUDIT_PATH)).toBe(50);
    expect(h.processor.stats().exported).toBe(50);
  });

  it('resolves forceFlush at once when nothing is pending, and waits only for earlier records', async () => {
    const h = track(harness({ client: client() }));
    await h.processor.forceFlush();
    h.governedCall();
    await h.processor.forceFlush();
    expect(h.processor.stats().exported).toBe(1);
  });

  it('resolves forceFlush by exportTimeoutMillis even when the agent hangs', async () => {
    agent.handle(() => {});
    const h = track(harness({ client: client(), exportTimeoutMillis: 300 }));
    h.governedCall();
    const started = Date.now();
    await h.processor.forceFlush();
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('is idempotent and refuses new records afterwards, counting them dropped', async () => {
    const h = track(harness({ client: client() }));
    h.governedCall();
    const first = h.processor.shutdown();
    expect(h.processor.shutdown()).toBe(first);
    await first;
    expect(agent.count(AUDIT_PATH)).toBe(1);

    expect(() => h.governedCall()).not.toThrow();
    await h.processor.forceFlush();
    expect(agent.count(AUDIT_PATH)).toBe(1);
    expect(h.processor.stats()).toMatchObject({ exported: 1, dropped: 1, queued: 0 });
    expect(warnings()).toHaveLength(0);
  });

  it('gives up at the deadline on shutdown: queued records dropped, sends ended', async () => {
    agent.handle(() => {});
    const h = track(
      harness({
        client: client({ timeoutMs: 200 }),
        concurrency: 1,
        exportTimeoutMillis: 300,
        maxQueueSize: 50,
      }),
    );
    for (let i = 0; i < 5; i++) h.governedCall();
    const started = Date.now();
    await h.processor.shutdown();
    expect(Date.now() - started).toBeLessThan(3000);
    const stats = h.processor.stats();
    expect(stats.queued + stats.inFlight).toBe(0);
    expect(stats.exported).toBe(0);
    expect(stats.failed + stats.dropped).toBe(5);
    expect(stats.dropped).toBeGreaterThan(0);
  });
});

describe('never throws into the app', () => {
  it('survives a client whose auditLLMCall getter throws', async () => {
    const broken = {
      get auditLLMCall(): AuditClient['auditLLMCall'] {
        throw new Error('broken client');
      },
    } as AuditClient;
    const h = track(harness({ client: broken }));
    expect(() => {
      for (let i = 0; i < 3; i++) h.governedCall();
    }).not.toThrow();
    await h.processor.forceFlush();
    expect(h.processor.stats()).toMatchObject({ failed: 3, exported: 0 });
    expect(h.auditSpans().map(s => s.attributes['error.type'])).toEqual([
      'Error',
      'Error',
      'Error',
    ]);
  });

  it('survives a client that throws synchronously or returns garbage', async () => {
    const throwing: AuditClient = {
      auditLLMCall() {
        throw new TypeError('sync failure');
      },
    };
    const garbage = { auditLLMCall: () => 42 } as unknown as AuditClient;
    for (const c of [throwing, garbage]) {
      const h = track(harness({ client: c }));
      h.governedCall();
      await h.processor.forceFlush();
      expect(h.processor.stats()).toMatchObject({ failed: 1, exported: 0 });
    }
  });

  it('ignores arguments that are not spans', async () => {
    const p = new AxonFlowAuditSpanProcessor({ client: client() });
    processors.push(p);
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
        getPrototypeOf() {
          throw new Error('trap');
        },
      },
    );
    const withData = {};
    attachAuditData(withData, auditData());
    for (const arg of [undefined, null, 42, 'span', {}, hostile, withData]) {
      expect(() => p.onEnd(arg as never)).not.toThrow();
      expect(() => p.onStart(arg as never, arg as never)).not.toThrow();
    }
    await p.forceFlush();
    expect(agent.count()).toBe(0);
    expect(p.stats()).toMatchObject({ queued: 0, exported: 0 });
  });

  it('ignores spans without audit data', async () => {
    const h = track(harness({ client: client() }));
    const tracer = h.provider.getTracer('app');
    for (let i = 0; i < 100; i++) tracer.startSpan('other').end();
    await h.processor.forceFlush();
    expect(agent.count()).toBe(0);
    expect(h.processor.stats()).toEqual({
      queued: 0,
      concurrency: 8,
      inFlight: 0,
      exported: 0,
      dropped: 0,
      failed: 0,
      skipped: 0,
    });
  });
});
