/**
 * Adaptive concurrency of the audit span processor end to end, with a client that answers when
 * the test says: growth under a backlog, the cap, and back-off on overload. `performance.now()` is
 * frozen, so every answer takes 0 ms and latency always holds: what grows or shrinks the number
 * of senders here is the backlog and the failures, never the machine's speed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RequestRejectedError, UnavailableError } from '../../src/client/errors/index.js';
import type { AuditLLMCallRequest, AuditResult } from '../../src/client/types.js';
import type { AuditClient } from '../../src/processor/index.js';
import { type Harness, harness, until } from './harness.js';

/** A client whose calls stay in flight until `release` answers them (or fail when told to). */
class HeldClient implements AuditClient {
  readonly held: { resolve: (r: AuditResult) => void; reject: (e: unknown) => void }[] = [];
  peak = 0;
  calls = 0;
  auditLLMCall = (_request: AuditLLMCallRequest): Promise<AuditResult> => {
    this.calls++;
    return new Promise((resolve, reject) => {
      this.held.push({ resolve, reject });
      this.peak = Math.max(this.peak, this.held.length);
    });
  };
  /** Answers every call in flight now: accepted, or failed with `error`. */
  release(error?: unknown): number {
    const now = this.held.splice(0);
    for (const call of now) {
      if (error === undefined) call.resolve({ success: true, auditId: 'a' });
      else call.reject(error);
    }
    return now.length;
  }
}

/** Lets the answers just given reach the processor. */
const settle = () => new Promise(resolve => setImmediate(resolve));

const overloaded = () => new UnavailableError('http_5xx', 'agent busy', { status: 503 });

/** Answers round after round until the processor has nothing left in flight or queued. */
async function drain(h: Harness, client: HeldClient, error?: unknown): Promise<void> {
  for (;;) {
    await until(() => client.held.length > 0 || isIdle(h), 5000, 'sends in flight');
    if (isIdle(h)) return;
    client.release(error);
  }
}

function isIdle(h: Harness): boolean {
  const s = h.processor.stats();
  return s.queued === 0 && s.inFlight === 0;
}

const harnesses: Harness[] = [];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['performance'] });
});

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(harnesses.splice(0).map(h => h.processor.shutdown()));
});

function make(client: AuditClient, config: Parameters<typeof harness>[0] = {}): Harness {
  const h = harness({ client, scheduledDelayMillis: 0, ...config });
  harnesses.push(h);
  return h;
}

describe('adaptive concurrency', () => {
  it('starts at minConcurrency and grows while records wait, up to the cap', async () => {
    const client = new HeldClient();
    const h = make(client, { minConcurrency: 2, concurrency: 16 });
    for (let i = 0; i < 200; i++) h.governedCall();
    await until(() => client.held.length > 0, 5000, 'the first sends');
    expect(client.held.length).toBe(2);
    // Each answered round doubles the senders (2, 4, 8, 16) and then stays at the cap.
    const rounds: number[] = [];
    while (rounds.length < 6) {
      await until(() => client.held.length > 0, 5000, 'a round of sends');
      // Let the new senders of the last answers start before counting them.
      await settle();
      rounds.push(client.release());
    }
    expect(rounds.slice(0, 4)).toEqual([2, 4, 8, 16]);
    expect(Math.max(...rounds)).toBe(16);
    expect(h.processor.stats().concurrency).toBe(16);
    await drain(h, client);
    expect(client.peak).toBe(16);
    expect(h.processor.stats()).toMatchObject({ exported: 200, failed: 0, dropped: 0 });
  });

  it('does not grow when records arrive no faster than they are sent', async () => {
    const client = new HeldClient();
    const h = make(client, { minConcurrency: 2, concurrency: 16 });
    for (let i = 0; i < 50; i++) {
      h.governedCall();
      await until(() => client.held.length === 1, 5000, 'the send');
      client.release();
      await until(() => h.processor.stats().exported === i + 1, 5000, 'the answer');
    }
    expect(client.peak).toBe(1);
    expect(h.processor.stats().concurrency).toBe(2);
  });

  it('with minConcurrency equal to concurrency, sends exactly that many at a time', async () => {
    const client = new HeldClient();
    const h = make(client, { minConcurrency: 3, concurrency: 3 });
    for (let i = 0; i < 60; i++) h.governedCall();
    await drain(h, client);
    expect(client.peak).toBe(3);
    expect(h.processor.stats()).toMatchObject({ concurrency: 3, exported: 60 });
  });

  it('halves the senders on overload, not below minConcurrency, and retires the extra ones', async () => {
    const client = new HeldClient();
    const h = make(client, { minConcurrency: 2, concurrency: 16, exportTimeoutMillis: 60_000 });
    for (let i = 0; i < 400; i++) h.governedCall();
    // Grow to the cap.
    while (h.processor.stats().concurrency < 16) {
      await until(() => client.held.length > 0, 5000, 'a round of sends');
      client.release();
    }
    await until(() => client.held.length === 16, 5000, 'the cap in flight');
    // The whole round fails: one cut (16 → 8), not one per failure.
    client.release(overloaded());
    await settle();
    expect(h.processor.stats().concurrency).toBe(8);
    // The 16 records retry (within their budget) and are accepted; then the senders beyond the
    // limit retire instead of taking new records.
    await until(() => client.held.length === 16, 5000, 'the 16 retries');
    client.release();
    await settle();
    const limit = h.processor.stats().concurrency;
    expect(limit).toBeLessThan(16);
    await until(() => client.held.length > 0, 5000, 'the next round');
    await settle();
    expect(client.held.length).toBe(limit);
    // Failing rounds halve it down to the floor, and never below.
    for (let i = 0; i < 20 && h.processor.stats().concurrency > 2; i++) {
      await until(() => client.held.length > 0, 5000, 'retries');
      client.release(overloaded());
      await settle();
    }
    expect(h.processor.stats().concurrency).toBe(2);
    for (let i = 0; i < 3; i++) {
      await until(() => client.held.length > 0, 5000, 'retries');
      client.release(overloaded());
      await settle();
      expect(h.processor.stats().concurrency).toBe(2);
    }
    // The agent recovers: every record is delivered.
    await drain(h, client);
    expect(h.processor.stats()).toMatchObject({ exported: 400, failed: 0, dropped: 0 });
  });

  it('does not back off when the agent rejects records (it answered)', async () => {
    const client = new HeldClient();
    const h = make(client, { minConcurrency: 2, concurrency: 16 });
    for (let i = 0; i < 100; i++) h.governedCall();
    while (h.processor.stats().concurrency < 16) {
      await until(() => client.held.length > 0, 5000, 'a round of sends');
      client.release();
    }
    await until(() => client.held.length > 0, 5000, 'a round of sends');
    client.release(new RequestRejectedError('Invalid or expired context', { status: 400 }));
    await settle();
    expect(h.processor.stats().concurrency).toBe(16);
    await drain(h, client);
    expect(h.processor.stats()).toMatchObject({ exported: 84, failed: 16 });
  });
});
