/**
 * The patch layer for Stainless-generated clients (`openai`, `@anthropic-ai/sdk`): two wrapped
 * methods on the client's base class, so that every request any method of any resource makes
 * (including raw `client.post()`) is seen, whatever produced it.
 *
 * - `request(options)`, which every API method reaches, returns the SDK's own `APIPromise`: the
 *   wrapper attaches a per-request record to the options (under a symbol) and watches the promise
 *   (`observe.ts`). It does not know yet what the request is: `post()` passes its options as a
 *   promise.
 * - `prepareOptions(options)`, which the SDK awaits before every HTTP attempt with the final
 *   options: the gate. The request's endpoint is routed (`routes.ts`); a model request gets its
 *   `GovernedCall`, which reads the body, waits for the policy decision and rejects on a deny, so
 *   the provider receives nothing. Retries pass here again with the same options.
 *
 * Private members touched here: `request`, `prepareOptions`, the options' `method`, `path` and
 * `body`, `baseURL`, and the Anthropic SDK's own call span in `options.__span`.
 */
import {
  type Attributes,
  type Context,
  context,
  type DiagLogger,
  type Span,
  trace,
} from '@opentelemetry/api';
import { withProvider } from '../../adapters/adapter.js';
import { notice } from '../../notices/index.js';
import {
  type CallEnvironment,
  type CallOrigin,
  GovernedCall,
} from '../../pipeline/governed-call.js';
import * as sc from '../../semconv/index.js';
import { type ObservedRequest, observeApiPromise } from './observe.js';
import { route, type StainlessFamily } from './routes.js';

/** Carries a request's record from `request()` to `prepareOptions`, through the options. */
const REQUEST = Symbol.for('axonflow-otel.stainless-request');

type AnyFunction = (this: unknown, ...args: any[]) => any;

export interface HookDependencies {
  /** The environment for a call of this family, or undefined when it must not be instrumented. */
  environment(family: StainlessFamily): CallEnvironment | undefined;
  diag: DiagLogger;
}

interface StainlessRequest extends ObservedRequest {
  readonly family: StainlessFamily;
  readonly env: CallEnvironment;
  readonly parent: Context;
  readonly startTime: number;
  /** `prepareOptions` ran for this request (with or without a model call). */
  gateEntered: boolean;
  /** The endpoint was routed and is not a model call. */
  passThrough: boolean;
}

const serverAttrCache = new WeakMap<object, Attributes>();
/**
 * Clients that serve a family's protocols from another provider, by class name:
 * `gen_ai.provider.name` is theirs.
 */
const PROVIDER_BY_CLASS: ReadonlyMap<string, string> = new Map([
  ['AzureOpenAI', 'azure.ai.openai'],
  ['AnthropicBedrock', 'aws.bedrock'],
  ['AnthropicBedrockMantle', 'aws.bedrock'],
  ['AnthropicVertex', 'gcp.vertex_ai'],
]);
const providerCache = new WeakMap<object, string | null>();
let bypassWarned = false;

/** The provider a client instance serves, when its class says it is not the family's own. */
function providerOf(client: unknown): string | undefined {
  if (client === null || typeof client !== 'object') return undefined;
  let found = providerCache.get(client);
  if (found === undefined) {
    found = null;
    for (
      let p = Object.getPrototypeOf(client);
      p && p !== Object.prototype;
      p = Object.getPrototypeOf(p)
    ) {
      const name = (p.constructor as { name?: string } | undefined)?.name;
      const provider = name === undefined ? undefined : PROVIDER_BY_CLASS.get(name);
      if (provider !== undefined) {
        found = provider;
        break;
      }
    }
    providerCache.set(client, found);
  }
  return found ?? undefined;
}

/** `server.address` / `server.port` from the client's `baseURL`. */
function serverAttributes(client: any): Attributes {
  if (!client || typeof client !== 'object') return {};
  let attrs = serverAttrCache.get(client);
  if (attrs) return attrs;
  attrs = {};
  try {
    const url = new URL(String(client.baseURL));
    // `URL.hostname` keeps an IPv6 literal's brackets; `server.address` is the bare address.
    attrs[sc.ATTR_SERVER_ADDRESS] = url.hostname.replace(/^\[(.*)\]$/, '$1');
    attrs[sc.ATTR_SERVER_PORT] = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  } catch {
    // No usable baseURL: the attributes are optional.
  }
  serverAttrCache.set(client, attrs);
  return attrs;
}

/**
 * The Anthropic SDK (1.x, and the 0.x releases that trace) starts its own call span in the
 * resource method and hands it down in `options.__span`. Ours goes under it, so the call is one
 * trace; when it records, it carries the usage (the SDK sets it and has no switch to leave it off
 * one call) and ours leaves `gen_ai.usage.*` out.
 */
function clientSpan(options: any): Span | undefined {
  try {
    const span = options?.__span?.span;
    return typeof span?.spanContext === 'function' && typeof span?.isRecording === 'function'
      ? span
      : undefined;
  } catch {
    return undefined;
  }
}

function originOf(request: StainlessRequest, client: unknown, options: unknown): CallOrigin {
  const sdkSpan = clientSpan(options);
  return {
    parent: sdkSpan ? trace.setSpan(request.parent, sdkSpan) : request.parent,
    startTime: request.startTime,
    server: serverAttributes(client),
    usageOnClientSpan: sdkSpan?.isRecording() === true,
  };
}

