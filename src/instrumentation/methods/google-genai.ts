/**
 * `@google/genai` (1.x to 3.x, Gemini API and Vertex AI): every model request of the models module
 * goes through one of its `generateContentInternal`, `generateContentStreamInternal` and
 * `embedContentInternal` methods — `generateContent`, `generateContentStream`, `embedContent`,
 * each call of `chats` and each step of automatic function calling. Those three are wrapped on
 * `Models.prototype` (the public methods are per-instance arrow functions, not on the prototype).
 * Private members touched: those three methods and `apiClient` (`isVertexAI()`, `getBaseUrl()`);
 * `test/instrumentation/sdk-privates.test.ts` checks them on both SDK lines.
 *
 * One `GoogleGenAI` instance (`governGoogleGenAiInstance`, for `governClient`): the same three
 * methods, governed as own properties of its `models` object. The public methods call them
 * through `this`, and the instance's `chats` send through that same `models`, so both are covered
 * while every other instance stays as it was.
 */
import type { Attributes } from '@opentelemetry/api';
import { InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { type CallAdapter, withProvider } from '../../adapters/adapter.js';
import {
  googleEmbedContent,
  googleGenerateContent,
} from '../../adapters/google-generate-content.js';
import { notice } from '../../notices/index.js';
import * as sc from '../../semconv/index.js';
import type { AnyFunction, InstanceDependencies, MethodPatchDependencies } from './families.js';
import { governOwnMethod, governRequest } from './governed-method.js';

/** The methods wrapped, with the adapter of each and whether it returns a stream. */
export const GOOGLE_GENAI_METHODS: ReadonlyArray<{
  name: string;
  adapter: CallAdapter;
  stream: boolean;
}> = [
  { name: 'generateContentInternal', adapter: googleGenerateContent, stream: false },
  { name: 'generateContentStreamInternal', adapter: googleGenerateContent, stream: true },
  { name: 'embedContentInternal', adapter: googleEmbedContent, stream: false },
];

const serverCache = new WeakMap<object, Attributes>();

/** `server.address` / `server.port` of the models module's API client. */
function serverOf(apiClient: any): Attributes {
  if (apiClient === null || typeof apiClient !== 'object') return {};
  let attrs = serverCache.get(apiClient);
  if (attrs === undefined) {
    attrs = {};
    try {
      const url = new URL(String(apiClient.getBaseUrl()));
      attrs[sc.ATTR_SERVER_ADDRESS] = url.hostname.replace(/^\[(.*)\]$/, '$1');
      attrs[sc.ATTR_SERVER_PORT] = url.port
        ? Number(url.port)
        : url.protocol === 'http:'
          ? 80
          : 443;
    } catch {
      // No usable base URL: the attributes are optional.
    }
    serverCache.set(apiClient, attrs);
  }
  return attrs;
}

function vertex(apiClient: any): boolean {
  try {
    return apiClient?.isVertexAI?.() === true;
  } catch {
    return false;
  }
}

function governed(
  original: AnyFunction,
  method: (typeof GOOGLE_GENAI_METHODS)[number],
  deps: InstanceDependencies,
): AnyFunction {
  return function governedMethod(this: any, params: unknown, ...rest: unknown[]) {
    const send = () => original.call(this, params, ...rest);
    let env: ReturnType<InstanceDependencies['environment']>;
    try {
      env = deps.environment('google');
    } catch {
      env = undefined;
    }
    if (env === undefined) return send();
    const apiClient = this?.apiClient;
    return governRequest({
      env,
      adapter: withProvider(method.adapter, vertex(apiClient) ? 'gcp.vertex_ai' : undefined),
      body: params,
      server: serverOf(apiClient),
      send,
      ...(method.stream ? { streamOf: (stream: AsyncIterable<unknown>) => stream } : {}),
    });
  };
}

export function googleGenAiDefinitions(
  deps: MethodPatchDependencies,
): InstrumentationNodeModuleDefinition[] {
  // `moduleExports`, never `exports`: in the CommonJS build that name is this module's own.
  const models = (moduleExports: any) =>
    (moduleExports?.Models ?? moduleExports?.default?.Models)?.prototype;
  return [
    new InstrumentationNodeModuleDefinition(
      '@google/genai',
      ['*'],
      (moduleExports, version) => {
        if (!deps.supported('@google/genai', version)) return moduleExports;
        // A failure here would fail the app's own `require`/`import`: never let one out.
        try {
          patchModels(models(moduleExports), deps);
        } catch (err) {
          deps.diag.error('axonflow-otel: could not patch @google/genai', err);
        }
        return moduleExports;
      },
      moduleExports => {
        const proto = models(moduleExports);
        for (const method of GOOGLE_GENAI_METHODS) {
          if (typeof proto?.[method.name] === 'function') deps.unwrap(proto, method.name);
        }
      },
    ),
  ];
}

function patchModels(proto: any, deps: MethodPatchDependencies): void {
  for (const method of GOOGLE_GENAI_METHODS) {
    if (typeof proto?.[method.name] !== 'function') {
      notice(
        `unpatched:@google/genai:${method.name}`,
        `@google/genai has no Models.${method.name}: those calls are NOT governed or traced. Report the SDK version to axonflow-otel.`,
        { everyMs: Number.POSITIVE_INFINITY },
      );
      continue;
    }
    deps.wrap(proto, method.name, original => governed(original, method, deps));
  }
}

/**
 * Governs one `GoogleGenAI` instance: the three methods, as own properties of its `models`. Calling
 * it again, or on an instance whose `Models` class the hook patched, changes nothing.
 *
 * @returns false when `client` has no `models` with `generateContent` (nothing is changed).
 */
export function governGoogleGenAiInstance(client: unknown, deps: InstanceDependencies): boolean {
  const models = (client as { models?: { generateContent?: unknown } } | null | undefined)?.models;
  if (typeof models?.generateContent !== 'function') return false;
  for (const method of GOOGLE_GENAI_METHODS) {
    if (!governOwnMethod(models, method.name, original => governed(original, method, deps))) {
      notice(
        `unpatched:@google/genai:${method.name}`,
        `a GoogleGenAI client's models has no ${method.name}: those calls are NOT governed or traced. Report the SDK version to axonflow-otel.`,
        { everyMs: Number.POSITIVE_INFINITY },
      );
    }
  }
  return true;
}
