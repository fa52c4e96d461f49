/**
 * Reading decisions out of agent replies: the verdict strictly, everything else leniently.
 *
 * A reply from which `approved === false` (pre-check) or `blocked === true` (proxy) can be read is
 * a deny, whatever else in it is malformed: a deny must never turn into an allow, or into an error
 * that production mode might let through, because a side field had the wrong type. Side fields
 * are read leniently instead: a usable value is kept (capped), an unusable one is dropped and its
 * name recorded in `malformed`, which the gate puts on the pre-check span.
 *
 * Every string kept from the agent is capped here, before it is stored anywhere (result, cache,
 * error): a hostile agent cannot make us hold megabytes per decision.
 */
import { MAX_AGENT_POLICIES, MAX_AGENT_STRING, sanitizeAgentText } from './errors/index.js';
import type { RateLimit } from './types.js';
import {
  BudgetInfoSchema,
  type ClientResponse,
  CodeArtifactSchema,
  type PolicyEvaluationInfo,
} from './wire.js';

/** What a pre-check reply says, once read. */
export interface PreCheckReading {
  approved: boolean;
  /** The agent's context id, or '' when it was missing or unusable. */
  contextId: string;
  policies: string[];
  blockReason: string | undefined;
  expiresAt: Date | undefined;
  requiresRedaction: boolean;
  rateLimit: RateLimit | undefined;
  /** Side fields that were present but unusable, and were dropped or reinterpreted. */
  malformed: string[];
}

/** A proxy reply, with the side fields a lenient read had to drop. */
export type ClientResponseReading = ClientResponse & { malformed?: string[] };

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a pre-check reply. Returns undefined when it holds no boolean `approved` (not a verdict);
 * otherwise the verdict, with side fields read leniently.
 */
export function readPreCheckReply(body: unknown): PreCheckReading | undefined {
  if (!isRecord(body)) return undefined;
  // `blocked: true` (the proxy's word, which some platform error paths use) is a deny too, and
  // wins over a contradicting `approved: true`.
  const denied = body.approved === false || body.blocked === true;
  if (!denied && typeof body.approved !== 'boolean') return undefined;
  const malformed: string[] = [];
  if (body.approved !== false && denied) malformed.push('approved');
  const contextId = readId(body.context_id, 'context_id', malformed, true) ?? '';
  const policies =
    !present(body.policies) && isRecord(body.policy_info)
      ? readNames(body.policy_info.policies_evaluated, 'policy_info.policies_evaluated', malformed)
      : readNames(body.policies, 'policies', malformed);
  // Not used (data-source grants), but a wrong type is still named.
  if (present(body.approved_data) && !isRecord(body.approved_data)) malformed.push('approved_data');
  const blockReason = readText(body.block_reason, 'block_reason', malformed);
  const expiresAt = readDate(body.expires_at, 'expires_at', malformed);
  const requiresRedaction = readFlag(body.requires_redaction, 'requires_redaction', malformed);
  const rateLimit = readRateLimit(body.rate_limit, malformed);
  return {
    approved: !denied,
    contextId,
    policies,
    blockReason,
    expiresAt,
    requiresRedaction,
    rateLimit,
    malformed,
  };
}

/**
 * Reads a proxy reply that says `blocked: true` (any HTTP status): the block with whatever side
 * fields are usable. The result carries no data: a blocked request has none.
 */
export function readBlockedClientResponse(body: Record<string, unknown>): ClientResponseReading {
  const malformed: string[] = [];
  const success = typeof body.success === 'boolean' ? body.success : false;
  if (body.success !== undefined && body.success !== null && typeof body.success !== 'boolean')
    malformed.push('success');
  const reading: ClientResponseReading = {
    success,
    data: undefined,
    result: undefined,
    plan_id: readId(body.plan_id, 'plan_id', malformed, false),
    request_id: readId(body.request_id, 'request_id', malformed, false),
    metadata: undefined,
    error: readText(body.error, 'error', malformed),
    blocked: true,
    block_reason: readText(body.block_reason, 'block_reason', malformed),
    policy_info: readPolicyInfo(body.policy_info, malformed),
    budget_info: readBudget(body.budget_info, malformed),
    steps: undefined,
  };
  if (malformed.length > 0) reading.malformed = malformed;
  return reading;
}

// --- side fields ---------------------------------------------------------------------------------

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/**
 * An identifier: a string of 1 to 256 printable characters, or a finite number (as its decimal
 * text). Anything else, including a longer string, is dropped: a truncated id would name another
 * context, and auditing against it would forge the trail.
 */
function readId(
  value: unknown,
  field: string,
  malformed: string[],
  required: boolean,
): string | undefined {
  let text: string | undefined;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' && Number.isFinite(value)) {
    text = String(value);
    malformed.push(field);
  }
  if (text !== undefined && text.length > 0 && text.length <= MAX_AGENT_STRING) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters make an id unusable
    if (!/[\u0000-\u001f\u007f-\u009f]/.test(text)) return text;
  }
  if ((present(value) || required) && !malformed.includes(field)) malformed.push(field);
  return undefined;
}

