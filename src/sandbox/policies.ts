/**
 * Built-in static policies of the sandbox agent: the SQL-injection and PII patterns of the
 * AxonFlow agent's `StaticPolicyEngine`, as plain data. To add a policy, add an entry; the order
 * of each list IS the evaluation order (see `policy-engine.ts`).
 *
 * Regexes are JavaScript translations of the platform's Go RE2 patterns. RE2's `(?i)` in the middle
 * of an alternation switches case-insensitivity on for the rest of the pattern, which JavaScript
 * cannot express inline, so such a pattern is split into several regexes, any of which matching
 * counts as a match. Without the `u` flag, `\b` and `\d` are ASCII-only, as in RE2.
 *
 * Actions: `block` on a `critical` or `high` policy blocks the request; `log` (all `medium` ones)
 * only adds the policy id to the reply's triggered list and lets the request through.
 *
 * Provenance: PII patterns, severities and reasons are the platform's StaticPolicyEngine's. The
 * SQL-injection rules are a subset of its scanner's; `drop_table` / `delete_without_where` are the
 * sandbox's names for rules the platform ships as seed policies.
 */

export type Severity = 'critical' | 'high' | 'medium' | 'low';
export type PolicyAction = 'block' | 'log';
export type PolicyCategory = 'sql_injection' | 'dangerous_query' | 'pii';

export interface StaticPolicy {
  /** The id the platform reports in `policies_evaluated` / `policies` (static-engine name). */
  id: string;
  /** The platform's seed id for the same rule, for cross-reference, when it has one. */
  seedId?: string;
  category: PolicyCategory;
  severity: Severity;
  action: PolicyAction;
  /** Any one matching means the policy matches. */
  patterns: readonly RegExp[];
  /** `block_reason` when it blocks; for PII the platform uses the pattern description. */
  reason: string;
}

