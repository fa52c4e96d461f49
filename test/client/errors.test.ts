import { afterEach, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  AxonFlowError,
  ConfigError,
  ErrorCode,
  InvalidResponseError,
  PolicyViolationError,
  RedactionRequiredError,
  RequestRejectedError,
  StreamProtocolError,
  TimeoutError,
  UnavailableError,
  UncheckedRequestError,
} from '../../src/index.js';

/** One instance of each class, with the literal name and the code it must carry. */
const cases: [Function, () => AxonFlowError, string, string][] = [
  [
    AxonFlowError,
    () => new AxonFlowError(ErrorCode.CONFIG, 'x'),
    'AxonFlowError',
    ErrorCode.CONFIG,
  ],
  [
    PolicyViolationError,
    () => new PolicyViolationError({}),
    'PolicyViolationError',
    ErrorCode.POLICY_VIOLATION,
  ],
  [
    UncheckedRequestError,
    () => new UncheckedRequestError({ reason: 'auth' }),
    'UncheckedRequestError',
    ErrorCode.UNCHECKED,
  ],
  [
    RedactionRequiredError,
    () => new RedactionRequiredError({}),
    'RedactionRequiredError',
    ErrorCode.REDACTION_REQUIRED,
  ],
  [AuthenticationError, () => new AuthenticationError('x'), 'AuthenticationError', ErrorCode.AUTH],
  [
    UnavailableError,
    () => new UnavailableError('network', 'x'),
    'UnavailableError',
    ErrorCode.UNAVAILABLE,
  ],
  [TimeoutError, () => new TimeoutError(5), 'TimeoutError', ErrorCode.TIMEOUT],
  [
    InvalidResponseError,
    () => new InvalidResponseError('x'),
    'InvalidResponseError',
    ErrorCode.INVALID_RESPONSE,
  ],
  [ConfigError, () => new ConfigError('s', 'x'), 'ConfigError', ErrorCode.CONFIG],
  [
    RequestRejectedError,
    () => new RequestRejectedError('x'),
    'RequestRejectedError',
    ErrorCode.REQUEST_REJECTED,
  ],
  [
    StreamProtocolError,
    () => new StreamProtocolError('x'),
    'StreamProtocolError',
    ErrorCode.STREAM_PROTOCOL,
  ],
];

/** What another copy of the package (its other build) throws: not our class, same brand. */
function foreign(code: string, extra: Record<string, unknown> = {}): object {
  return { [Symbol.for('axonflow-otel.error')]: true, code, message: 'm', ...extra };
}

const renamed: [Function, PropertyDescriptor][] = [];
afterEach(() => {
  for (const [cls, descriptor] of renamed.splice(0)) Object.defineProperty(cls, 'name', descriptor);
});

describe('errors', () => {
  it.each(cases)('%o has a literal name and a stable code', (cls, make, name, code) => {
    const err = make();
    expect(err.name).toBe(name);
    expect(err.code).toBe(code);
    expect(err).toBeInstanceOf(cls);
    expect(err).toBeInstanceOf(AxonFlowError);
    expect(err).toBeInstanceOf(Error);
    expect(String(err)).toMatch(new RegExp(`^${name}: `));
    expect(err.stack).toMatch(new RegExp(`^${name}: `));
  });

  it('keeps the names when a minifier renames the classes', () => {
    for (const [cls] of cases) {
      renamed.push([cls, Object.getOwnPropertyDescriptor(cls, 'name')!]);
      Object.defineProperty(cls, 'name', { value: 'e' });
    }
    for (const [, make, name] of cases) expect(make().name).toBe(name);
  });

  it('recognises an error of another copy of the package by its brand and code', () => {
    expect(foreign(ErrorCode.TIMEOUT)).toBeInstanceOf(TimeoutError);
    expect(foreign(ErrorCode.TIMEOUT)).toBeInstanceOf(AxonFlowError);
    expect(foreign(ErrorCode.TIMEOUT)).not.toBeInstanceOf(UnavailableError);
    expect(foreign(ErrorCode.TIMEOUT)).not.toBeInstanceOf(PolicyViolationError);
    // The subclasses of PolicyViolationError are violations too, and only themselves.
    for (const code of [
      ErrorCode.POLICY_VIOLATION,
      ErrorCode.UNCHECKED,
      ErrorCode.REDACTION_REQUIRED,
    ]) {
      expect(foreign(code)).toBeInstanceOf(PolicyViolationError);
    }
    expect(foreign(ErrorCode.UNCHECKED)).toBeInstanceOf(UncheckedRequestError);
    expect(foreign(ErrorCode.UNCHECKED)).not.toBeInstanceOf(RedactionRequiredError);
    expect(foreign(ErrorCode.POLICY_VIOLATION)).not.toBeInstanceOf(UncheckedRequestError);
    for (const [cls, , , code] of cases.slice(1)) expect(foreign(code)).toBeInstanceOf(cls);
  });

  it('does not go by class names: a foreign class named like ours is not ours without the brand', () => {
    class PolicyViolationErrorLookalike extends Error {
      readonly code = ErrorCode.POLICY_VIOLATION;
    }
    Object.defineProperty(PolicyViolationErrorLookalike, 'name', { value: 'PolicyViolationError' });
    expect(new PolicyViolationErrorLookalike()).not.toBeInstanceOf(PolicyViolationError);
    expect({ code: ErrorCode.TIMEOUT, name: 'TimeoutError' }).not.toBeInstanceOf(TimeoutError);
    expect(
      foreign(ErrorCode.TIMEOUT, { [Symbol.for('axonflow-otel.error')]: 'yes' }),
    ).not.toBeInstanceOf(AxonFlowError);
    expect(foreign(42 as unknown as string)).not.toBeInstanceOf(AxonFlowError);
    for (const value of [null, undefined, 'AXONFLOW_TIMEOUT', 7]) {
      expect(value).not.toBeInstanceOf(AxonFlowError);
    }
  });

  it('lets an app subclass match only its own instances', () => {
    class AppTimeout extends TimeoutError {}
    expect(new AppTimeout(1)).toBeInstanceOf(AppTimeout);
    expect(new AppTimeout(1)).toBeInstanceOf(TimeoutError);
    expect(new TimeoutError(1)).not.toBeInstanceOf(AppTimeout);
    expect(foreign(ErrorCode.TIMEOUT)).not.toBeInstanceOf(AppTimeout);
  });
});