/** The options with the request's record attached; an options promise stays a promise. */
function withRequest(options: unknown, request: StainlessRequest): unknown {
  if (options !== null && typeof (options as PromiseLike<unknown>)?.then === 'function') {
    return Promise.resolve(options).then(resolved => ({
      ...(resolved as object),
      [REQUEST]: request,
    }));
  }
  return { ...(options as object | undefined), [REQUEST]: request };
}

export function wrapRequest(
  original: AnyFunction,
  family: StainlessFamily,
  deps: HookDependencies,
): AnyFunction {
  return function request(this: unknown, options: unknown, ...rest: unknown[]) {
    let record: StainlessRequest;
    let gated: unknown;
    try {
      const env = deps.environment(family);
      if (env === undefined) return original.call(this, options, ...rest);
      record = newRequest(family, env, false);
      gated = withRequest(options, record);
    } catch (err) {
      deps.diag.error('axonflow-otel: could not instrument the request; sent untouched', err);
      return original.call(this, options, ...rest);
    }
    const result = original.call(this, gated, ...rest);
    try {
      if (!observeApiPromise(result, record, props => onResponse(record, props, deps))) {
        deps.diag.debug('axonflow-otel: unexpected SDK promise shape; response not observed');
        record.unobservable = true;
      }
    } catch (err) {
      deps.diag.error('axonflow-otel: could not observe the SDK result', err);
      record.unobservable = true;
    }
    return result;
  };
}

function onResponse(request: StainlessRequest, props: any, deps: HookDependencies): void {
  if (!request.gateEntered && !bypassWarned) {
    // The gate never ran: an app's `prepareOptions` override did not call `super`.
    const options = props?.options;
    if (route(request.family, options?.method, options?.path) !== undefined) {
      bypassWarned = true;
      deps.diag.error(
        'axonflow-otel: an LLM request was sent without passing the governance gate (is prepareOptions overridden without calling super?)',
      );
      notice(
        'ungoverned:gate-bypassed',
        "an LLM request was sent NOT governed: it did not pass the governance gate (is the SDK client's prepareOptions overridden without calling super?)",
        { everyMs: Number.POSITIVE_INFINITY },
      );
    }
  }
  request.call?.responded();
}

export function wrapPrepareOptions(
  original: AnyFunction,
  family: StainlessFamily,
  deps: HookDependencies,
): AnyFunction {
  return function prepareOptions(this: unknown, options: any, ...rest: unknown[]) {
    let request: StainlessRequest | undefined;
    try {
      request = options?.[REQUEST] ?? unrequested(family, options, deps);
    } catch {
      request = undefined;
    }
    if (request === undefined) return original.call(this, options, ...rest);
    let gate: Promise<void> | undefined;
    try {
      gate = enterGate(request, this, options, deps);
    } catch (err) {
      // A body the SDK could not serialise either: the attempt fails, nothing is sent.
      return Promise.reject(err);
    }
    return gate === undefined
      ? original.call(this, options, ...rest)
      : gate.then(() => original.call(this, options, ...rest));
  };
}

/**
 * A model request that reached the gate without passing `request()` (an SDK path we do not
 * know): it is still gated, but its result is not observed, so its call ends at the gate.
 */
function unrequested(
  family: StainlessFamily,
  options: any,
  deps: HookDependencies,
): StainlessRequest | undefined {
  if (route(family, options?.method, options?.path) === undefined) return undefined;
  const env = deps.environment(family);
  if (env === undefined) return undefined;
  return newRequest(family, env, true);
}

/** A request's record, as it is made: in the caller's context, now. */
function newRequest(
  family: StainlessFamily,
  env: CallEnvironment,
  unobservable: boolean,
): StainlessRequest {
  return {
    family,
    env,
    parent: context.active(),
    startTime: performance.now(),
    gateEntered: false,
    passThrough: false,
    call: undefined,
    rawOnly: false,
    unobservable,
  };
}

function enterGate(
  request: StainlessRequest,
  client: unknown,
  options: any,
  deps: HookDependencies,
): Promise<void> | undefined {
  request.gateEntered = true;
  if (request.passThrough) return undefined;
  let call = request.call;
  if (call === undefined) {
    const routed = route(request.family, options?.method, options?.path);
    const adapter = routed && withProvider(routed, providerOf(client));
    if (adapter === undefined) {
      request.passThrough = true;
      return undefined;
    }
    try {
      call = new GovernedCall(
        request.env,
        adapter,
        options.body,
        originOf(request, client, options),
      );
    } catch (err) {
      request.passThrough = true;
      deps.diag.error('axonflow-otel: could not start the call span; request sent untouched', err);
      notice(
        'ungoverned:unreadable-request',
        `an ${adapter.provider} ${adapter.operation} request could not be read, so it was sent NOT governed (never breaking the app comes first). Report the request shape to axonflow-otel.`,
      );
      return undefined;
    }
    request.call = call;
    if (request.rawOnly) call.rawResponseOnly();
  }
  if (!request.unobservable) return call.enterGate(options);
  // Nothing watches this request's result: its call ends at the gate, whatever the gate says.
  const ended = call;
  let gate: Promise<void> | undefined;
  try {
    gate = ended.enterGate(options);
  } catch (err) {
    ended.end(err);
    throw err;
  }
  if (gate === undefined) {
    ended.end();
    return undefined;
  }
  return gate.then(
    () => ended.end(),
    (err: unknown) => {
      ended.end(err);
      throw err;
    },
  );
}
