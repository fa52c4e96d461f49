/**
 * The patch layer for the Vercel AI SDK (`ai` 5–7): module definitions that apply the governance
 * middleware to every model the app passes to the AI SDK's functions.
 *
 * Wrapped exports: `generateText`, `streamText`, `generateObject`, `streamObject` (and ai 7's
 * `experimental_streamTextLowMemory` and `experimental_streamLanguageModelCall`) get their
 * `model`, and the model a `prepareStep` picks, governed (`models.ts`); `embed` and `embedMany`
 * their embedding model. The agents call the module's functions internally, past its exports, so
 * their classes are patched too: ai 6 and 7's `ToolLoopAgent` (`prepareCall`, which both
 * `generate` and `stream` use to build the call) and ai 5's `Agent` (exported as
 * `Experimental_Agent`: `generate` and `stream`).
 *
 * The module's exports are patched where they can be: a plain object, or the namespace proxy of
 * import-in-the-middle (ES modules). The CommonJS builds of ai 5 and 6 export getters that cannot
 * be redefined, and `require()` of ai 7 (an ES module) gives its namespace: for those, the patch
 * returns a copy of the exports with the wrapped functions, which the require hook hands to the
 * app in place of the original.
 */
import { types } from 'node:util';
import type { DiagLogger } from '@opentelemetry/api';
import { InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { notice } from '../../notices/index.js';
import type { CallEnvironment } from '../../pipeline/governed-call.js';
import type { Provider } from '../types.js';
import { ModelGovernor } from './models.js';

type AnyFunction = (this: unknown, ...args: any[]) => any;

export interface AiSdkPatchDependencies {
  environment(family: Provider): CallEnvironment | undefined;
  diag: DiagLogger;
  /** True when `version` of `module` is supported; otherwise says so on stderr, once. */
  supported(module: string, version: string | undefined): boolean;
  wrap(target: any, name: string, wrapper: (original: AnyFunction) => AnyFunction): void;
  unwrap(target: any, name: string): void;
}

/** Exported functions whose options name a language model. */
const LANGUAGE_MODEL_FUNCTIONS = [
  'generateText',
  'streamText',
  'generateObject',
  'streamObject',
  'experimental_streamTextLowMemory',
  'experimental_streamLanguageModelCall',
];

/** Exported functions whose options name an embedding model. */
const EMBEDDING_MODEL_FUNCTIONS = ['embed', 'embedMany'];

/** Exported agent classes (ai 5: `Experimental_Agent`; ai 6 and 7: `ToolLoopAgent`, aliased). */
const AGENT_CLASSES = ['ToolLoopAgent', 'Experimental_Agent', 'Agent'];

const MODULE = 'ai';

function isWrapped(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as { __wrapped?: unknown }).__wrapped === true;
}

/** What one patch of one module exports object changed, to undo it. */
interface Patched {
  /** The exports object the wrapped functions are on: the module's own, or the copy returned. */
  target: Record<string, unknown>;
  functions: string[];
  /** Agent prototypes and the method names wrapped on each. */
  methods: Array<[object, string]>;
}

export function aiSdkModuleDefinitions(
  deps: AiSdkPatchDependencies,
): InstrumentationNodeModuleDefinition[] {
  // By the module's original exports: the require hook hands the original to `unpatch` (and to a
  // new `patch` after `enable()`), while the app holds the copy.
  const patches = new WeakMap<object, Patched>();
  return [
    new InstrumentationNodeModuleDefinition(
      MODULE,
      // Every version is offered to us, so that one outside the range is named, not skipped.
      ['*'],
      (exports: unknown, version?: string) => {
        if (!deps.supported(MODULE, version)) return exports;
        try {
          return patchModule(exports, deps, patches);
        } catch (err) {
          deps.diag.error('axonflow-otel: could not patch the ai module', err);
          notice(
            'unpatched:ai',
            'the ai module (Vercel AI SDK) could not be patched: its calls are NOT governed or traced. Report the ai version to axonflow-otel, or wrap models with axonflowMiddleware().',
            { everyMs: Number.POSITIVE_INFINITY },
          );
          return exports;
        }
      },
      (exports: unknown) => {
        try {
          unpatchModule(exports, deps, patches);
        } catch (err) {
          deps.diag.error('axonflow-otel: could not unpatch the ai module', err);
        }
      },
    ),
  ];
}

