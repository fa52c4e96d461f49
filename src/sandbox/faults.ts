/**
 * Fault injection, so tests can see how code behaves when the model or the agent misbehaves.
 *
 * A fault is chosen per request, first match wins:
 * 1. a fault queued on the sandbox handle (`injectModelFault` / `injectAgentFault`),
 * 2. the `x-sandbox-fault` request header,
 * 3. for model routes, a model name `sandbox-fault-<fault>` (e.g. `sandbox-fault-429`), which
 *    works with SDKs that cannot set headers.
 *
 * Faults: an HTTP status (`429`, `500`, `503`, `529`, any 400-599) answered with the provider's
 * error body; `stall` (never answer; the client must time out or abort); `stall-mid` (streams:
 * send a few events, then go silent); `cut` (streams: destroy the socket after a few events;
 * non-streaming: after half the body); `reset` (destroy the socket before any byte);
 * `flow-error` (AXON streams: the flow fails mid-way and reports it in-band).
 */

export type Fault =
  | { kind: 'status'; status: number }
  | { kind: 'stall' }
  | { kind: 'stall-mid' }
  | { kind: 'cut' }
  | { kind: 'reset' }
  | { kind: 'flow-error' };

export const FAULT_HEADER = 'x-sandbox-fault';
export const FAULT_MODEL_PREFIX = 'sandbox-fault-';
/** How many stream events go out before `cut` / `stall-mid` strike. */
export const EVENTS_BEFORE_FAULT = 3;

export function parseFault(value: unknown): Fault | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  if (/^[45]\d\d$/.test(text)) return { kind: 'status', status: Number(text) };
  switch (text) {
    case 'stall':
    case 'stall-mid':
    case 'cut':
    case 'reset':
    case 'flow-error':
      return { kind: text };
    default:
      return undefined;
  }
}

export function faultFromModel(model: unknown): Fault | undefined {
  if (typeof model !== 'string' || !model.startsWith(FAULT_MODEL_PREFIX)) return undefined;
  return parseFault(model.slice(FAULT_MODEL_PREFIX.length));
}

/** A FIFO of faults injected through the sandbox handle, each used for one request. */
export class FaultQueue {
  #queue: Fault[] = [];

  push(fault: Fault, times: number): void {
    for (let i = 0; i < times; i++) this.#queue.push(fault);
  }

  take(): Fault | undefined {
    return this.#queue.shift();
  }

  clear(): void {
    this.#queue = [];
  }
}
