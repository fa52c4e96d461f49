/**
 * Gateway contexts: the ids an audit must refer to. A pre-check creates one (approved or not), and
 * so does an allowed `/api/request` (its `request_id`, which SDK interceptors audit against).
 * Like the platform, a context expires five minutes after it was issued and belongs to the client
 * it was issued to.
 */
import { randomUUID } from 'node:crypto';

export interface GatewayContext {
  id: string;
  clientId: string;
  approved: boolean;
  policies: string[];
  issuedAt: number;
  expiresAt: number;
  source: 'pre-check' | 'request';
}

/** The platform's `defaultContextExpiry`. */
export const DEFAULT_CONTEXT_TTL_MS = 5 * 60 * 1000;
/** Bounds memory for a long-running sandbox; the oldest contexts go first. */
const MAX_CONTEXTS = 10_000;

export class ContextStore {
  readonly #ttlMs: number;
  readonly #contexts = new Map<string, GatewayContext>();

  constructor(ttlMs: number = DEFAULT_CONTEXT_TTL_MS) {
    this.#ttlMs = ttlMs;
  }

  issue(
    init: Pick<GatewayContext, 'clientId' | 'approved' | 'policies' | 'source'>,
  ): GatewayContext {
    const now = Date.now();
    const context: GatewayContext = {
      ...init,
      id: randomUUID(),
      issuedAt: now,
      expiresAt: now + this.#ttlMs,
    };
    if (this.#contexts.size >= MAX_CONTEXTS) this.#evict(now);
    this.#contexts.set(context.id, context);
    return context;
  }

  /** The context if it exists, has not expired and belongs to `clientId`. */
  lookup(id: string, clientId: string): GatewayContext | undefined {
    const context = this.#contexts.get(id);
    if (!context || context.expiresAt <= Date.now() || context.clientId !== clientId) {
      return undefined;
    }
    return context;
  }

  #evict(now: number): void {
    for (const [id, context] of this.#contexts) {
      if (context.expiresAt <= now) this.#contexts.delete(id);
    }
    // Still full: drop the oldest (Map keeps insertion order).
    while (this.#contexts.size >= MAX_CONTEXTS) {
      const oldest = this.#contexts.keys().next().value;
      if (oldest === undefined) break;
      this.#contexts.delete(oldest);
    }
  }
}
