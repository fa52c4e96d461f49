import { describe, expect, it } from 'vitest';
import { errorType } from '../../src/client/errors/index.js';
import { ErrorCode, TimeoutError, UncheckedRequestError } from '../../src/index.js';

/** Shaped like the provider SDKs' errors: a class of their own with a code and a type. */
class InternalServerError extends Error {
  readonly status = 500;
  readonly code = null;
  readonly type = 'server_error';
}
class AuthenticationError extends Error {
  readonly code = 'invalid_api_key';
  readonly type = 'invalid_request_error';
}

describe('errorType', () => {
  it('1. the code of an AxonFlow error, of this copy or another one', () => {
    expect(errorType(new TimeoutError(1))).toBe(ErrorCode.TIMEOUT);
    expect(errorType(new UncheckedRequestError({ reason: 'auth' }))).toBe(ErrorCode.UNCHECKED);
    const foreign = { [Symbol.for('axonflow-otel.error')]: true, code: ErrorCode.AUTH, type: 't' };
    expect(errorType(foreign)).toBe(ErrorCode.AUTH);
  });

  it('2. the class name when it names the failure, before a foreign code or type', () => {
    expect(errorType(new InternalServerError())).toBe('InternalServerError');
    expect(errorType(new AuthenticationError())).toBe('AuthenticationError');
    expect(errorType(new TypeError('x'))).toBe('TypeError');
    expect(errorType(Object.assign(new RangeError('x'), { code: 'ERR_X' }))).toBe('RangeError');
  });

  it('3. the code of a generic error', () => {
    expect(errorType(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    expect(errorType({ code: 'UND_ERR_SOCKET', type: 'ignored' })).toBe('UND_ERR_SOCKET');
  });

  it('4. an SDK-style type: error.type first, then type', () => {
    expect(errorType({ type: 'error', error: { type: 'overloaded_error' } })).toBe(
      'overloaded_error',
    );
    expect(errorType(Object.assign(new Error('x'), { type: 'server_error' }))).toBe('server_error');
    expect(errorType({ type: 'rate_limit_error' })).toBe('rate_limit_error');
  });

  it('5. Error for a generic error, 6. _OTHER for the rest', () => {
    expect(errorType(new Error('x'))).toBe('Error');
    expect(errorType({})).toBe('_OTHER');
    expect(errorType(Object.create(null))).toBe('_OTHER');
    expect(errorType(undefined)).toBe('_OTHER');
    expect(errorType(null)).toBe('_OTHER');
    expect(errorType({ code: 42, type: '' })).toBe('_OTHER');
  });

  it('never throws, and stays short and on one line', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
        getPrototypeOf() {
          throw new Error('boom');
        },
      },
    );
    expect(errorType(hostile)).toBe('_OTHER');
    const long = errorType({ code: `A\nB${'x'.repeat(500)}` });
    expect(long).not.toContain('\n');
    expect(long.length).toBeLessThanOrEqual(65);
  });
});
