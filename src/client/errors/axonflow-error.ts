/**
 * The base class of every error of axonflow-otel, and how `instanceof` sees across copies of the
 * package (an app can load both its ESM and its CommonJS build, and two copies of a class are two
 * classes).
 *
 * Each error has a literal `name` (never derived from `constructor.name`, which a minifier
 * renames) and a stable `code`. Every instance carries a brand, `Symbol.for('axonflow-otel.error')`,
 * which every copy shares; `value instanceof SomeError` is true for a real instance, and for a
 * branded value from another copy whose `code` is one of the codes `SomeError` stands for (its
 * own, and its subclasses'). Match on `code` all the same: it is the documented contract.
 */
import type { ErrorCode } from './code.js';

/** The brand every copy of this package puts on its errors. */
export const BRAND: unique symbol = Symbol.for('axonflow-otel.error');

/**
 * Own static of each of our error classes: the codes its instances and its subclasses' instances
 * carry (`undefined`: any code of ours). A subclass defined outside this package has none, so it
 * only matches its own instances.
 */
export const CODES: unique symbol = Symbol('axonflow-otel.error.codes');

/** An error of this package, from this copy or another one: branded, with a string `code`. */
export function isAxonFlowError(value: unknown): value is AxonFlowError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [BRAND]?: unknown })[BRAND] === true &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}

export class AxonFlowError extends Error {
  static readonly [CODES]: ReadonlySet<string> | undefined = undefined;

  override readonly name: string = 'AxonFlowError';
  readonly code: ErrorCode;
  /** HTTP status of the agent reply, when there was one. */
  readonly status: number | undefined;

  constructor(code: ErrorCode, message: string, options?: { status?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options?.status;
  }

  get [BRAND](): true {
    return true;
  }

  /**
   * `instanceof` that also recognises errors from another copy of this package: the brand and a
   * `code` this class stands for.
   */
  static override [Symbol.hasInstance](this: Function, value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (!Object.hasOwn(this, CODES) || !isAxonFlowError(value)) return false;
    const codes = (this as { [CODES]?: ReadonlySet<string> })[CODES];
    return codes === undefined || codes.has(value.code);
  }
}
