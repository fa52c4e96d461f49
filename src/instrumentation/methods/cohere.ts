/**
 * `cohere-ai` (Fern-generated, 7.x and 8.x): v2 `chat`, `chatStream` and `embed`, on
 * `CohereClientV2` and on `CohereClient`'s `v2`, both of which are a `V2Client`. The public
 * methods return an `HttpResponsePromise` (with `.withRawResponse()`) made from an internal
 * method: `__chat`, `__chatStream` and `__embed`, which resolve `{ data, rawResponse }`. Those
 * internal methods are wrapped on `V2Client.prototype`, so the app keeps the SDK's own promise
 * object; `data` is the response, or the SDK's `Stream` of events, watched in place.
 *
 * `V2Client` is not exported: its prototype is found through `CohereClient`'s lazy `v2` getter
 * (on the exported client's base class), called on a bare object of the client's prototype (that builds one throwaway `V2Client`, and
 * touches no network). Private members relied on: that getter, the three internal methods, and
 * `_options.baseUrl` / `_options.environment` (for `server.address`, when they are strings);
 * `test/clients/privates.test.ts` checks them.
 *
 * One client instance (`governCohereInstance`, for `governClient`): the same three methods,
 * governed as own properties of that client's `V2Client` (`CohereClientV2`'s `clientV2`, to which
 * its `chat`, `chatStream` and `embed` are bound; `CohereClient`'s `v2`, built once and kept). The
 * public methods still build the SDK's `HttpResponsePromise` around them; every other client stays
 * as it was.
 */
