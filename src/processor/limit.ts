/**
 * Adaptive concurrency of the audit span processor: how many records it may send at the same
 * time, between a floor and a cap, adjusted with AIMD (additive increase, multiplicative decrease,
 * as TCP congestion control) from what the sends themselves show.
 *
 * - Growth, only while the limit binds (every sender is busy and records wait in the queue: more
 *   senders would have work) and the smoothed latency of recent sends (an EWMA, as TCP's SRTT, so
 *   one lucky or unlucky answer decides nothing) is at most `LATENCY_TOLERANCE` times the fastest
 *   recent send: the agent, the network, our event loop and our connection pool are not queueing,
 *   so more in flight means more throughput, not just more delay. (On loopback, where a few
 *   senders already saturate the CPU, latency grows first and the limit stays low.) Below the
 *   slow-start threshold each such send adds one (the limit doubles per round trip, so a backlog
 *   behind a distant agent is met within a few round trips); above it, one per round trip.
 * - Smoothed latency above that while the limit binds ends slow start: the limit then only creeps.
 * - Back-off on overload (5xx, 429, network errors, timeouts, an open breaker): the limit is
 *   halved, not below the floor, at most once per round of sends: the failures of sends started
 *   before a cut describe the load before it and do not cut again.
 *
 * The floor is what the processor always allows (and starts with), so a record waiting to retry
 * never holds up the ones behind it for lack of a slot; the cap bounds the connections audit
 * records can hold, and with them the pre-checks they could delay. Pure arithmetic on the times
 * it is given: no timers, nothing to release.
 */

/**
 * A send slower than this many times the fastest recent one means something is queueing. Below 2,
 * where doubling the senders would double the delay and gain nothing, with room for jitter.
 */
export const LATENCY_TOLERANCE = 1.5;
/**
 * The fastest send is remembered over two windows of this length (the current and the previous
 * one), so the baseline follows an agent that moved or became slower for good.
 */
export const BASELINE_WINDOW_MS = 10_000;
/** Weight of the newest send in the smoothed latency (TCP's SRTT uses 1/8). */
export const LATENCY_SMOOTHING = 1 / 8;

export class ConcurrencyLimit {
  readonly #min: number;
  readonly #max: number;
  /** Fractional: congestion avoidance adds 1/limit per send. */
  #limit: number;
  /** Slow start (add one per send) while the limit is below this. */
  #threshold: number;
  /** Sends started so far: each send's ordinal tells whether it started after the last cut. */
  #started = 0;
  #lastCut = 0;
  #windowStart = Number.NEGATIVE_INFINITY;
  #fastest = Number.POSITIVE_INFINITY;
  #fastestBefore = Number.POSITIVE_INFINITY;
  #smoothed = Number.NaN;

  constructor(min: number, max: number) {
    this.#min = min;
    this.#max = max;
    this.#limit = min;
    this.#threshold = max;
  }

  /** Sends allowed at the same time now. */
  get current(): number {
    return Math.floor(this.#limit);
  }

  /** Call when a send starts; pass the ordinal back with its outcome. */
  start(): number {
    return ++this.#started;
  }

  /**
   * A send the agent accepted, in `latencyMs`, at `now` (milliseconds). `binding`: every sender
   * allowed was busy when it started, and records wait in the queue now.
   */
  onAnswer(latencyMs: number, binding: boolean, now: number): void {
    if (now - this.#windowStart >= BASELINE_WINDOW_MS) {
      this.#fastestBefore = this.#fastest;
      this.#fastest = Number.POSITIVE_INFINITY;
      this.#windowStart = now;
    }
    if (latencyMs < this.#fastest) this.#fastest = latencyMs;
    this.#smoothed = Number.isNaN(this.#smoothed)
      ? latencyMs
      : this.#smoothed + (latencyMs - this.#smoothed) * LATENCY_SMOOTHING;
    if (!binding || this.#limit >= this.#max) return;
    const baseline = Math.min(this.#fastest, this.#fastestBefore);
    if (this.#smoothed > baseline * LATENCY_TOLERANCE) {
      // Latency grows with the load: stop doubling, keep probing slowly.
      if (this.#threshold > this.#limit) this.#threshold = this.#limit;
      return;
    }
    this.#limit = Math.min(
      this.#max,
      this.#limit < this.#threshold ? this.#limit + 1 : this.#limit + 1 / this.#limit,
    );
  }

  /** A send that found the agent overloaded or unreachable; `ordinal` from `start()`. */
  onOverload(ordinal: number): void {
    if (ordinal <= this.#lastCut) return;
    this.#limit = Math.max(this.#min, this.#limit / 2);
    this.#threshold = this.#limit;
    this.#lastCut = this.#started;
  }
}
