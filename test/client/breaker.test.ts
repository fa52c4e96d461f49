/**
 * The circuit breaker on a clock the test moves: every boundary is checked to the millisecond,
 * without waiting for real time to pass.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from '../../src/client/breaker.js';

/** A clock that only moves when told to. */
function manualClock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

function openBreaker(resetTimeoutMs = 150) {
  const clock = manualClock();
  const breaker = new CircuitBreaker({ failureThreshold: 3, resetTimeoutMs, now: clock.now });
  for (let i = 0; i < 3; i++) {
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onFailure();
  }
  expect(breaker.state).toBe('open');
  return { breaker, clock };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('circuit breaker', () => {
  it('stays closed below the threshold and opens on the failure that reaches it', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({
      failureThreshold: 3,
      resetTimeoutMs: 150,
      now: clock.now,
    });
    breaker.onFailure();
    breaker.onFailure();
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onFailure();
    expect(breaker.state).toBe('open');
    expect(breaker.refusing).toBe(true);
  });

  it('counts consecutive failures only: a success in between starts the count again', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 3, resetTimeoutMs: 150 });
    breaker.onFailure();
    breaker.onFailure();
    breaker.onSuccess();
    breaker.onFailure();
    breaker.onFailure();
    expect(breaker.state).toBe('closed');
    breaker.onFailure();
    expect(breaker.state).toBe('open');
  });

  it('refuses every call until exactly resetTimeoutMs has passed, then lets one probe through', () => {
    const { breaker, clock } = openBreaker(150);
    clock.advance(149);
    expect(breaker.refusing).toBe(true);
    expect(breaker.tryAcquire()).toBe(false);
    expect(breaker.state).toBe('open');
    clock.advance(1);
    expect(breaker.refusing).toBe(false);
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.state).toBe('half_open');
    // Only one probe at a time, however long the probe takes.
    clock.advance(10_000);
    expect(breaker.tryAcquire()).toBe(false);
  });

  it('re-opens on a failed probe, for a full reset period counted from the probe failure', () => {
    const { breaker, clock } = openBreaker(150);
    clock.advance(150);
    expect(breaker.tryAcquire()).toBe(true);
    clock.advance(40); // the probe takes 40 ms to fail
    breaker.onFailure();
    expect(breaker.state).toBe('open');
    clock.advance(149);
    expect(breaker.tryAcquire()).toBe(false);
    clock.advance(1);
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.state).toBe('half_open');
  });

  it('closes on a successful probe and then needs the full threshold to open again', () => {
    const { breaker, clock } = openBreaker(150);
    clock.advance(150);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onSuccess();
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onFailure();
    breaker.onFailure();
    expect(breaker.state).toBe('closed');
  });

  it('never counts a neutral outcome, and closes when the probe gets one (the agent answered)', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({
      failureThreshold: 1,
      resetTimeoutMs: 150,
      now: clock.now,
    });
    for (let i = 0; i < 5; i++) breaker.onNeutral();
    expect(breaker.state).toBe('closed');
    breaker.onFailure();
    expect(breaker.state).toBe('open');
    clock.advance(150);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onNeutral();
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
  });

  it('reads the wall clock by default', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const breaker = new CircuitBreaker({ failureThreshold: 1, resetTimeoutMs: 10_000 });
    breaker.onFailure();
    vi.advanceTimersByTime(9_999);
    expect(breaker.tryAcquire()).toBe(false);
    vi.advanceTimersByTime(1);
    expect(breaker.tryAcquire()).toBe(true);
  });
});
