/**
 * Per-call identity and context for governance, carried in the OpenTelemetry context so that it
 * follows the code across `await` and into every governed call made inside `fn`.
 */
import { type Context, context, createContextKey } from '@opentelemetry/api';

export interface AxonFlowCallContext {
  /** The end user's token, sent with each pre-check. */
  userToken?: string;
  /** Data sources the call draws on, sent with each pre-check. */
  dataSources?: string[];
  /** Extra context for the policy decision (merged with the provider and model). */
  context?: Record<string, unknown>;
}

// createContextKey uses Symbol.for, so both builds of this package read the same key.
const KEY = createContextKey('axonflow-otel.call-context');

/**
 * Runs `fn` with `callContext` applied to every governed LLM call inside it. Nested calls merge:
 * the inner `userToken` and `dataSources` win, `context` objects are merged key by key.
 */
export function withAxonFlowContext<T>(callContext: AxonFlowCallContext, fn: () => T): T {
  const outer = getAxonFlowContext(context.active());
  const merged: AxonFlowCallContext = outer
    ? {
        ...outer,
        ...callContext,
        context: { ...outer.context, ...callContext.context },
      }
    : callContext;
  return context.with(context.active().setValue(KEY, merged), fn);
}

export function getAxonFlowContext(ctx: Context): AxonFlowCallContext | undefined {
  return ctx.getValue(KEY) as AxonFlowCallContext | undefined;
}
