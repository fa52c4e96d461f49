/**
 * A governed call's life as an explicit state machine. The pipeline (`GovernedCall`) moves it;
 * nothing else writes it.
 *
 *   pending ─▶ checking ─▶ decided ─▶ delegated ─▶ ended
 *      │          │           │                     ▲
 *      └──────────┴───────────┴─────────────────────┘  (an error, a deny, an abort: any phase)
 *
 * - `pending`: the call exists; its request has not been read (the SDK has not reached the gate).
 * - `checking`: a pre-check is in flight (`checking` holds its promise).
 * - `decided`: the decision is known (`decision`): allow, deny, fail open, skipped, or blocked.
 * - `delegated`: the gate let the request through to the provider.
 * - `ended`: spans ended, metrics recorded, audit handed off; reached exactly once.
 *
 * A retry re-enters the gate from `delegated`: a request whose body is unchanged keeps its
 * decision (one pre-check per logical call); a changed body goes back to `pending` and is checked
 * again. `endedFrom` keeps the phase the call ended in, which is how "was it delegated" is known.
 */
import type { Decision } from './decision.js';

export type CallPhase = 'pending' | 'checking' | 'decided' | 'delegated' | 'ended';

export class CallState {
  phase: CallPhase = 'pending';
  /** Set in `decided` and kept through `delegated` and `ended`. */
  decision: Decision | undefined;
  /** The pre-check in flight, while `checking`. */
  checking: Promise<Decision> | undefined;
  /** The phase the call was in when it ended. */
  endedFrom: CallPhase | undefined;
  /** A pre-check was made or served from the cache: the call is audited if it is delegated. */
  governed = false;

  get ended(): boolean {
    return this.phase === 'ended';
  }

  /** True once the request went to the provider (and stays true after the end). */
  get delegated(): boolean {
    return this.phase === 'delegated' || this.endedFrom === 'delegated';
  }

  /** The request changed since it was checked: it is read and checked again. */
  reset(): void {
    if (this.ended) return;
    this.phase = 'pending';
    this.decision = undefined;
    this.checking = undefined;
  }

  check(pending: Promise<Decision>): void {
    if (this.ended) return;
    this.phase = 'checking';
    this.checking = pending;
    this.governed = true;
  }

  decide(decision: Decision, governed: boolean): void {
    if (this.ended) return;
    this.decision = decision;
    this.checking = undefined;
    this.phase = 'decided';
    if (governed) this.governed = true;
  }

  /** The gate let the request through. Only an allowing decision (or none) can get here. */
  delegate(): void {
    if (this.ended) return;
    this.phase = 'delegated';
  }

  /** Returns true the first time only: the caller then does the work of the end. */
  end(): boolean {
    if (this.ended) return false;
    this.endedFrom = this.phase;
    this.phase = 'ended';
    this.checking = undefined;
    return true;
  }
}
