/**
 * Evaluates the static policies of `policies.ts` the way the platform's StaticPolicyEngine does:
 * SQL injection first (first hit blocks), then request-type and empty-query validation, then PII
 * (only the first matching pattern counts: it blocks or is flagged). The result carries everything
 * the agent's replies need: the decision, the triggered ids, the checks performed (a check that
 * blocks is listed only for SQL injection and request type, as on the platform) and a Go-style
 * processing time.
 */
import { formatGoDuration } from './http/go-duration.js';
import {
  PII_POLICIES,
  SQL_INJECTION_POLICIES,
  type StaticPolicy,
  VALID_REQUEST_TYPES,
} from './policies.js';

export interface PolicyDecision {
  blocked: boolean;
  blockReason?: string;
  /** Triggered policy ids (the blocking one or the flagged ones), as the platform reports them. */
  triggered: string[];
  /** Checks that ran and passed, for `policy_info.static_checks`. */
  staticChecks: string[];
  /** Go duration string, e.g. "152.3µs". */
  processingTime: string;
  /** Policies that matched but only flag (medium severity, `log` action). */
  flagged: StaticPolicy[];
}

export interface PolicyInput {
  query: string;
  requestType: string;
}

export function blocks(policy: StaticPolicy): boolean {
  return (
    policy.action === 'block' && (policy.severity === 'critical' || policy.severity === 'high')
  );
}

export function matches(policy: StaticPolicy, text: string): boolean {
  return policy.patterns.some(pattern => pattern.test(text));
}

export function evaluatePolicies(input: PolicyInput): PolicyDecision {
  const started = process.hrtime.bigint();
  const checks: string[] = [];
  const done = (decision: Omit<PolicyDecision, 'processingTime' | 'staticChecks'>) => ({
    ...decision,
    staticChecks: checks,
    processingTime: formatGoDuration(process.hrtime.bigint() - started),
  });

  for (const policy of SQL_INJECTION_POLICIES) {
    if (matches(policy, input.query) && blocks(policy)) {
      checks.push(policy.category === 'dangerous_query' ? 'dangerous_queries' : 'sql_injection');
      return done({
        blocked: true,
        blockReason: policy.reason,
        triggered: [policy.id],
        flagged: [],
      });
    }
  }
  // The community user holds the `admin` permission, so the admin-access check passes untested.
  checks.push('sql_injection', 'dangerous_queries', 'admin_access');

  checks.push('request_type');
  if (!VALID_REQUEST_TYPES.has(input.requestType)) {
    return done({ blocked: true, blockReason: 'Invalid request type', triggered: [], flagged: [] });
  }
  if (input.query.trim() === '') {
    return done({
      blocked: true,
      blockReason: 'Empty query not allowed',
      triggered: [],
      flagged: [],
    });
  }
  checks.push('basic_validation');

  const hit = PII_POLICIES.find(policy => matches(policy, input.query));
  if (hit && blocks(hit)) {
    return done({ blocked: true, blockReason: hit.reason, triggered: [hit.id], flagged: [] });
  }
  checks.push('pii_detection');
  return done({
    blocked: false,
    triggered: hit ? [hit.id] : [],
    flagged: hit ? [hit] : [],
  });
}
