/**
 * `@mistralai/mistralai` (Speakeasy-generated, 1.x and 2.x): chat completions and embeddings.
 * Each public method of the `Chat` and `Embeddings` classes calls a module-level function
 * (`chatComplete(this, …)`) that encodes the request and sends it through the base class's
 * shared `_do`, which sees only encoded HTTP requests and raw responses for every endpoint. The
 * class methods are the last point on a prototype where the request, the response and the
 * stream are the SDK's own objects, so they are wrapped: `Chat.prototype.complete`, `stream`,
 * `parse` and `parseStream` (which call the module-level functions themselves, not `complete`),
 * and `Embeddings.prototype.create`. The app gets the SDK's own results: the response, or the
 * `EventStream` of `{ data: CompletionChunk }` events, watched in place. The module-level
 * functions are also exported on their own (`@mistralai/mistralai/funcs/…`): called directly,
 * they are not governed.
 *
 * The two classes are not exported: their prototypes are found through the `Mistral` client's
 * lazy `chat` and `embeddings` getters, called on a bare object of the client's prototype (that
 * builds one throwaway sub-client, and touches no network). Private members relied on: those two
 * getters, the classes' methods named above, and `_baseURL` (the client's server URL, for
 * `server.address`); `test/clients/privates.test.ts` checks them.
 *
 * One `Mistral` instance (`governMistralInstance`, for `governClient`): the same methods, governed
 * as own properties of that client's `chat` and `embeddings` sub-clients (its getters build each
 * once and keep it), so every other client stays as it was.
 */
