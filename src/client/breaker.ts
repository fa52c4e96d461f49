/**
 * Circuit breaker for the agent. Closed: calls go through and consecutive unavailability failures
 * are counted. Open: calls are refused at once (a dead agent costs one clock read per call) until
 * `resetTimeoutMs` has passed. Half-open: exactly one probe goes through; success closes the
 * circuit, failure opens it again. Auth errors are not unavailability and never count.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

export class CircuitBreaker {
  readonly #threshold: number;
  readonly #resetMs: number;
  readonly #now: () => number;
  #failures = 0;
  #openedAt = 0;
  #state: BreakerState = 'closed';
  #probeInFlight = false;

  constructor(options: { failureThreshold: number; resetTimeoutMs: number; now?: () => number }) {
    this.#threshold = options.failureThreshold;
    this.#resetMs = options.resetTimeoutMs;
    this.#now = options.now ?? Date.now;
  }

  get state(): BreakerState {
    return this.#state;
  }

  /** True while the circuit is open and not yet due for a probe; no side effect. */
  get refusing(): boolean {
    return this.#state === 'open' && this.#now() - this.#openedAt < this.#resetMs;
  }

  /**
   * Asks to make a call. Returns false when the circuit refuses it. A `true` in half-open state
   * makes the caller the probe: it must report `onSuccess` or `onFailure` (or `onNeutral`).
   */
  tryAcquire(): boolean {
    if (this.#state === 'closed') return true;
    if (this.#state === 'open') {
      if (this.#now() - this.#openedAt < this.#resetMs) return false;
      this.#state = 'half_open';
    }
    if (this.#probeInFlight) return false;
    this.#probeInFlight = true;
    return true;
  }

  onSuccess(): void {
    this.#failures = 0;
    this.#probeInFlight = false;
    this.#state = 'closed';
  }

  onFailure(): void {
    this.#probeInFlight = false;
    if (this.#state === 'half_open') {
      this.#open();
      return;
    }
    this.#failures += 1;
    if (this.#failures >= this.#threshold) this.#open();
  }

  /** The call ended in a way that says nothing about availability (e.g. an auth error). */
  onNeutral(): void {
    if (this.#state === 'half_open') {
      // The agent answered, so it is up: close rather than leave the probe slot taken.
      this.onSuccess();
    }
  }

  #open(): void {
    this.#state = 'open';
    this.#openedAt = this.#now();
    this.#failures = 0;
  }
}
