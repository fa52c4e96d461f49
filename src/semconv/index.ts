/**
 * Attribute, span and metric names. GenAI names are copied from the released semantic conventions
 * (the JS package advises against importing its incubating entry at run time, and the GenAI
 * conventions are still moving), so every name we emit is defined here, in one place.
 *
 * Conventions version: the spans and metrics follow the GenAI semantic conventions **v1.41.0**,
 * the last release of `open-telemetry/semantic-conventions` with `docs/gen-ai/` and
 * `model/gen-ai/` in it (the same names as the incubating entry of
 * `@opentelemetry/semantic-conventions` 1.45.0, where each of them is marked "Moved to the
 * OpenTelemetry GenAI semantic conventions repository").
 *
 * Newer names: the GenAI conventions now live in `open-telemetry/semantic-conventions-genai`,
 * which has no release yet and renames some of these (for instance
 * `gen_ai.usage.cache_creation.input_tokens` → `gen_ai.usage.cache_write.input_tokens`, and the
 * `gen_ai.client.token.usage` histogram → token counters). Its `CHANGELOG.md` ("Unreleased",
 * "Breaking") and the YAML under `model/gen-ai/` list them; the constants of a newer
 * `@opentelemetry/semantic-conventions/incubating` say `@deprecated Replaced by …` for renamed
 * ones. Change a name here only with a release of the conventions, and update
 * `test/semconv/names.test.ts`, which checks every GenAI name below against the package.
 */
export const SEMCONV_VERSION = '1.41.0';

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
/** The development name of `gen_ai.usage.cache_creation.input_tokens` (semantic-conventions-genai). */
export const LATEST_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS = 'gen_ai.usage.cache_write.input_tokens';
/** Which OpenAI API served the call (`chat_completions`, `responses`). */
export const ATTR_OPENAI_API_TYPE = 'openai.api.type';
export const OPENAI_API_TYPE_CHAT_COMPLETIONS = 'chat_completions';
export const OPENAI_API_TYPE_RESPONSES = 'responses';
export const ATTR_GEN_AI_TOOL_DEFINITIONS = 'gen_ai.tool.definitions';
export const ATTR_EXCEPTION_TYPE = 'exception.type';
export const ATTR_EXCEPTION_MESSAGE = 'exception.message';
export const ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = 'gen_ai.response.time_to_first_chunk';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS =
  'gen_ai.usage.cache_creation.input_tokens';
/** Included in `gen_ai.usage.output_tokens`. */
export const ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = 'gen_ai.usage.reasoning.output_tokens';
/** Every usage attribute starts with this (see the usage rule in `governed-call.ts`). */
export const GEN_AI_USAGE_PREFIX = 'gen_ai.usage.';
/** The output format the request asks for: `text` or `json` (set only when the request says). */
export const ATTR_GEN_AI_OUTPUT_TYPE = 'gen_ai.output.type';
export const GEN_AI_OUTPUT_TYPE_TEXT = 'text';
export const GEN_AI_OUTPUT_TYPE_JSON = 'json';
export const GEN_AI_OUTPUT_TYPE_IMAGE = 'image';
export const GEN_AI_OUTPUT_TYPE_SPEECH = 'speech';
export const ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT = 'gen_ai.embeddings.dimension.count';
/** The finish reason of a response that ends with tool calls (output-message `finish_reason`). */
export const FINISH_REASON_TOOL_CALL = 'tool_call';
export const ATTR_GEN_AI_CONVERSATION_ID = 'gen_ai.conversation.id';
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';
export const ATTR_GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages';
export const ATTR_GEN_AI_SYSTEM_INSTRUCTIONS = 'gen_ai.system_instructions';
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_ERROR_TYPE = 'error.type';

// OpenAI (semantic conventions, openai.md)
export const ATTR_OPENAI_REQUEST_SERVICE_TIER = 'openai.request.service_tier';
export const ATTR_OPENAI_RESPONSE_SERVICE_TIER = 'openai.response.service_tier';
export const ATTR_OPENAI_RESPONSE_SYSTEM_FINGERPRINT = 'openai.response.system_fingerprint';

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

/** `gen_ai.operation.name` values: the conventions' own, where one fits the request. */
export const GEN_AI_OPERATION_CHAT = 'chat';
export const GEN_AI_OPERATION_EMBEDDINGS = 'embeddings';
export const GEN_AI_OPERATION_TEXT_COMPLETION = 'text_completion';
export const GEN_AI_OPERATION_GENERATE_CONTENT = 'generate_content';
/** Ours, for requests that send model input but fit no conventions value. */
export const OPERATION_COUNT_TOKENS = 'count_tokens';
export const OPERATION_BATCH = 'batch';

export const SPAN_PRE_CHECK = 'axonflow.pre_check';
export const SPAN_DELEGATE = 'axonflow.delegate';

// Metrics (gen-ai-metrics.md) and ours
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = 'gen_ai.client.operation.duration';
export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = 'gen_ai.client.token.usage';
export const METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK =
  'gen_ai.client.operation.time_to_first_chunk';
export const METRIC_GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK =
  'gen_ai.client.operation.time_per_output_chunk';
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
