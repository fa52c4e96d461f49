/**
 * A call's policy decision: how a pre-check result or failure becomes one, and the attributes it
 * puts on the `axonflow.pre_check` span and on the call span. The only place that turns agent
 * replies into outcomes; the gate (`GovernedCall.enterGate`) only acts on them.
 */
import type { Attributes } from '@opentelemetry/api';
import type { AxonFlowClient } from '../client/client.js';
import {
  errorType,
  PolicyViolationError,
  RedactionRequiredError,
  sanitizeAgentText,
  UncheckedRequestError,
} from '../client/errors.js';
import { gateError } from '../client/gate.js';
import type { PreCheckResult } from '../client/types.js';
import * as sc from '../semconv/index.js';

export type Decision =
  | { kind: 'allow'; result: PreCheckResult }
  | { kind: 'deny'; result: PreCheckResult; violation: PolicyViolationError }
  /** Not checked, by design: the agent was unavailable (production mode) or we failed. */
  | { kind: 'fail_open'; reason: string; result: PreCheckResult | undefined }
  /** Nothing to check (`no_prompt`). */
  | { kind: 'skipped'; reason: string }
  /** Could not be checked and must not go ahead (`UncheckedRequestError` and kin). */
  | { kind: 'error'; error: unknown };

/** Longest agent-supplied string kept in an attribute. */
const MAX_AGENT_ATTR = 256;
/** Side fields of the agent's reply that were unusable and dropped (string[]). */
const ATTR_REPLY_MALFORMED_FIELDS = 'axonflow.reply.malformed_fields';
/** The agent approved only with redaction (`requires_redaction`); set when the call went ahead. */
const ATTR_REDACTION_REQUIRED = 'axonflow.redaction_required';
/** Why a call that could not be checked was blocked (`UncheckedRequestError.reason`). */
const ATTR_UNCHECKED_REASON = 'axonflow.unchecked.reason';

/** A decision that stops the call at the gate. */
export function stops(
  decision: Decision,
): decision is Extract<Decision, { kind: 'deny' | 'error' }> {
  return decision.kind === 'deny' || decision.kind === 'error';
}

/** The decision a pre-check result makes, by the client's redaction rule. */
export function decisionFromResult(result: PreCheckResult, redactionAllowed: boolean): Decision {
  if (result.failOpen) {
    return { kind: 'fail_open', reason: result.failOpenReason ?? 'unknown', result };
  }
  if (result.approved && !(result.requiresRedaction && !redactionAllowed)) {
    return { kind: 'allow', result };
  }
  const init: ConstructorParameters<typeof PolicyViolationError>[0] = {
    policies: result.policies,
    contextId: result.contextId,
  };
  if (result.blockReason !== undefined) init.blockReason = result.blockReason;
  // Approved with redaction: the reply carries no redacted text to send instead, so not an allow.
  const violation = result.approved
    ? new RedactionRequiredError(init)
    : new PolicyViolationError(init);
  return { kind: 'deny', result, violation };
}

/**
 * The decision a failed pre-check makes. A call that could not be checked is blocked, as a
 * `PolicyViolationError` subclass (the only errors that reach the app); in production mode
 * unavailability has already failed open in the client, and anything else (our own bug) lets the
 * call through.
 */
export function decisionFromError(err: unknown, mode: AxonFlowClient['mode']): Decision {
  const blocked = gateError(err, mode);
  return blocked
    ? { kind: 'error', error: blocked }
    : { kind: 'fail_open', reason: errorType(err), result: undefined };
}

/** The decision's attributes: all of them for the pre-check span, a subset for the call span. */
export function decisionAttributes(decision: Decision): { preCheck: Attributes; call: Attributes } {
  const preCheck: Attributes = { [sc.ATTR_AXONFLOW_DECISION]: decision.kind };
  const call: Attributes = { [sc.ATTR_AXONFLOW_DECISION]: decision.kind };
  switch (decision.kind) {
    case 'allow':
    case 'deny': {
      const r = decision.result;
      const contextId = sanitizeAgentText(r.contextId, MAX_AGENT_ATTR);
      preCheck[sc.ATTR_AXONFLOW_CONTEXT_ID] = contextId;
      call[sc.ATTR_AXONFLOW_CONTEXT_ID] = contextId;
      preCheck[sc.ATTR_AXONFLOW_CACHE_HIT] = r.cached;
      call[sc.ATTR_AXONFLOW_CACHE_HIT] = r.cached;
      if (r.policies.length > 0) {
        preCheck[sc.ATTR_AXONFLOW_POLICIES] = r.policies
          .slice(0, 32)
          .map(p => sanitizeAgentText(p, 128));
      }
      if (decision.kind === 'deny') {
        preCheck[sc.ATTR_AXONFLOW_BLOCK_REASON] = sanitizeAgentText(
          decision.violation instanceof RedactionRequiredError
            ? decision.violation.blockReason
            : (r.blockReason ?? ''),
          MAX_AGENT_ATTR,
        );
      }
      if (r.approved && r.requiresRedaction) {
        preCheck[ATTR_REDACTION_REQUIRED] = true;
        call[ATTR_REDACTION_REQUIRED] = true;
      }
      if (r.malformedFields !== undefined && r.malformedFields.length > 0) {
        preCheck[ATTR_REPLY_MALFORMED_FIELDS] = r.malformedFields.slice(0, 32);
      }
      break;
    }
    case 'fail_open':
      for (const attrs of [preCheck, call]) {
        attrs[sc.ATTR_AXONFLOW_FAIL_OPEN] = true;
        attrs[sc.ATTR_AXONFLOW_FAIL_OPEN_REASON] = decision.reason;
        attrs[sc.ATTR_AXONFLOW_CACHE_HIT] = false;
      }
      break;
    case 'error':
      for (const attrs of [preCheck, call]) {
        attrs[sc.ATTR_ERROR_TYPE] = errorType(decision.error);
        if (decision.error instanceof UncheckedRequestError) {
          attrs[ATTR_UNCHECKED_REASON] = decision.error.reason;
        }
      }
      break;
  }
  return { preCheck, call };
}

/** The pre-check span's error status message, for decisions that are failures. */
export function decisionFailure(decision: Decision): string | undefined {
  if (decision.kind === 'fail_open') return decision.reason;
  if (decision.kind === 'error') return errorType(decision.error);
  return undefined;
}

/** Why a delegated call's audit record has no context id (`axonflow.audit.skipped`). */
export function auditSkipReason(decision: Decision | undefined): string | undefined {
  if (decision === undefined) return 'no_decision';
  if (decision.kind === 'fail_open') return `fail_open:${decision.reason}`;
  if (decision.kind === 'skipped') return decision.reason;
  return undefined;
}
