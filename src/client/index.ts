/**
 * The AxonFlow client part: everything that talks to the AxonFlow agent. Re-exports its public
 * surface; transport, breaker, cache and heartbeat stay internal.
 */
export type {
  AxonDialect,
  AxonMetadata,
  AxonStream,
  AxonStreamEvent,
} from './axon-stream.js';
export { AxonFlowClient, type CallOptions } from './client.js';
export type {
  AxonFlowClientConfig,
  BreakerOptions,
  CacheOptions,
  GatePolicy,
  Mode,
  RetryOptions,
} from './config.js';
export {
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
  type UncheckedReason,
  UncheckedRequestError,
} from './errors/index.js';
export type * from './types.js';
export * as wire from './wire.js';
