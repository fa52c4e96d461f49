import { AxonFlowError, CODES } from './axonflow-error.js';
import { ErrorCode } from './code.js';

/** A streamed reply broke its protocol: truncated, an index going backwards, a block never closed. */
export class StreamProtocolError extends AxonFlowError {
  static override readonly [CODES]: ReadonlySet<string> = new Set([ErrorCode.STREAM_PROTOCOL]);

  override readonly name = 'StreamProtocolError' as const;

  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.STREAM_PROTOCOL, message, options);
  }
}