/** Evaluated first, in this order; the first match decides. */
export const SQL_INJECTION_POLICIES: readonly StaticPolicy[] = [
  {
    id: 'union_select',
    seedId: 'sys_sqli_union_select',
    category: 'sql_injection',
    severity: 'critical',
    action: 'block',
    patterns: [/\bUNION\s+(ALL\s+)?SELECT\b/i],
    reason: 'SQL injection attempt detected: union_select',
  },
  {
    id: 'or_true_condition',
    seedId: 'sys_sqli_or_true',
    category: 'sql_injection',
    severity: 'high',
    action: 'block',
    patterns: [/\bOR\s+['"]?\d+['"]?\s*=\s*['"]?\d+['"]?/i],
    reason: 'SQL injection attempt detected: or_true_condition',
  },
  {
    id: 'sleep_function',
    seedId: 'sys_sqli_sleep',
    category: 'sql_injection',
    severity: 'critical',
    action: 'block',
    patterns: [/\bSLEEP\s*\(\s*\d+\s*\)/i],
    reason: 'SQL injection attempt detected: sleep_function',
  },
  {
    id: 'semicolon_drop',
    seedId: 'sys_sqli_stacked_drop',
    category: 'sql_injection',
    severity: 'critical',
    action: 'block',
    patterns: [/;\s*DROP\s+(TABLE|DATABASE)\b/i],
    reason: 'SQL injection attempt detected: semicolon_drop',
  },
  {
    id: 'line_comment_double_dash',
    category: 'sql_injection',
    severity: 'high',
    action: 'block',
    patterns: [/--\s*(UNION|SELECT|INSERT|UPDATE|DELETE|DROP)/i],
    reason: 'SQL injection attempt detected: line_comment_double_dash',
  },
  {
    id: 'drop_table',
    seedId: 'sys_sqli_drop_table',
    category: 'dangerous_query',
    severity: 'critical',
    action: 'block',
    patterns: [/\bDROP\s+TABLE\b/i],
    reason: 'Dangerous query detected: drop_table',
  },
  {
    id: 'delete_without_where',
    seedId: 'sys_sqli_delete_no_where',
    category: 'dangerous_query',
    severity: 'critical',
    action: 'block',
    // RE2 `$` without (?m) is end of text, as in JavaScript without the `m` flag.
    patterns: [/\bDELETE\s+FROM\s+\w+\s*(?:;|$)/i],
    reason: 'Dangerous query detected: delete_without_where',
  },
];

/**
 * PII, in the StaticPolicyEngine's order: credit card, PAN, Aadhaar, SSN, email, phone, IP, IBAN,
 * passport, date of birth, bank account, booking reference. Only the FIRST matching pattern counts
 * (as on the platform), so a prompt with an email and an SSN is blocked for the SSN, while one with
 * an email and an IBAN is only flagged for the email. Because the phone pattern matches any seven
 * trailing digits, an IBAN or bank account number ending in digits is flagged as a phone number
 * there too; write them with a trailing letter, or alone, to see those policies fire.
 */
export const PII_POLICIES: readonly StaticPolicy[] = [
  {
    id: 'credit_card_detection',
    seedId: 'sys_pii_credit_card',
    category: 'pii',
    severity: 'critical',
    action: 'block',
    patterns: [
      /\b(?:4\d{12}(?:\d{3})?|5[1-5]\d{14}|2[2-7]\d{14}|3[47]\d{13}|6(?:011|5\d{2})\d{12}|3(?:0[0-5]|[68]\d)\d{11}|(?:2131|1800|35\d{3})\d{11})\b|\b(?:\d{4}[- ]\d{4}[- ]\d{4}[- ]\d{4}|3[47]\d{2}[- ]\d{4}[- ]\d{4}[- ]\d{3}|3(?:0[0-5]|[68]\d)\d[- ]\d{4}[- ]\d{4}[- ]\d{2})\b/,
    ],
    reason: 'Credit card numbers detected - automatic redaction required for PCI compliance',
  },
  {
    id: 'pan_detection',
    seedId: 'sys_pii_pan',
    category: 'pii',
    severity: 'critical',
    action: 'block',
    patterns: [/\b[A-Z]{3}[PCHABGJLFT][A-Z][0-9]{4}[A-Z]\b/, /PAN[:\s]+\b[A-Z0-9]{10}\b/i],
    reason:
      'Indian Permanent Account Number (PAN) detected - automatic redaction required under SEBI guidelines',
  },
  {
    id: 'aadhaar_detection',
    seedId: 'sys_pii_aadhaar',
    category: 'pii',
    severity: 'critical',
    action: 'block',
    patterns: [
      /\b[2-9][0-9]{3}\s?[0-9]{4}\s?[0-9]{4}\b/,
      /aadhaar[:\s]+[2-9][0-9]{11}/i,
      /UID[:\s]+[2-9][0-9]{11}/i,
    ],
    reason: 'Indian Aadhaar number detected - automatic redaction required under DPDP Act 2023',
  },
  {
    id: 'ssn_detection',
    seedId: 'sys_pii_ssn',
    category: 'pii',
    severity: 'critical',
    action: 'block',
    patterns: [/\b(\d{3})[- ]?(\d{2})[- ]?(\d{4})\b/],
    reason: 'Social Security Number detected - automatic redaction required',
  },
  {
    id: 'email_detection',
    seedId: 'sys_pii_email',
    category: 'pii',
    severity: 'medium',
    action: 'log',
    patterns: [/\b[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}\b/],
    reason: 'Email address detected - may require redaction under GDPR',
  },
  {
    id: 'phone_detection',
    seedId: 'sys_pii_phone',
    category: 'pii',
    severity: 'medium',
    action: 'log',
    patterns: [
      /(?:\+?1[-.\s]?)?(?:\(?[0-9]{3}\)?[-.\s]?)?[0-9]{3}[-.\s]?[0-9]{4}\b|\+[0-9]{1,3}[-.\s]?[0-9]{6,14}\b/,
    ],
    reason: 'Phone number detected - may require redaction for privacy',
  },
  {
    id: 'ip_address_detection',
    seedId: 'sys_pii_ip_address',
    category: 'pii',
    severity: 'medium',
    action: 'log',
    patterns: [
      /\b(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\b/,
    ],
    reason: 'IP address detected - may identify user location',
  },
  {
    id: 'iban_detection',
    seedId: 'sys_pii_iban',
    category: 'pii',
    severity: 'critical',
    action: 'block',
    patterns: [/\b[A-Z]{2}[0-9]{2}[A-Z0-9]{4}[0-9]{7}(?:[A-Z0-9]?){0,16}\b/],
    reason: 'International Bank Account Number detected - automatic redaction required',
  },
  {
    id: 'passport_number_detection',
    seedId: 'sys_pii_passport',
    category: 'pii',
    severity: 'high',
    action: 'block',
    patterns: [/\b[A-Z]{1,2}[0-9]{6,9}\b/],
    reason: 'Passport numbers detected in query - automatic redaction required',
  },
  {
    id: 'dob_detection',
    category: 'pii',
    // High on the platform too, but a date in a prompt is far more often not a birth date: flag it.
    severity: 'high',
    action: 'log',
    patterns: [
      /\b(?:(?:0?[1-9]|1[0-2])[/-](?:0?[1-9]|[12][0-9]|3[01])[/-](?:19|20)\d{2}|(?:19|20)\d{2}[/-](?:0?[1-9]|1[0-2])[/-](?:0?[1-9]|[12][0-9]|3[01]))\b/,
    ],
    reason: 'Date detected - may be date of birth requiring protection',
  },
  {
    id: 'bank_account_detection',
    seedId: 'sys_pii_bank_account',
    category: 'pii',
    severity: 'critical',
    action: 'block',
    patterns: [/\b[0-9]{9}[- ]?[0-9]{8,17}\b/],
    reason: 'Bank account information detected - automatic redaction required',
  },
  {
    id: 'booking_reference_logging',
    category: 'pii',
    severity: 'low',
    action: 'log',
    patterns: [/\b[A-Z0-9]{6}\b/],
    reason: 'Booking reference detected - logged for audit trail (not blocked)',
  },
];

/** Request types the platform's static engine accepts, plus the ones the DB engine routes. */
export const VALID_REQUEST_TYPES: ReadonlySet<string> = new Set([
  'sql',
  'llm_chat',
  'rag_search',
  'test',
  'multi-agent-plan',
  'chat',
  'completion',
  'embedding',
  'mcp-query',
  'generate-plan',
  'execute-plan',
]);