import type { Attributes } from '@opentelemetry/api';
import { InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import type { CallAdapter } from '../../adapters/adapter.js';
import { mistralChat, mistralChatStream, mistralEmbeddings } from '../../adapters/mistral-chat.js';
import { notice } from '../../notices/index.js';
import type { AnyFunction, InstanceDependencies, MethodPatchDependencies } from './families.js';
import { governOwnMethod, governRequest, serverAttributes } from './governed-method.js';

export interface MistralMethod {
  /** The `Mistral` getter whose sub-client class owns the method. */
  getter: 'chat' | 'embeddings';
  name: string;
  adapter: CallAdapter;
  stream: boolean;
  /** The request carries a schema object (`responseFormat`) the SDK converts before sending. */
  parses?: boolean;
}

export const MISTRAL_METHODS: readonly MistralMethod[] = [
  { getter: 'chat', name: 'complete', adapter: mistralChat, stream: false },
  { getter: 'chat', name: 'stream', adapter: mistralChatStream, stream: true },
  { getter: 'chat', name: 'parse', adapter: mistralChat, stream: false, parses: true },
  { getter: 'chat', name: 'parseStream', adapter: mistralChatStream, stream: true, parses: true },
  { getter: 'embeddings', name: 'create', adapter: mistralEmbeddings, stream: false },
];

/**
 * The prototype of the sub-client class behind a `Mistral` getter, found by calling the getter
 * on a bare object of the client's prototype. Undefined when the SDK is shaped otherwise.
 */
export function subClientPrototype(Mistral: unknown, getter: string): any {
  const proto = (Mistral as { prototype?: object } | undefined)?.prototype;
  if (proto === undefined || proto === null) return undefined;
  try {
    const descriptor = Object.getOwnPropertyDescriptor(proto, getter);
    if (typeof descriptor?.get !== 'function') return undefined;
    const sub = descriptor.get.call(Object.create(proto));
    return sub !== null && typeof sub === 'object' ? Object.getPrototypeOf(sub) : undefined;
  } catch {
    return undefined;
  }
}

const servers = new WeakMap<object, Attributes>();

function serverOf(client: any, options: unknown): Attributes {
  const override = (options as { serverURL?: unknown } | undefined)?.serverURL;
  if (typeof override === 'string') return serverAttributes(override) ?? {};
  if (client === null || typeof client !== 'object') return {};
  let attrs = servers.get(client);
  if (attrs === undefined) {
    attrs = serverAttributes(client._baseURL) ?? {};
    servers.set(client, attrs);
  }
  return attrs;
}

/**
 * What the check reads of a `parse` request: its `responseFormat` is a schema object (zod) the
 * SDK turns into JSON Schema before sending; the check needs to know only that it asks for JSON.
 */
function parseRequestView(request: unknown): unknown {
  if (request === null || typeof request !== 'object') return request;
  return { ...(request as object), responseFormat: { type: 'json_schema' } };
}

function governed(
  original: AnyFunction,
  method: MistralMethod,
  deps: InstanceDependencies,
): AnyFunction {
  return function governedMethod(this: any, request: unknown, options?: unknown, ...rest: any[]) {
    const send = () => original.call(this, request, options, ...rest);
    let env: ReturnType<InstanceDependencies['environment']>;
    try {
      env = deps.environment('mistral');
    } catch {
      env = undefined;
    }
    if (env === undefined) return send();
    let body = request;
    let server: Attributes = {};
    try {
      if (method.parses) body = parseRequestView(request);
      server = serverOf(this, options);
    } catch {
      // Optional: the call is governed without them.
    }
    return governRequest({
      env,
      adapter: method.adapter,
      body,
      server,
      send,
      ...(method.stream ? { streamOf: (stream: AsyncIterable<unknown>) => stream } : {}),
    });
  };
}

function mistralClass(moduleExports: any): unknown {
  return moduleExports?.Mistral ?? moduleExports?.default?.Mistral;
}

function patch(moduleExports: any, version: string | undefined, deps: MethodPatchDependencies) {
  const Mistral = mistralClass(moduleExports);
  for (const method of MISTRAL_METHODS) {
    const proto = subClientPrototype(Mistral, method.getter);
    if (!Object.hasOwn(proto ?? {}, method.name) || typeof proto[method.name] !== 'function') {
      deps.diag.warn(
        `axonflow-otel: @mistralai/mistralai has no ${method.getter}.${method.name}; not patched`,
      );
      notice(
        'unpatched:mistral',
        `@mistralai/mistralai ${version ?? ''} has no ${method.getter}.${method.name} method: those calls are NOT governed or traced. Report the SDK version to axonflow-otel.`,
        { everyMs: Number.POSITIVE_INFINITY },
      );
      continue;
    }
    if (isWrapped(proto[method.name])) continue;
    deps.wrap(proto, method.name, original => governed(original, method, deps));
  }
}

/**
 * Governs one `Mistral` instance: the methods of its `chat` and `embeddings` sub-clients, as their
 * own properties. Calling it again, or on a client whose classes the hook patched, changes nothing.
 *
 * @returns false when `client` has no `chat.complete` (nothing is changed).
 */
export function governMistralInstance(client: unknown, deps: InstanceDependencies): boolean {
  const c = client as Record<string, any> | null | undefined;
  if (typeof c?.chat?.complete !== 'function') return false;
  for (const method of MISTRAL_METHODS) {
    const sub = c[method.getter];
    if (!governOwnMethod(sub, method.name, original => governed(original, method, deps))) {
      deps.diag.warn(
        `axonflow-otel: this Mistral client has no ${method.getter}.${method.name}; not governed`,
      );
      notice(
        'unpatched:mistral',
        `a @mistralai/mistralai client has no ${method.getter}.${method.name} method: those calls are NOT governed or traced. Report the SDK version to axonflow-otel.`,
        { everyMs: Number.POSITIVE_INFINITY },
      );
    }
  }
  return true;
}

export function mistralDefinitions(
  deps: MethodPatchDependencies,
): InstrumentationNodeModuleDefinition[] {
  return [
    new InstrumentationNodeModuleDefinition(
      '@mistralai/mistralai',
      ['*'],
      (moduleExports, version) => {
        if (!deps.supported('@mistralai/mistralai', version)) return moduleExports;
        try {
          patch(moduleExports, version, deps);
        } catch (err) {
          // Never the app's import: the client then runs as if uninstrumented.
          deps.diag.error('axonflow-otel: could not patch @mistralai/mistralai', err);
        }
        return moduleExports;
      },
      moduleExports => {
        const Mistral = mistralClass(moduleExports);
        for (const method of MISTRAL_METHODS) {
          const proto = subClientPrototype(Mistral, method.getter);
          if (typeof proto?.[method.name] === 'function') deps.unwrap(proto, method.name);
        }
      },
    ),
  ];
}
