/**
 * The explicit API, for code no module hook can reach (an app bundled with esbuild, webpack or
 * Next.js, where the client package is inlined): `governClient(client)` governs one client
 * instance with the same pre-check, gate, spans and audit as the hooks. It uses the enabled
 * `AxonFlowInstrumentation` (the register entry's, or the app's own); with none enabled, it starts
 * one from the environment, which then also patches any client package loaded afterwards.
 *
 * This file owns telling a client's family (by its class names, else by its shape: a minified
 * bundle renames classes) and governing a Stainless-generated client (`openai`, Anthropic, Groq)
 * through own `request` / `prepareOptions` properties. The other families are governed by the
 * same functions their hooks use, applied to the one instance (`methods/*.ts`,
 * `govern…Instance`): own properties of the `GoogleGenAI` client's `models`, of the `Mistral`
 * client's `chat` / `embeddings`, of the Cohere client's `V2Client`, and the governance
 * middleware on the Bedrock client's own stack.
 */
import { diag } from '@opentelemetry/api';
import { notice } from '../notices/index.js';
import type { CallEnvironment } from '../pipeline/governed-call.js';
import { currentEnvironmentSource } from './environment.js';
import { AxonFlowInstrumentation } from './instrumentation.js';
import { governBedrockRuntimeInstance } from './methods/bedrock-runtime.js';
import { governCohereInstance } from './methods/cohere.js';
import type { InstanceDependencies } from './methods/families.js';
import { governGoogleGenAiInstance } from './methods/google-genai.js';
import { governMistralInstance } from './methods/mistral.js';
import { wrapPrepareOptions, wrapRequest } from './stainless/request-hook.js';
import type { StainlessFamily } from './stainless/routes.js';
import type { Provider } from './types.js';

/** The instrumentation's diag logger is per instance; the explicit API logs under the same name. */
const explicitDiag = diag.createComponentLogger({ namespace: 'axonflow-otel' });

/** The environment of a call made through the explicit API (undefined: not instrumented now). */
export function callEnvironment(family: Provider): CallEnvironment | undefined {
  const source = currentEnvironmentSource() ?? new AxonFlowInstrumentation();
  return source.environmentFor(family);
}

/** A client family `governClient` governs. */
export type ClientFamily = StainlessFamily | 'google' | 'bedrock' | 'mistral' | 'cohere';

/** Class names of each family's client classes, matched along an instance's prototype chain. */
const CLASS_NAMES: ReadonlyArray<readonly [RegExp, ClientFamily]> = [
  [/^(Base)?(OpenAI|AzureOpenAI)$/, 'openai'],
  [/^(Base)?Anthropic(Bedrock|Vertex)?$/, 'anthropic'],
  [/^Groq$/, 'groq'],
  [/^GoogleGenAI$/, 'google'],
  [/^BedrockRuntime(Client)?$/, 'bedrock'],
  [/^Mistral$/, 'mistral'],
  // Cohere's AWS clients extend these two, and are governed the way the hook governs them.
  [/^CohereClient(V2)?$/, 'cohere'],
];

/** Which family a client belongs to: by its class chain, else by its shape. */
function familyOf(client: unknown): ClientFamily | undefined {
  if (client === null || typeof client !== 'object') return undefined;
  try {
    for (
      let p = Object.getPrototypeOf(client);
      p && p !== Object.prototype;
      p = Object.getPrototypeOf(p)
    ) {
      const name = (p.constructor as { name?: string } | undefined)?.name ?? '';
      for (const [pattern, family] of CLASS_NAMES) if (pattern.test(name)) return family;
    }
    // Minified class names: the shape. The Stainless clients first: they also have a `chat`.
    const c = client as Record<string, any>;
    if (typeof c.request === 'function' && typeof c.prepareOptions === 'function') {
      if (typeof c.chat?.completions?.create === 'function') return 'openai';
      if (typeof c.messages?.create === 'function') return 'anthropic';
      return undefined;
    }
    if (typeof c.models?.generateContent === 'function') return 'google';
    if (typeof c.send === 'function' && c.middlewareStack !== undefined) return 'bedrock';
    if (typeof c.chat?.complete === 'function') return 'mistral';
    if (c.v2 !== undefined || typeof c.chatStream === 'function') return 'cohere';
  } catch {
    // A getter of the app's object threw: not a client we know.
  }
  return undefined;
}

function isWrapped(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as { __wrapped?: boolean }).__wrapped === true;
}

/**
 * Governs a Stainless client (`openai`, `@anthropic-ai/sdk`, `groq-sdk`): its `request` and
 * `prepareOptions`, wrapped as own properties of the instance. False when it has neither.
 */
