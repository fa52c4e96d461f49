/**
 * Anthropic Message Batches under `/v1/messages/batches` (also as `?beta=true`): create, retrieve,
 * list, cancel, delete, and the `.jsonl` results. A batch is answered at once — each request
 * through the same message building as `POST /v1/messages`, so a result is the message that
 * request would get — but the create reply says `in_progress` (every request `processing`), as
 * the API's always does; from then on the batch is `ended`, with its `results_url` and counts.
 * A request the Messages API would refuse, or whose model names a status fault
 * (`sandbox-fault-500`), becomes an `errored` result instead of failing the batch.
 */
import { faultFromModel } from '../faults.js';
import { HttpError, isRecord } from '../http/io.js';
import type { RouteContext } from '../http/router.js';
import { buildMessage, readMessageRequest } from './anthropic-messages.js';
import {
  bodylessCall,
  type ModelCall,
  providerErrorBody,
  requireArray,
  sendModelBytes,
  sendModelJson,
  shortId,
} from './common.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Oldest batches are forgotten past this, so a long-running sandbox does not grow. */
const MAX_STORED_BATCHES = 100;
/** The API's rule for a `custom_id`. */
const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

type BatchResult = { type: 'succeeded'; message: unknown } | { type: 'errored'; error: unknown };

interface StoredBatch {
  id: string;
  createdAt: Date;
  results: { custom_id: string; result: BatchResult }[];
}

/** The batches one sandbox knows, newest last; one store per sandbox. */
export class BatchStore {
  readonly #batches = new Map<string, StoredBatch>();