import type { Attributes } from '@opentelemetry/api';
import { InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import type { CallAdapter } from '../../adapters/adapter.js';
import { cohereChat, cohereChatStream, cohereEmbed } from '../../adapters/cohere-chat.js';
import { notice } from '../../notices/index.js';
import type { AnyFunction, InstanceDependencies, MethodPatchDependencies } from './families.js';
import { governOwnMethod, governRequest, serverAttributes } from './governed-method.js';

export const COHERE_METHODS: ReadonlyArray<{
  name: string;
  adapter: CallAdapter;
  stream: boolean;
}> = [
  { name: '__chat', adapter: cohereChat, stream: false },
  { name: '__chatStream', adapter: cohereChatStream, stream: true },
  { name: '__embed', adapter: cohereEmbed, stream: false },
];

/** `V2Client.prototype`, through `CohereClient`'s `v2` getter; undefined when shaped otherwise. */
export function v2ClientPrototype(moduleExports: any): any {
  const proto = (moduleExports?.CohereClient ?? moduleExports?.default?.CohereClient)?.prototype;
  if (proto === undefined || proto === null) return undefined;
  try {
    // The export is a subclass (`CustomClient`): the getter is on a prototype further up.
    let descriptor: PropertyDescriptor | undefined;
    for (let p = proto; p && p !== Object.prototype && !descriptor; p = Object.getPrototypeOf(p)) {
      descriptor = Object.getOwnPropertyDescriptor(p, 'v2');
    }
    if (typeof descriptor?.get !== 'function') return undefined;
    const v2 = descriptor.get.call(Object.create(proto));
    return v2 !== null && typeof v2 === 'object' ? Object.getPrototypeOf(v2) : undefined;
  } catch {
    return undefined;
  }
}

const servers = new WeakMap<object, Attributes>();

/** The configured base URL or environment, when it is a string (they may be async suppliers). */
function serverOf(client: any): Attributes {
  if (client === null || typeof client !== 'object') return {};
  let attrs = servers.get(client);
  if (attrs === undefined) {
    const options = client._options;
    attrs = serverAttributes(options?.baseUrl ?? options?.environment) ?? {};
    servers.set(client, attrs);
  }
  return attrs;
}

type Wrapped = { data?: unknown };

function governed(
  original: AnyFunction,
  method: (typeof COHERE_METHODS)[number],
  deps: InstanceDependencies,
): AnyFunction {
  return function governedMethod(this: any, request: unknown, ...rest: unknown[]) {
    const send = () => original.call(this, request, ...rest);
    let env: ReturnType<InstanceDependencies['environment']>;
    try {
      env = deps.environment('cohere');
    } catch {
      env = undefined;
    }
    if (env === undefined) return send();
    let server: Attributes = {};
    try {
      server = serverOf(this);
    } catch {
      // Optional: the call is governed without them.
    }
    return governRequest<Wrapped>({
      env,
      adapter: method.adapter,
      body: request,
      server,
      send,
      ...(method.stream
        ? { streamOf: result => result?.data as AsyncIterable<unknown> | undefined }
        : { dataOf: result => result?.data }),
    });
  };
}

function patch(moduleExports: any, version: string | undefined, deps: MethodPatchDependencies) {
  const proto = v2ClientPrototype(moduleExports);
  for (const method of COHERE_METHODS) {
    if (typeof proto?.[method.name] !== 'function') {
      deps.diag.warn(`axonflow-otel: cohere-ai has no V2Client.${method.name}; not patched`);
      notice(
        'unpatched:cohere',
        `cohere-ai ${version ?? ''} has no V2Client.${method.name} method: those calls are NOT governed or traced. Report the SDK version to axonflow-otel.`,
        { everyMs: Number.POSITIVE_INFINITY },
      );
      continue;
    }
    // Reached twice (an ES module import of this CommonJS package): patched once.
    if (isWrapped(proto[method.name])) continue;
    deps.wrap(proto, method.name, original => governed(original, method, deps));
  }
}

/**
 * The `V2Client` a client sends its v2 calls through: `CohereClientV2`'s `clientV2`, or
 * `CohereClient`'s `v2`. Undefined when the client is shaped otherwise.
 */
function v2ClientOf(client: unknown): object | undefined {
  if (client === null || typeof client !== 'object') return undefined;
  const c = client as { clientV2?: unknown; v2?: unknown };
  for (const candidate of [c.clientV2, c.v2]) {
    if (typeof (candidate as { __chat?: unknown } | undefined)?.__chat === 'function') {
      return candidate as object;
    }
  }
  return undefined;
}

/**
 * Governs one `CohereClientV2` or `CohereClient` instance: the three methods of its `V2Client`, as
 * own properties. Calling it again, or on a client whose `V2Client` class the hook patched,
 * changes nothing.
 *
 * @returns false when `client` has no `V2Client` (nothing is changed).
 */
export function governCohereInstance(client: unknown, deps: InstanceDependencies): boolean {
  const v2 = v2ClientOf(client);
  if (v2 === undefined) return false;
  for (const method of COHERE_METHODS) {
    if (!governOwnMethod(v2, method.name, original => governed(original, method, deps))) {
      deps.diag.warn(`axonflow-otel: this cohere-ai client has no v2 ${method.name}; not governed`);
      notice(
        'unpatched:cohere',
        `a cohere-ai client's V2Client has no ${method.name} method: those calls are NOT governed or traced. Report the SDK version to axonflow-otel.`,
        { everyMs: Number.POSITIVE_INFINITY },
      );
    }
  }
  return true;
}

export function cohereDefinitions(
  deps: MethodPatchDependencies,
): InstrumentationNodeModuleDefinition[] {
  return [
    new InstrumentationNodeModuleDefinition(
      'cohere-ai',
      ['*'],
      (moduleExports, version) => {
        if (!deps.supported('cohere-ai', version)) return moduleExports;
        try {
          patch(moduleExports, version, deps);
        } catch (err) {
          // Never the app's require: the client then runs as if uninstrumented.
          deps.diag.error('axonflow-otel: could not patch cohere-ai', err);
        }
        return moduleExports;
      },
      moduleExports => {
        const proto = v2ClientPrototype(moduleExports);
        for (const method of COHERE_METHODS) {
          if (typeof proto?.[method.name] === 'function') deps.unwrap(proto, method.name);
        }
      },
    ),
  ];
}
