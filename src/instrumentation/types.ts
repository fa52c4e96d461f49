/**
 * Public configuration of AxonFlowInstrumentation. Each option states its default and the
 * environment variable that sets it when the option is not given.
 */
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { AxonFlowClient } from '../client/client.js';

/**
 * A client family the instrumentation patches: `openai`, `@anthropic-ai/sdk` (with
 * `@anthropic-ai/bedrock-sdk` and `@anthropic-ai/vertex-sdk`), `groq-sdk`, `ai` (the Vercel AI
 * SDK, whatever its provider), `google` (`@google/genai`), `bedrock`
 * (`@aws-sdk/client-bedrock-runtime`), `mistral` (`@mistralai/mistralai`) and `cohere`
 * (`cohere-ai`).
 */
export type Provider =
  | 'openai'
  | 'anthropic'
  | 'groq'
  | 'ai'
  | 'google'
  | 'bedrock'
  | 'mistral'
  | 'cohere';

export interface AxonFlowInstrumentationConfig extends InstrumentationConfig {
  /**
   * The client that runs pre-checks. When absent, one is built with `AxonFlowClient.fromEnv()`
   * (from the `AXONFLOW_*` variables) the first time governance is needed.
   */
  client?: AxonFlowClient;
  /**
   * Run a policy pre-check before each LLM call and gate it on the decision. `false` keeps the
   * tracing and makes no agent calls at all. @default true (`AXONFLOW_GOVERNANCE=off` turns it off)
   */
  governance?: boolean;
  /**
   * Record prompts and completions on the `chat` span (`gen_ai.input.messages`,
   * `gen_ai.output.messages`, `gen_ai.system_instructions`). Off by default: they may hold
   * personal or secret data. @default false (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`)
   */
  captureMessageContent?: boolean;
  /**
   * Longest captured content attribute, in characters; longer values are cut and marked.
   * @default 16384
   */
  maxCapturedContentChars?: number;
  /**
   * Characters of the response kept as the audit record's summary. The summary goes only to
   * AxonFlow, never into a span attribute. @default 100 (`AXONFLOW_RESPONSE_SUMMARY_CHARS`)
   */
  responseSummaryChars?: number;
  /** Which client families to instrument. @default all of them */
  enabledProviders?: Provider[];
}