  add(batch: StoredBatch): void {
    this.#batches.set(batch.id, batch);
    for (const id of this.#batches.keys()) {
      if (this.#batches.size <= MAX_STORED_BATCHES) break;
      this.#batches.delete(id);
    }
  }

  get(id: string): StoredBatch {
    const batch = this.#batches.get(id);
    if (!batch) throw new HttpError(404, `message_batch ${id} not found`);
    return batch;
  }

  delete(id: string): void {
    this.get(id);
    this.#batches.delete(id);
  }

  /** Newest first, as the API lists them. */
  list(): StoredBatch[] {
    return [...this.#batches.values()].reverse();
  }
}

/** `POST /v1/messages/batches`. */
export function createBatch(call: ModelCall, store: BatchStore): void {
  const requests = requireArray(call.body, 'requests');
  const seen = new Set<string>();
  const results = requests.map((request, i) => {
    if (!isRecord(request) || typeof request.custom_id !== 'string') {
      throw new HttpError(400, `requests.${i}.custom_id: Field required`);
    }
    const customId = request.custom_id;
    if (!CUSTOM_ID.test(customId)) {
      throw new HttpError(
        400,
        `requests.${i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`,
      );
    }
    if (seen.has(customId)) {
      throw new HttpError(400, `requests.${i}.custom_id: '${customId}' is not unique in the batch`);
    }
    seen.add(customId);
    if (!isRecord(request.params)) throw new HttpError(400, `requests.${i}.params: Field required`);
    return { custom_id: customId, result: runRequest(request.params) };
  });
  const batch: StoredBatch = { id: `msgbatch_sbx${shortId()}`, createdAt: new Date(), results };
  store.add(batch);
  sendModelJson(call, describe(batch, call.ctx, false));
}

function runRequest(params: Record<string, unknown>): BatchResult {
  const fault = faultFromModel(params.model);
  if (fault?.kind === 'status') {
    return {
      type: 'errored',
      error: errorOf(fault.status, 'Fault injected by the AxonFlow sandbox'),
    };
  }
  try {
    return { type: 'succeeded', message: buildMessage(readMessageRequest(params)).message };
  } catch (err) {
    if (err instanceof HttpError)
      return { type: 'errored', error: errorOf(err.status, err.message) };
    throw err;
  }
}

function errorOf(status: number, message: string): unknown {
  const body = providerErrorBody('anthropic', status, message);
  return isRecord(body) ? { ...body, request_id: null } : body;
}

/** `GET /v1/messages/batches/{id}`. */
export function retrieveBatch(ctx: RouteContext, store: BatchStore): void {
  const batch = store.get(batchId(ctx));
  sendModelJson(bodylessCall(ctx, 'anthropic'), describe(batch, ctx, true));
}

/** `GET /v1/messages/batches?limit=&after_id=&before_id=`: a page, newest first. */
export function listBatches(ctx: RouteContext, store: BatchStore): void {
  const params = ctx.url.searchParams;
  const limit = Number(params.get('limit') ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new HttpError(400, 'limit: Input should be an integer from 1 to 1000');
  }
  let all = store.list();
  const after = params.get('after_id');
  const before = params.get('before_id');
  if (after !== null) all = all.slice(all.findIndex(b => b.id === after) + 1);
  let page: StoredBatch[];
  let hasMore: boolean;
  if (before !== null) {
    const end = all.findIndex(b => b.id === before);
    const preceding = end < 0 ? all : all.slice(0, end);
    page = preceding.slice(-limit);
    hasMore = preceding.length > limit;
  } else {
    page = all.slice(0, limit);
    hasMore = all.length > limit;
  }
  sendModelJson(bodylessCall(ctx, 'anthropic'), {
    data: page.map(b => describe(b, ctx, true)),
    has_more: hasMore,
    first_id: page[0]?.id ?? null,
    last_id: page.at(-1)?.id ?? null,
  });
}

/** `POST /v1/messages/batches/{id}/cancel`: processing has already ended, so nothing changes. */
export function cancelBatch(ctx: RouteContext, store: BatchStore): void {
  const batch = store.get(batchId(ctx));
  sendModelJson(bodylessCall(ctx, 'anthropic'), describe(batch, ctx, true));
}

/** `DELETE /v1/messages/batches/{id}`. */
export function deleteBatch(ctx: RouteContext, store: BatchStore): void {
  const id = batchId(ctx);
  store.delete(id);
  sendModelJson(bodylessCall(ctx, 'anthropic'), { id, type: 'message_batch_deleted' });
}

/** `GET /v1/messages/batches/{id}/results`: one `{custom_id, result}` JSON line per request. */
export function batchResults(ctx: RouteContext, store: BatchStore): void {
  const batch = store.get(batchId(ctx));
  const lines = batch.results.map(line => `${JSON.stringify(line)}\n`).join('');
  sendModelBytes(bodylessCall(ctx, 'anthropic'), 'application/x-jsonl', Buffer.from(lines));
}

function batchId(ctx: RouteContext): string {
  const id = ctx.params.id;
  if (id === undefined) throw new HttpError(404, 'message_batch not found');
  return id;
}

function describe(batch: StoredBatch, ctx: RouteContext, ended: boolean) {
  const created = batch.createdAt.toISOString();
  const count = (type: BatchResult['type']) =>
    ended ? batch.results.filter(line => line.result.type === type).length : 0;
  return {
    id: batch.id,
    type: 'message_batch',
    processing_status: ended ? 'ended' : 'in_progress',
    request_counts: {
      processing: ended ? 0 : batch.results.length,
      succeeded: count('succeeded'),
      errored: count('errored'),
      canceled: 0,
      expired: 0,
    },
    // Processing ended the moment the batch was stored.
    ended_at: ended ? created : null,
    created_at: created,
    expires_at: new Date(batch.createdAt.getTime() + DAY_MS).toISOString(),
    archived_at: null,
    cancel_initiated_at: null,
    results_url: ended ? `${originOf(ctx)}/v1/messages/batches/${batch.id}/results` : null,
  };
}

/**
 * The base URL the client reached the sandbox on: the SDK fetches `results_url` as given, so it
 * must be absolute and name the same host and port.
 */
function originOf(ctx: RouteContext): string {
  const host = ctx.req.headers.host;
  if (host) return `http://${host}`;
  const { localAddress, localPort } = ctx.req.socket;
  const address = localAddress?.includes(':') ? `[${localAddress}]` : localAddress;
  return `http://${address ?? '127.0.0.1'}:${localPort ?? 80}`;
}
