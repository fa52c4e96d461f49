/**
 * The explicit API, for code no module hook can reach (an app bundled with esbuild, webpack or
 * Next.js, where the client package is inlined): `governClient(client)` governs one client
 * instance with the same pre-check, gate, spans and audit as the hooks. It uses the enabled
 * `AxonFlowInstrumentation` (the register entry's, or the app's own); with none enabled, it starts
 * one from the environment, which then also patches any client package loaded afterwards.
 */
import { diag } from '@opentelemetry/api';
import type { CallEnvironment } from '../pipeline/governed-call.js';
import { currentEnvironmentSource } from './environment.js';
import { AxonFlowInstrumentation } from './instrumentation.js';
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

/** Which Stainless client family an instance belongs to, by its class chain. */
function familyOf(client: object): StainlessFamily | undefined {
  for (
    let p = Object.getPrototypeOf(client);
    p && p !== Object.prototype;
    p = Object.getPrototypeOf(p)
  ) {
    const name = (p.constructor as { name?: string } | undefined)?.name ?? '';
    if (/^(Base)?(OpenAI|AzureOpenAI)$/.test(name)) return 'openai';
    if (/^(Base)?Anthropic(Bedrock|Vertex)?$/.test(name)) return 'anthropic';
    if (/^Groq$/.test(name)) return 'groq';
  }
  const c = client as Record<string, any>;
  if (typeof c.chat?.completions?.create === 'function') return 'openai';
  if (typeof c.messages?.create === 'function') return 'anthropic';
  return undefined;
}

function isWrapped(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as { __wrapped?: boolean }).__wrapped === true;
}

export interface GovernClientOptions {
  /** The client's family, when it cannot be told from its class names (a minified bundle). */
  family?: StainlessFamily;
}

/**
 * Governs every model request of one `openai`, `@anthropic-ai/sdk` (including `AnthropicBedrock`
 * and `AnthropicVertex`) or `groq-sdk` client instance, and returns the same instance. Calling it
 * again, or on a client whose class the hooks already patched, changes nothing.
 *
 * @throws TypeError when `client` is not such a client (no `request` / `prepareOptions` methods).
 */
export function governClient<T extends object>(client: T, options: GovernClientOptions = {}): T {
  const c = client as Record<string, any>;
  if (typeof c?.request !== 'function' || typeof c?.prepareOptions !== 'function') {
    throw new TypeError(
      'governClient: expected an openai, @anthropic-ai/sdk or groq-sdk client instance (it has no request/prepareOptions methods)',
    );
  }
  if (isWrapped(c.request) && isWrapped(c.prepareOptions)) return client;
  const family = options.family ?? familyOf(client);
  if (family === undefined) {
    throw new TypeError(
      'governClient: cannot tell which client family this is; pass { family: "openai" | "anthropic" | "groq" }',
    );
  }
  const deps = { environment: callEnvironment, diag: explicitDiag };
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
  return client;
}