function patchModule(
  exports: unknown,
  deps: AiSdkPatchDependencies,
  patches: WeakMap<object, Patched>,
): unknown {
  if (typeof exports !== 'object' || exports === null) return exports;
  const original = exports as Record<string, unknown>;
  const names = [...LANGUAGE_MODEL_FUNCTIONS, ...EMBEDDING_MODEL_FUNCTIONS].filter(
    name => typeof original[name] === 'function',
  );
  // Recorded before anything is wrapped: a patch that fails half-way can still be undone.
  let record = patches.get(original);
  if (record === undefined) {
    record = { target: patchTarget(original, names), functions: [], methods: [] };
    patches.set(original, record);
  }
  const { target } = record;
  const governor = new ModelGovernor(original, {
    environment: () => deps.environment('ai'),
    diag: deps.diag,
  });

  for (const name of names) {
    if (isWrapped(target[name])) continue;
    const govern = EMBEDDING_MODEL_FUNCTIONS.includes(name)
      ? (options: unknown) => governor.embedOptions(options)
      : (options: unknown) => governor.callOptions(options);
    deps.wrap(target, name, fn => wrapModelCall(fn, govern, deps));
    record.functions.push(name);
  }
  for (const proto of agentPrototypes(original)) {
    if (typeof proto.prepareCall === 'function') {
      // ai 6 and 7: `generate` and `stream` both build their call with `prepareCall`.
      if (!isWrapped(proto.prepareCall)) {
        deps.wrap(proto, 'prepareCall', fn => wrapPrepareCall(fn, governor, deps));
        record.methods.push([proto, 'prepareCall']);
      }
      continue;
    }
    // ai 5: `generate` and `stream` spread the agent's settings under their options.
    for (const method of ['generate', 'stream']) {
      if (typeof proto[method] !== 'function' || isWrapped(proto[method])) continue;
      deps.wrap(proto, method, fn => wrapAgentMethod(fn, governor, deps));
      record.methods.push([proto, method]);
    }
  }
  return target;
}

function unpatchModule(
  exports: unknown,
  deps: AiSdkPatchDependencies,
  patches: WeakMap<object, Patched>,
): void {
  if (typeof exports !== 'object' || exports === null) return;
  const record = patches.get(exports);
  if (record === undefined) return;
  for (const name of record.functions.splice(0)) deps.unwrap(record.target, name);
  for (const [proto, method] of record.methods.splice(0)) deps.unwrap(proto, method);
  // The copy (if any) stays the app's exports object: the next patch wraps it again.
}

/**
 * Where the wrapped functions go: the exports object itself when each of them can be redefined
 * there (or it is import-in-the-middle's namespace proxy, which the instrumentation's `wrap` knows
 * how to set), otherwise a copy of the exports.
 */
function patchTarget(exports: Record<string, unknown>, names: string[]): Record<string, unknown> {
  if (types.isProxy(exports)) return exports;
  const redefinable = names.every(
    name => Object.getOwnPropertyDescriptor(exports, name)?.configurable === true,
  );
  if (redefinable) return exports;
  const copy: Record<PropertyKey, unknown> = {};
  for (const key of Reflect.ownKeys(exports)) {
    const desc = Object.getOwnPropertyDescriptor(exports, key);
    Object.defineProperty(copy, key, {
      value: (exports as Record<PropertyKey, unknown>)[key],
      enumerable: desc?.enumerable ?? true,
      writable: true,
      configurable: true,
    });
  }
  return copy as Record<string, unknown>;
}

/** The prototypes of the module's agent classes, once each (ai 6 and 7 alias the class). */
function agentPrototypes(exports: Record<string, unknown>): Array<Record<string, any>> {
  const found = new Set<Record<string, any>>();
  for (const name of AGENT_CLASSES) {
    const cls = exports[name];
    const proto =
      typeof cls === 'function' ? (cls as { prototype?: unknown }).prototype : undefined;
    if (typeof proto === 'object' && proto !== null) found.add(proto as Record<string, any>);
  }
  return [...found];
}

/** The AI SDK function with its options governed; our failure leaves them as they are. */
function wrapModelCall(
  original: AnyFunction,
  govern: (options: unknown) => unknown,
  deps: AiSdkPatchDependencies,
): AnyFunction {
  const wrapped = function (this: unknown, options: unknown, ...rest: unknown[]) {
    let governed = options;
    try {
      if (deps.environment('ai') !== undefined) governed = govern(options);
    } catch (err) {
      deps.diag.error('axonflow-otel: could not govern an AI SDK call; it runs untouched', err);
    }
    return original.call(this, governed, ...rest);
  };
  Object.defineProperty(wrapped, 'name', { value: original.name });
  return wrapped;
}

/** ai 6 and 7: the call an agent prepared, with its model governed. */
function wrapPrepareCall(
  original: AnyFunction,
  governor: ModelGovernor,
  deps: AiSdkPatchDependencies,
): AnyFunction {
  return function prepareCall(this: unknown, ...args: unknown[]) {
    const prepared = original.apply(this, args);
    if (typeof (prepared as PromiseLike<unknown> | undefined)?.then !== 'function') return prepared;
    return Promise.resolve(prepared).then(call => {
      try {
        return deps.environment('ai') === undefined ? call : governor.callOptions(call);
      } catch (err) {
        deps.diag.error('axonflow-otel: could not govern an AI SDK agent call', err);
        return call;
      }
    });
  };
}

/** ai 5: the agent's `generate` / `stream`, with the model of its settings governed. */
function wrapAgentMethod(
  original: AnyFunction,
  governor: ModelGovernor,
  deps: AiSdkPatchDependencies,
): AnyFunction {
  const wrapped = function (this: unknown, options: unknown, ...rest: unknown[]) {
    let governed = options;
    try {
      if (deps.environment('ai') !== undefined) {
        governed = governor.agentOptions(options, (this as { settings?: unknown })?.settings);
      }
    } catch (err) {
      deps.diag.error('axonflow-otel: could not govern an AI SDK agent call', err);
    }
    return original.call(this, governed, ...rest);
  };
  Object.defineProperty(wrapped, 'name', { value: original.name });
  return wrapped;
}
