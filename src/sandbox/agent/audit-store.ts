/**
 * Audit records of `POST /api/audit/llm-call`: kept in memory (newest last, capped) and, when the
 * sandbox was given an audit file, appended to it as one JSON object per line. A record is on disk
 * before the audit call is answered, so a test that got its `audit_id` can read the file at once.
 */
import { appendFile } from 'node:fs/promises';
import type { TokenUsageWire } from '../../client/wire.js';

export interface AuditRecord {
  audit_id: string;
  context_id: string;
  client_id: string;
  provider: string;
  model: string;
  response_summary: string;
  token_usage: TokenUsageWire;
  latency_ms: number;
  metadata: Record<string, unknown>;
  /** The platform's formula: total tokens × price per 1K / 1000 (flat unknown-provider price). */
  cost_usd: number;
  /** Whether the context's pre-check approved the call. */
  approved: boolean;
  /** RFC 3339 time the sandbox recorded it. */
  recorded_at: string;
  /** Sandbox only: the W3C `traceparent` the audit request carried, when it carried one. */
  traceparent?: string;
}

export interface AuditFilter {
  contextId?: string;
  clientId?: string;
}

/** The platform's price for a provider it has no entry for, per 1K tokens. */
export const FLAT_PRICE_PER_1K_USD = 0.01;
const MAX_IN_MEMORY = 10_000;

export class AuditStore {
  readonly #file: string | undefined;
  readonly #records: AuditRecord[] = [];
  #writes: Promise<void> = Promise.resolve();

  constructor(file?: string) {
    this.#file = file;
  }

  /** Creates the file if needed, so a bad path fails at startup, not at the first audit. */
  async open(): Promise<void> {
    if (this.#file !== undefined) await appendFile(this.#file, '');
  }

  async add(record: AuditRecord): Promise<void> {
    this.#records.push(record);
    if (this.#records.length > MAX_IN_MEMORY) this.#records.shift();
    if (this.#file === undefined) return;
    const file = this.#file;
    // Chained so lines land in the order the audits were answered.
    const write = this.#writes.then(() => appendFile(file, `${JSON.stringify(record)}\n`));
    this.#writes = write.catch(err => {
      console.error(`[axonflow-sandbox] could not append to audit file ${file}:`, err);
    });
    await this.#writes;
  }

  list(filter: AuditFilter = {}): AuditRecord[] {
    return this.#records.filter(
      r =>
        (filter.contextId === undefined || r.context_id === filter.contextId) &&
        (filter.clientId === undefined || r.client_id === filter.clientId),
    );
  }

  /** Resolves when every pending file write has finished. */
  flush(): Promise<void> {
    return this.#writes;
  }
}