function governStainlessInstance(
  client: object,
  family: StainlessFamily,
  deps: InstanceDependencies,
): boolean {
  const c = client as Record<string, any>;
  if (typeof c.request !== 'function' || typeof c.prepareOptions !== 'function') return false;
  // Governed already: by an earlier call, or by the hook (its class's methods are wrapped).
  if (isWrapped(c.request) && isWrapped(c.prepareOptions)) return true;
  const request = wrapRequest(c.request, family, deps);
  const prepare = wrapPrepareOptions(c.prepareOptions, family, deps);
  Object.defineProperty(request, '__wrapped', { value: true });
  Object.defineProperty(prepare, '__wrapped', { value: true });
  // Own properties of the instance: its class, and every other instance, stay as they were.
  Object.defineProperty(client, 'request', { value: request, configurable: true, writable: true });
  Object.defineProperty(client, 'prepareOptions', {
    value: prepare,
    configurable: true,
    writable: true,
  });
  return true;
}

/** How each family governs one instance; false: the object is not shaped like its client. */
const GOVERNORS: Readonly<
  Record<ClientFamily, (client: object, deps: InstanceDependencies) => boolean>
> = {
  openai: (client, deps) => governStainlessInstance(client, 'openai', deps),
  anthropic: (client, deps) => governStainlessInstance(client, 'anthropic', deps),
  groq: (client, deps) => governStainlessInstance(client, 'groq', deps),
  google: governGoogleGenAiInstance,
  bedrock: governBedrockRuntimeInstance,
  mistral: governMistralInstance,
  cohere: governCohereInstance,
};

/** What each family's client is, for the error of an object that is not one. */
const EXPECTED: Readonly<Record<ClientFamily, string>> = {
  openai: 'an openai client (request and prepareOptions methods)',
  anthropic: 'an @anthropic-ai/sdk client (request and prepareOptions methods)',
  groq: 'a groq-sdk client (request and prepareOptions methods)',
  google: 'a @google/genai GoogleGenAI (models.generateContent)',
  bedrock: 'an @aws-sdk/client-bedrock-runtime client (send and middlewareStack)',
  mistral: 'a @mistralai/mistralai Mistral (chat.complete)',
  cohere: 'a cohere-ai CohereClientV2 or CohereClient (its V2Client)',
};

const FAMILY_NAMES = Object.keys(GOVERNORS).map(name => `"${name}"`);

export interface GovernClientOptions {
  /** The client's family, when it cannot be told from its class names (a minified bundle). */
  family?: ClientFamily;
}

/**
 * Governs every model request of one client instance, and returns the same instance:
 * - `openai`, `@anthropic-ai/sdk` (including `AnthropicBedrock` and `AnthropicVertex`) and
 *   `groq-sdk`: every request of the client;
 * - `@google/genai` `GoogleGenAI`: `models.generateContent`, `generateContentStream`,
 *   `embedContent`, and the chats created from it;
 * - `@aws-sdk/client-bedrock-runtime` `BedrockRuntimeClient` / `BedrockRuntime`: Converse,
 *   ConverseStream, InvokeModel and InvokeModelWithResponseStream;
 * - `@mistralai/mistralai` `Mistral`: `chat.complete`, `stream`, `parse`, `parseStream` and
 *   `embeddings.create`;
 * - `cohere-ai` `CohereClientV2` / `CohereClient` (its `v2`): v2 `chat`, `chatStream` and `embed`.
 *
 * Other instances of the same class stay as they were. Calling it again, or on a client whose
 * class the hooks already patched, changes nothing. Should governing fail on our side (a frozen
 * client, say), the client is returned as it was, and one stderr line says it is not governed.
 *
 * @throws TypeError when `client` is none of these (or not of the `family` given).
 */
export function governClient<T extends object>(client: T, options: GovernClientOptions = {}): T {
  const c = client as Record<string, unknown> | null | undefined;
  // A Stainless client the hooks (or an earlier call) govern needs no family: nothing to do.
  if (isWrapped(c?.request) && isWrapped(c?.prepareOptions)) return client;
  const family = options.family ?? familyOf(client);
  if (family === undefined) {
    throw new TypeError(
      `governClient: expected an openai, @anthropic-ai/sdk, groq-sdk, @google/genai, @aws-sdk/client-bedrock-runtime, @mistralai/mistralai or cohere-ai client instance; when its class names are minified, pass { family: ${FAMILY_NAMES.join(' | ')} }`,
    );
  }
  const govern = Object.hasOwn(GOVERNORS, family) ? GOVERNORS[family] : undefined;
  if (govern === undefined) {
    throw new TypeError(
      `governClient: unknown family ${JSON.stringify(family)}; expected one of ${FAMILY_NAMES.join(', ')}`,
    );
  }
  if (client === null || typeof client !== 'object') {
    throw new TypeError(`governClient: expected ${EXPECTED[family]}, got ${client}`);
  }
  let shaped: boolean;
  try {
    shaped = govern(client, { environment: callEnvironment, diag: explicitDiag });
  } catch (err) {
    // Ours, not the app's: the client keeps working as it was, and the line says it is ungoverned.
    explicitDiag.error(`axonflow-otel: governClient could not govern a ${family} client`, err);
    notice(
      `ungoverned:explicit:${family}`,
      `governClient could not govern a ${family} client (${(err as Error)?.message ?? err}): its calls are NOT governed or traced. Report the SDK version to axonflow-otel.`,
    );
    return client;
  }
  if (!shaped) throw new TypeError(`governClient: expected ${EXPECTED[family]}`);
  return client;
}
