/**
 * `@aws-sdk/client-bedrock-runtime` (v3): `ConverseCommand`, `ConverseStreamCommand`,
 * `InvokeModelCommand` and `InvokeModelWithResponseStreamCommand`, whichever way they are sent
 * (`client.send(command)`, or the aggregated `BedrockRuntime` client's methods, which send).
 *
 * Governed through the SDK's own extension point, its middleware stack: `BedrockRuntimeClient.
 * prototype.send` is wrapped only to add, once per client instance, a middleware at the
 * `initialize` step. That step runs once per `send`, before serialisation, signing and the retry
 * loop, so a denied command is never serialised, signed or sent, and retries reuse the one
 * decision. The middleware reads the command input for the adapter (`bedrock-converse.ts`,
 * `bedrock-invoke.ts`), then passes the original `args` on unchanged; the app gets the SDK's own
 * output, whose event stream is watched in place.
 *
 * Members relied on beyond the documented middleware API (`middlewareStack.add`, `next(args)`
 * resolving `{ output, response }`, `context.commandName`): `context.endpointV2.url` (the
 * endpoint a call resolved, for `server.*`) and `handlers` (the client's cache of resolved
 * handlers, dropped when the middleware is added). `test/clients/privates.test.ts` checks them.
 *
 * One client instance (`governBedrockRuntimeInstance`, for `governClient`): the same middleware,
 * added to that client's own stack right away instead of on its first `send`. Added once, under
 * one name with `override`, so the hook's `send` (same build) finds the client already governed,
 * and a second copy (the other build of this package) replaces it rather than adding another.
 */
