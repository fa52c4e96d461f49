/**
 * Attribute, span and metric names. GenAI names are copied from the released semantic conventions
 * (the JS package advises against importing its incubating entry at run time, and the GenAI
 * conventions are still moving), so every name we emit is defined here, in one place.
 */

// GenAI inference span (semantic conventions, gen-ai-spans.md)
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens';
export const ATTR_GEN_AI_REQUEST_TEMPERATURE = 'gen_ai.request.temperature';
export const ATTR_GEN_AI_REQUEST_TOP_P = 'gen_ai.request.top_p';
export const ATTR_GEN_AI_REQUEST_TOP_K = 'gen_ai.request.top_k';
export const ATTR_GEN_AI_REQUEST_STOP_SEQUENCES = 'gen_ai.request.stop_sequences';
export const ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY = 'gen_ai.request.frequency_penalty';
export const ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY = 'gen_ai.request.presence_penalty';
export const ATTR_GEN_AI_REQUEST_SEED = 'gen_ai.request.seed';
export const ATTR_GEN_AI_REQUEST_CHOICE_COUNT = 'gen_ai.request.choice.count';
export const ATTR_GEN_AI_REQUEST_STREAM = 'gen_ai.request.stream';
export const ATTR_GEN_AI_REQUEST_ENCODING_FORMATS = 'gen_ai.request.encoding_formats';
export const ATTR_GEN_AI_RESPONSE_ID = 'gen_ai.response.id';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
export const ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = 'gen_ai.response.time_to_first_chunk';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS =
  'gen_ai.usage.cache_creation.input_tokens';
export const ATTR_GEN_AI_CONVERSATION_ID = 'gen_ai.conversation.id';
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';
export const ATTR_GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages';
export const ATTR_GEN_AI_SYSTEM_INSTRUCTIONS = 'gen_ai.system_instructions';
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_ERROR_TYPE = 'error.type';

// AxonFlow governance (vendor namespace: no released GenAI guardrail conventions exist)
export const ATTR_AXONFLOW_DECISION = 'axonflow.decision';
export const ATTR_AXONFLOW_CONTEXT_ID = 'axonflow.context_id';
export const ATTR_AXONFLOW_POLICIES = 'axonflow.policies';
export const ATTR_AXONFLOW_BLOCK_REASON = 'axonflow.block_reason';
export const ATTR_AXONFLOW_CACHE_HIT = 'axonflow.cache.hit';
export const ATTR_AXONFLOW_FAIL_OPEN = 'axonflow.fail_open';
export const ATTR_AXONFLOW_FAIL_OPEN_REASON = 'axonflow.fail_open.reason';
export const ATTR_AXONFLOW_AUDIT_SKIPPED = 'axonflow.audit.skipped';
export const ATTR_AXONFLOW_STREAM_CANCELLED = 'axonflow.stream.cancelled';

export const DECISION_ALLOW = 'allow';
export const DECISION_DENY = 'deny';
export const DECISION_FAIL_OPEN = 'fail_open';
export const DECISION_SKIPPED = 'skipped';

export const SPAN_PRE_CHECK = 'axonflow.pre_check';
export const SPAN_DELEGATE = 'axonflow.delegate';

// Metrics (gen-ai-metrics.md) and ours
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = 'gen_ai.client.operation.duration';
export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = 'gen_ai.client.token.usage';
export const METRIC_AXONFLOW_PRE_CHECK_DURATION = 'axonflow.pre_check.duration';
export const METRIC_AXONFLOW_DECISIONS = 'axonflow.decisions';

export const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
export const PRE_CHECK_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];
export const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
