/**
 * Turns a stream of events (drops, failures) into at most one diagnostic message per interval,
 * with counts: the first event is reported at once, the ones after it when the interval ends.
 */
export type ReportSink = (count: number, byKind: ReadonlyMap<string, number>, last: string) => void;

export class RateLimitedReport {
  readonly #emit: ReportSink;
  readonly #intervalMs: number;
  #count = 0;
  #byKind = new Map<string, number>();
  #last = '';
  #lastAt = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;

  constructor(emit: ReportSink, intervalMs: number) {
    this.#emit = emit;
    this.#intervalMs = intervalMs;
  }

  /** Counts one event of `kind`; `detail` is kept as the message of the latest one. */
  add(kind: string, detail = ''): void {
    this.#count++;
    this.#byKind.set(kind, (this.#byKind.get(kind) ?? 0) + 1);
    this.#last = detail;
    const now = performance.now();
    const wait = this.#lastAt + this.#intervalMs - now;
    if (wait <= 0) this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), wait);
      this.#timer.unref();
    }
  }

  /** Reports what was counted since the last report, if anything. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#count === 0) return;
    const count = this.#count;
    const byKind = this.#byKind;
    const last = this.#last;
    this.#count = 0;
    this.#byKind = new Map();
    this.#last = '';
    this.#lastAt = performance.now();
    this.#emit(count, byKind, last);
  }
}