/** Free text (a block reason, an error): a string, sanitised and capped; anything else dropped. */
function readText(value: unknown, field: string, malformed: string[]): string | undefined {
  if (typeof value === 'string') return sanitizeAgentText(value, MAX_AGENT_STRING);
  if (present(value)) malformed.push(field);
  return undefined;
}

/**
 * Policy names: an array of strings, or of objects naming the policy (`name`, `policy_name`, `id`
 * or `policy_id`); a single string is a list of one. Unusable entries are dropped, and at most 64
 * names, each capped, are kept.
 */
function readNames(value: unknown, field: string, malformed: string[]): string[] {
  if (!present(value)) return [];
  const items = typeof value === 'string' ? [value] : Array.isArray(value) ? value : undefined;
  if (items === undefined) {
    malformed.push(field);
    return [];
  }
  if (typeof value === 'string') malformed.push(field);
  const names: string[] = [];
  let dropped = false;
  for (const item of items) {
    if (names.length >= MAX_AGENT_POLICIES) {
      dropped = true;
      break;
    }
    const name = typeof item === 'string' ? item : isRecord(item) ? nameOf(item) : undefined;
    if (name === undefined || name === '') dropped = true;
    else names.push(sanitizeAgentText(name, MAX_AGENT_STRING));
  }
  if (dropped && !malformed.includes(field)) malformed.push(field);
  return names;
}

function nameOf(item: Record<string, unknown>): string | undefined {
  for (const key of ['name', 'policy_name', 'id', 'policy_id']) {
    const v = item[key];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

/** An RFC 3339 date string; a number or an unparseable string is dropped. */
function readDate(value: unknown, field: string, malformed: string[]): Date | undefined {
  if (!present(value)) return undefined;
  if (typeof value === 'string' && value !== '' && value.length <= 64) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  malformed.push(field);
  return undefined;
}

const FLAG_FALSE = new Set<unknown>([0, '0', 'false', 'no', '']);

/**
 * `requires_redaction`: a boolean; `"true"`, `"yes"`, `"1"` and `1` read as true, `"false"`, `"no"`,
 * `"0"`, `""` and `0` as false (both recorded as malformed). Any other value reads as true: when
 * the agent may be asking for redaction and we cannot tell, we take it at its word.
 */
function readFlag(value: unknown, field: string, malformed: string[]): boolean {
  if (!present(value)) return false;
  if (typeof value === 'boolean') return value;
  malformed.push(field);
  const word = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (FLAG_FALSE.has(word)) return false;
  return true;
}

function readRateLimit(value: unknown, malformed: string[]): RateLimit | undefined {
  if (!present(value)) return undefined;
  if (
    !isRecord(value) ||
    typeof value.limit !== 'number' ||
    !Number.isFinite(value.limit) ||
    typeof value.remaining !== 'number' ||
    !Number.isFinite(value.remaining)
  ) {
    malformed.push('rate_limit');
    return undefined;
  }
  const resetAt = readDate(value.reset_at, 'rate_limit.reset_at', malformed);
  if (resetAt === undefined) {
    if (!malformed.includes('rate_limit.reset_at')) malformed.push('rate_limit.reset_at');
    return undefined;
  }
  return { limit: value.limit, remaining: value.remaining, resetAt };
}

function readPolicyInfo(value: unknown, malformed: string[]): PolicyEvaluationInfo | undefined {
  if (!present(value)) return undefined;
  if (!isRecord(value)) {
    malformed.push('policy_info');
    return undefined;
  }
  const info: PolicyEvaluationInfo = {
    policies_evaluated: readNames(
      value.policies_evaluated,
      'policy_info.policies_evaluated',
      malformed,
    ),
    static_checks: readNames(value.static_checks, 'policy_info.static_checks', malformed),
    processing_time:
      readText(value.processing_time, 'policy_info.processing_time', malformed) ?? '',
    tenant_id: readText(value.tenant_id, 'policy_info.tenant_id', malformed) ?? '',
  };
  if (present(value.code_artifact)) {
    const artifact = CodeArtifactSchema.safeParse(value.code_artifact);
    if (artifact.success) info.code_artifact = artifact.data;
    else malformed.push('policy_info.code_artifact');
  }
  return info;
}

function readBudget(value: unknown, malformed: string[]): ClientResponse['budget_info'] {
  if (!present(value)) return undefined;
  const budget = BudgetInfoSchema.safeParse(value);
  if (budget.success) {
    const b = budget.data;
    return {
      ...b,
      ...(b.budget_id === undefined ? {} : { budget_id: sanitizeAgentText(b.budget_id, 256) }),
      ...(b.budget_name === undefined
        ? {}
        : { budget_name: sanitizeAgentText(b.budget_name, 256) }),
      ...(b.action === undefined ? {} : { action: sanitizeAgentText(b.action, 64) }),
    };
  }
  malformed.push('budget_info');
  return undefined;
}