import type { Attributes } from '@opentelemetry/api';
import { InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import type { CallAdapter } from '../../adapters/adapter.js';
import {
  bedrockConverse,
  bedrockConverseStream,
  converseRequestView,
} from '../../adapters/bedrock-converse.js';
import {
  bedrockInvokeAdapter,
  bodyTextOf,
  type InvokeRequest,
  invokeRequest,
} from '../../adapters/bedrock-invoke.js';
import { notice } from '../../notices/index.js';
import type { CallEnvironment } from '../../pipeline/governed-call.js';
import type { AnyFunction, InstanceDependencies, MethodPatchDependencies } from './families.js';
import { governRequest, serverAttributes } from './governed-method.js';

/** The commands governed, by `context.commandName`. */
export const BEDROCK_COMMANDS: Readonly<
  Record<string, { api: 'converse' | 'invoke'; stream: boolean }>
> = {
  ConverseCommand: { api: 'converse', stream: false },
  ConverseStreamCommand: { api: 'converse', stream: true },
  InvokeModelCommand: { api: 'invoke', stream: false },
  InvokeModelWithResponseStreamCommand: { api: 'invoke', stream: true },
};

export const MIDDLEWARE_NAME = 'axonflowGovernanceMiddleware';

/** Clients that have the middleware: it is added once per instance. */
const governedClients = new WeakSet<object>();
const servers = new WeakMap<object, Attributes>();

type Next = (args: any) => Promise<any>;

/**
 * The client's endpoint, when known without I/O: the one a previous call resolved. The
 * configured one is behind an async provider (`config.endpoint()`), so a client's first call has
 * no `server.*` attributes: they are optional.
 */
function serverOf(client: object): Attributes {
  return servers.get(client) ?? {};
}

function learnServer(client: object, context: any): void {
  if (servers.has(client)) return;
  const resolved = serverAttributes(context?.endpointV2?.url);
  if (resolved !== undefined) servers.set(client, resolved);
}

/** A body readable without consuming it: its text (a `Blob` is read, it can be read again). */
async function invokeBody(body: unknown): Promise<{ text?: string; unreadable?: string }> {
  const text = bodyTextOf(body);
  if (text !== undefined) return { text };
  if (body === undefined || body === null) return {};
  if (typeof Blob !== 'undefined' && body instanceof Blob) return { text: await body.text() };
  // A Node or web stream: reading it would take it from the SDK.
  return { unreadable: 'stream' };
}

async function governCommand(
  env: CallEnvironment,
  command: (typeof BEDROCK_COMMANDS)[string],
  client: object,
  next: Next,
  context: any,
  args: any,
): Promise<any> {
  const input = args?.input;
  let adapter: CallAdapter;
  let body: unknown;
  try {
    if (command.api === 'converse') {
      adapter = command.stream ? bedrockConverseStream : bedrockConverse;
      // The view (bytes left out, text documents decoded) is what a check or content capture
      // reads; a call that is only traced reads the request attributes, from the input itself.
      body = env.client === undefined && !env.captureContent ? input : converseRequestView(input);
    } else {
      const read = await invokeBody(input?.body);
      const request: InvokeRequest = invokeRequest(input ?? {}, read.text, read.unreadable);
      adapter = bedrockInvokeAdapter(request, command.stream);
      body = request;
    }
  } catch (err) {
    env.diag.error('axonflow-otel: could not read a Bedrock command; it is sent untouched', err);
    notice(
      'ungoverned:unreadable-request',
      'an aws.bedrock request could not be read, so it was sent NOT governed (never breaking the app comes first). Report the request shape to axonflow-otel.',
    );
    return next(args);
  }
  const stream =
    command.api === 'converse'
      ? (result: any) => result?.output?.stream
      : (result: any) => result?.output?.body;
  return governRequest({
    env,
    adapter,
    body,
    server: serverOf(client),
    send: () =>
      next(args).then(result => {
        learnServer(client, context);
        return result;
      }),
    ...(command.stream
      ? { streamOf: stream }
      : {
          dataOf:
            command.api === 'converse'
              ? (result: any) => result?.output
              : (result: any) => ({
                  body: result?.output?.body,
                  headers: result?.response?.headers,
                }),
        }),
  });
}

/** The middleware: governs the four commands; any other passes straight on. */
function governanceMiddleware(client: object, deps: InstanceDependencies) {
  return (next: Next, context: any) =>
    function governedCommand(args: any): Promise<any> {
      const command = BEDROCK_COMMANDS[String(context?.commandName)];
      if (command === undefined) return next(args);
      let env: CallEnvironment | undefined;
      try {
        env = deps.environment('bedrock');
      } catch {
        env = undefined;
      }
      // Disabled since this client got the middleware: it stays, and does nothing.
      if (env === undefined) return next(args);
      return governCommand(env, command, client, next, context, args);
    };
}

/** Adds the middleware to a client, once. Never throws: the send goes ahead whatever happens. */
function govern(client: any, deps: InstanceDependencies): void {
  if (client === null || typeof client !== 'object' || governedClients.has(client)) return;
  governedClients.add(client);
  try {
    const stack = client.middlewareStack;
    if (typeof stack?.add !== 'function') {
      deps.diag.warn('axonflow-otel: a Bedrock client has no middleware stack; not governed');
      notice(
        'unpatched:bedrock',
        'a @aws-sdk/client-bedrock-runtime client has no middleware stack: its calls are NOT governed or traced. Report the SDK version to axonflow-otel.',
        { everyMs: Number.POSITIVE_INFINITY },
      );
      return;
    }
    stack.add(governanceMiddleware(client, deps), {
      step: 'initialize',
      name: MIDDLEWARE_NAME,
      tags: ['AXONFLOW'],
      override: true,
    });
    // With `cacheMiddleware: true` the client keeps the handlers it resolved, built without ours.
    if (client.handlers !== undefined) client.handlers = undefined;
  } catch (err) {
    deps.diag.error('axonflow-otel: could not add the Bedrock governance middleware', err);
  }
}

function governedSend(original: AnyFunction, deps: MethodPatchDependencies): AnyFunction {
  return function send(this: unknown, ...args: unknown[]) {
    govern(this, deps);
    return original.apply(this, args);
  };
}

/**
 * Governs one `BedrockRuntimeClient` (or aggregated `BedrockRuntime`) instance: adds the
 * middleware to its own stack, once. Every other client stays as it was.
 *
 * @returns false when `client` has no `send` or no middleware stack (nothing is changed).
 */
export function governBedrockRuntimeInstance(client: unknown, deps: InstanceDependencies): boolean {
  const c = client as { send?: unknown; middlewareStack?: { add?: unknown } } | null | undefined;
  if (typeof c?.send !== 'function' || typeof c.middlewareStack?.add !== 'function') return false;
  govern(c, deps);
  return true;
}

export function bedrockRuntimeDefinitions(
  deps: MethodPatchDependencies,
): InstrumentationNodeModuleDefinition[] {
  const clientProto = (moduleExports: any) =>
    (moduleExports?.BedrockRuntimeClient ?? moduleExports?.default?.BedrockRuntimeClient)
      ?.prototype;
  const patch = (moduleExports: any): void => {
    const proto = clientProto(moduleExports);
    if (typeof proto?.send !== 'function') {
      deps.diag.warn(
        'axonflow-otel: @aws-sdk/client-bedrock-runtime has no client send; not patched',
      );
      notice(
        'unpatched:bedrock',
        'the @aws-sdk/client-bedrock-runtime client has no send method: its calls are NOT governed or traced. Report the SDK version to axonflow-otel.',
        { everyMs: Number.POSITIVE_INFINITY },
      );
      return;
    }
    // Reached twice (an ES module import of this CommonJS package): patched once.
    if (!isWrapped(proto.send)) deps.wrap(proto, 'send', original => governedSend(original, deps));
  };
  return [
    new InstrumentationNodeModuleDefinition(
      '@aws-sdk/client-bedrock-runtime',
      ['*'],
      (moduleExports, version) => {
        if (!deps.supported('@aws-sdk/client-bedrock-runtime', version)) return moduleExports;
        try {
          patch(moduleExports);
        } catch (err) {
          // Never the app's require: the client then runs as if uninstrumented.
          deps.diag.error('axonflow-otel: could not patch @aws-sdk/client-bedrock-runtime', err);
        }
        return moduleExports;
      },
      moduleExports => {
        const proto = clientProto(moduleExports);
        if (typeof proto?.send === 'function') deps.unwrap(proto, 'send');
      },
    ),
  ];
}
