/**
 * The audit hand-off (`src/audit/`) as the processor sees it: records of calls whose span is not
 * recording go to exactly one processor, the most recently started one that is not shut down;
 * with none running they are counted and named in a warning, never dropped silently; and the
 * registry is shared by both builds of the package.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { diag, type SpanContext, TraceFlags } from '@opentelemetry/api';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { submitAuditData, unroutedAuditRecords } from '../../src/audit/index.js';
import type { AuditLLMCallRequest } from '../../src/client/index.js';
import { AxonFlowAuditSpanProcessor } from '../../src/processor/index.js';
import { ROOT } from '../helpers/child.js';
import { auditData, captureDiag } from './harness.js';

const PARENT: SpanContext = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.NONE,
};

const started: { shutdown(): Promise<void> }[] = [];

/** A processor whose client only notes the context ids it is asked to audit. */
function processor(received: string[]): AxonFlowAuditSpanProcessor {
  const p = new AxonFlowAuditSpanProcessor({
    client: {
      auditLLMCall: async (request: AuditLLMCallRequest) => {
        received.push(request.contextId);
        return { success: true, auditId: `audit-${request.contextId}` };
      },
    },
    scheduledDelayMillis: 0,
    tracerProvider: new TracerProvider(),
  });
  started.push(p);
  return p;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map(p => p.shutdown()));
  diag.disable();
});

describe('records of spans that are not recording', () => {
  it('go to the most recently started processor that is not shut down', async () => {
    const first: string[] = [];
    const second: string[] = [];
    const p1 = processor(first);
    const p2 = processor(second);

    expect(submitAuditData(auditData({ contextId: 'ctx-a' }), PARENT)).toBe(true);
    await p2.forceFlush();
    expect([first, second]).toEqual([[], ['ctx-a']]);

    await p2.shutdown();
    expect(submitAuditData(auditData({ contextId: 'ctx-b' }), PARENT)).toBe(true);
    await p1.forceFlush();
    expect([first, second]).toEqual([['ctx-b'], ['ctx-a']]);
    expect(p2.stats()).toMatchObject({ exported: 1, dropped: 0 });
  });

  it('are counted, and named in one warning a minute, when no processor is running', async () => {
    const logs = captureDiag();
    const p = processor([]);
    await p.shutdown();
    const before = unroutedAuditRecords();

    expect(submitAuditData(auditData(), PARENT)).toBe(false);
    expect(submitAuditData(auditData(), PARENT)).toBe(false);

    expect(unroutedAuditRecords()).toBe(before + 2);
    const warnings = logs.filter(l => l.level === 'warn' && l.message.includes('not recording'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('no AxonFlowAuditSpanProcessor is running');
    expect(p.stats()).toMatchObject({ queued: 0, exported: 0, dropped: 0 });
  });

  it('carry no client: the processor sends them with its own', async () => {
    const received: string[] = [];
    const p = processor(received);
    const data = auditData({ contextId: 'ctx-own' });
    expect(Object.keys(data)).not.toContain('client');
    submitAuditData(data, PARENT);
    await p.forceFlush();
    expect(received).toEqual(['ctx-own']);
  });
});

const cjsAudit = join(ROOT, 'dist/commonjs/audit/index.js');

describe.skipIf(!existsSync(cjsAudit))('both builds', () => {
  it('share one registry: either build hands records to the other build’s processor', async () => {
    const require = createRequire(import.meta.url);
    const cjs = require(cjsAudit) as typeof import('../../src/audit/index.js');
    const { AxonFlowAuditSpanProcessor: CjsProcessor } = require(
      join(ROOT, 'dist/commonjs/processor/index.js'),
    ) as typeof import('../../src/processor/index.js');
    expect(cjs.submitAuditData).not.toBe(submitAuditData);

    const ours: string[] = [];
    const p = processor(ours);
    cjs.submitAuditData(auditData({ contextId: 'from-cjs' }), PARENT);
    await p.forceFlush();
    expect(ours).toEqual(['from-cjs']);

    const theirs: string[] = [];
    const q = new CjsProcessor({
      client: {
        auditLLMCall: async (request: AuditLLMCallRequest) => {
          theirs.push(request.contextId);
          return { success: true, auditId: 'a' };
        },
      },
      scheduledDelayMillis: 0,
      tracerProvider: new TracerProvider(),
    });
    started.push(q);
    submitAuditData(auditData({ contextId: 'from-esm' }), PARENT);
    await q.forceFlush();
    expect([ours, theirs]).toEqual([['from-cjs'], ['from-esm']]);
  });
});
