import { describe, expect, it } from 'vitest';
import {
  PII_POLICIES,
  SQL_INJECTION_POLICIES,
  type StaticPolicy,
} from '../../src/sandbox/policies.js';
import { evaluatePolicies, matches } from '../../src/sandbox/policy-engine.js';

const ALL = [...SQL_INJECTION_POLICIES, ...PII_POLICIES];

function policy(id: string): StaticPolicy {
  const found = ALL.find(p => p.id === id);
  if (!found) throw new Error(`no policy ${id}`);
  return found;
}

/** [policy id, text it must match, text it must not match] */
const SAMPLES: [string, string, string][] = [
  ['union_select', "1' UNION SELECT password FROM accounts", 'the union selected a new leader'],
  ['or_true_condition', "admin' OR '1'='1", 'coffee or tea, 2 = 2'],
  ['sleep_function', 'id=1 AND SLEEP(5)', 'I need sleep (lots of it)'],
  ['semicolon_drop', '1; DROP TABLE accounts', 'drop the table by the window'],
  ['line_comment_double_dash', "name' --SELECT 1", 'a -- b'],
  ['drop_table', 'DROP TABLE accounts', 'a drop-table design'],
  ['delete_without_where', 'DELETE FROM accounts;', 'DELETE FROM accounts WHERE id = 3'],
  ['credit_card_detection', 'card 4111 1111 1111 1111', 'card 4111 1111'],
  ['pan_detection', 'my PAN is ABCPE1234F', 'code ABCXE1234F'],
  ['aadhaar_detection', 'aadhaar 2345 6789 0123', 'number 1234 5678 9012'],
  ['ssn_detection', 'SSN 123-45-6789', 'call 12-345-678'],
  ['email_detection', 'write to jane.doe@example.com', 'jane at example dot com'],
  ['phone_detection', 'call (555) 123-4567', 'room 12-34'],
  ['ip_address_detection', 'server 192.168.1.20', 'version 1.2.3'],
  ['iban_detection', 'IBAN GB82WEST12345698765432', 'gb82west12345698765432'],
  ['passport_number_detection', 'passport X1234567', 'passport x1234567'],
  ['dob_detection', 'born 12/31/1990', 'ratio 12/31'],
  ['bank_account_detection', 'account 021000021-1234567890', 'account 0210-0002'],
  ['booking_reference_logging', 'booking ABC123', 'booking abc123'],
];

describe('built-in policies', () => {
  it('has a sample pair for every policy', () => {
    expect(SAMPLES.map(s => s[0]).sort()).toEqual(ALL.map(p => p.id).sort());
  });

  it.each(SAMPLES)('%s matches its sample and not the benign text', (id, bad, benign) => {
    expect(matches(policy(id), bad)).toBe(true);
    expect(matches(policy(id), benign)).toBe(false);
  });

  it.each([
    'What is the capital of France?',
    'Write a haiku about the sea',
    'Call the get_weather tool for Paris',
    'Summarize the Q3 report in 3 bullet points',
    'Translate "good morning" into Spanish',
  ])('lets the benign prompt %j through unflagged', query => {
    const decision = evaluatePolicies({ query, requestType: 'chat' });
    expect(decision.blocked).toBe(false);
    expect(decision.triggered).toEqual([]);
  });
});

describe('evaluation order and outcome', () => {
  it('blocks email + SSN for the SSN (SSN precedes email)', () => {
    const d = evaluatePolicies({ query: 'email a@b.co and SSN 123-45-6789', requestType: 'chat' });
    expect(d.blocked).toBe(true);
    expect(d.triggered).toEqual(['ssn_detection']);
    expect(d.blockReason).toBe('Social Security Number detected - automatic redaction required');
    // The blocking check is not listed as performed, as on the platform.
    expect(d.staticChecks).toEqual([
      'sql_injection',
      'dangerous_queries',
      'admin_access',
      'request_type',
      'basic_validation',
    ]);
  });

  it('flags a medium policy and lets the request through', () => {
    const d = evaluatePolicies({ query: 'mail jane@example.com the notes', requestType: 'chat' });
    expect(d.blocked).toBe(false);
    expect(d.triggered).toEqual(['email_detection']);
    expect(d.staticChecks.at(-1)).toBe('pii_detection');
  });

  it('counts only the first PII match: email before IBAN is flagged, not blocked', () => {
    const d = evaluatePolicies({
      query: 'jane@example.com pays from GB82WEST1234569876543A',
      requestType: 'chat',
    });
    expect(d).toMatchObject({ blocked: false, triggered: ['email_detection'] });
    const alone = evaluatePolicies({
      query: 'pay from GB82WEST1234569876543A',
      requestType: 'chat',
    });
    expect(alone).toMatchObject({ blocked: true, triggered: ['iban_detection'] });
  });

  it('blocks high-severity block policies (passport) but only flags high log ones (date)', () => {
    expect(evaluatePolicies({ query: 'passport AB123456', requestType: 'chat' })).toMatchObject({
      blocked: true,
      triggered: ['passport_number_detection'],
    });
    expect(evaluatePolicies({ query: 'born 12/31/1990', requestType: 'chat' })).toMatchObject({
      blocked: false,
      triggered: ['dob_detection'],
    });
  });

  it('checks SQL injection before PII and names the pattern', () => {
    const d = evaluatePolicies({
      query: "SSN 123-45-6789' UNION SELECT * FROM accounts",
      requestType: 'sql',
    });
    expect(d).toMatchObject({
      blocked: true,
      triggered: ['union_select'],
      blockReason: 'SQL injection attempt detected: union_select',
      staticChecks: ['sql_injection'],
    });
    expect(evaluatePolicies({ query: 'DROP TABLE t', requestType: 'sql' })).toMatchObject({
      blockReason: 'Dangerous query detected: drop_table',
      staticChecks: ['dangerous_queries'],
    });
  });

  it('rejects unknown request types and empty queries like the static engine', () => {
    expect(evaluatePolicies({ query: 'hi', requestType: 'banana' })).toMatchObject({
      blocked: true,
      blockReason: 'Invalid request type',
    });
    expect(evaluatePolicies({ query: '   ', requestType: 'chat' })).toMatchObject({
      blocked: true,
      blockReason: 'Empty query not allowed',
    });
  });

  it('reports a Go duration string as processing time', () => {
    const d = evaluatePolicies({ query: 'hello', requestType: 'chat' });
    expect(d.processingTime).toMatch(/^\d+(\.\d+)?(ns|µs|ms|s)$/);
  });
});
