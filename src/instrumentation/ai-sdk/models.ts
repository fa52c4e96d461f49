/**
 * Governed model objects for one loaded `ai` module: what the patch layer (`patch.ts`) puts in
 * place of the model an app passes to the AI SDK. A language model is wrapped with that module's
 * own `wrapLanguageModel` and the governance middleware (`middleware.ts`), an embedding model with
 * its `wrapEmbeddingModel`; where the module has no such function, or its wrapper would change the
 * model's specification version (ai 6 wraps a `v2` model as `v3` without converting it), with a
 * proxy of the model that keeps every property and routes only the model calls through the
 * middleware.
 *
 * A governed model is marked (under a `Symbol.for` key, so both builds of this package see it) and
 * never wrapped again; wrappers are kept per model, so an app that passes the same model to every
 * call gets the same wrapper. A model given by its id (a string the AI SDK resolves through its
 * global provider) cannot be reached here: it is left as it is, and stderr says so once.
 */
import { isRecord } from '../../adapters/messages.js';
import { notice } from '../../notices/index.js';
import { scrub } from '../../scrub/index.js';
import {
  type AxonFlowEmbeddingModelMiddleware,
  type AxonFlowLanguageModelMiddleware,
  embeddingModelMiddleware,
  languageModelMiddleware,
  type MiddlewareDependencies,
} from './middleware.js';

type AnyFunction = (this: unknown, ...args: any[]) => any;

/** Marks a governed model or a governed `prepareStep` function. */
const GOVERNED = Symbol.for('axonflow-otel.ai-sdk.governed');

/** Call options that can carry a model or a function that picks one. */
const PREPARE_STEP_KEYS = ['prepareStep', 'experimental_prepareStep'] as const;

function isGoverned(value: object): boolean {
  try {
    return (value as Record<symbol, unknown>)[GOVERNED] === true;
  } catch {
    return false;
  }
}

function mark<T extends object>(value: T): T {
  Object.defineProperty(value, GOVERNED, { value: true });
  return value;
}

function noticeModelId(id: string): void {
  notice(
    'ungoverned:ai-sdk-model-id',
    `an AI SDK call names its model by id ("${scrub(id, 80)}"), which the AI SDK resolves through its global provider, out of reach of the instrumentation: such calls are NOT governed or traced. Pass the model object instead, e.g. openai('gpt-4o') or gateway('openai/gpt-4o').`,
    { everyMs: Number.POSITIVE_INFINITY },
  );
}

/**
 * A proxy of `model` whose `overrides` replace the model calls. Every other property is read from
 * the model itself (its getters run on the model, not on the proxy).
 */
function proxyModel(model: object, overrides: Record<string, AnyFunction>): object {
  return new Proxy(model, {
    get(target, key) {
      if (key === GOVERNED) return true;
      if (typeof key === 'string' && Object.hasOwn(overrides, key)) return overrides[key];
      return Reflect.get(target, key, target);
    },
  });
}

export class ModelGovernor {
  readonly #wrapLanguageModel: AnyFunction | undefined;
  readonly #wrapEmbeddingModel: AnyFunction | undefined;
  readonly #languageMiddleware: AxonFlowLanguageModelMiddleware;
  readonly #embeddingMiddleware: AxonFlowEmbeddingModelMiddleware;
  readonly #languageModels = new WeakMap<object, object>();
  readonly #embeddingModels = new WeakMap<object, object>();
  readonly #prepareSteps = new WeakMap<AnyFunction, AnyFunction>();

  /** `moduleExports`: the `ai` module, whose own wrapping functions are used. */
  constructor(moduleExports: unknown, deps: MiddlewareDependencies) {
    const m = isRecord(moduleExports) ? moduleExports : {};
    this.#wrapLanguageModel =
      typeof m.wrapLanguageModel === 'function' ? m.wrapLanguageModel : undefined;
    this.#wrapEmbeddingModel =
      typeof m.wrapEmbeddingModel === 'function' ? m.wrapEmbeddingModel : undefined;
    this.#languageMiddleware = languageModelMiddleware(deps);
    this.#embeddingMiddleware = embeddingModelMiddleware(deps);
  }

  /** The governed language model for `model`; anything that is not a model object as it is. */
  languageModel(model: unknown): unknown {
    if (typeof model === 'string') {
      noticeModelId(model);
      return model;
    }
    if (!isRecord(model) || typeof model.doGenerate !== 'function' || isGoverned(model)) {
      return model;
    }
    let governed = this.#languageModels.get(model);
    if (governed === undefined) {
      governed = this.#wrapLanguage(model);
      this.#languageModels.set(model, governed);
    }
    return governed;
  }

  /** The governed embedding model for `model`; anything that is not a model object as it is. */
  embeddingModel(model: unknown): unknown {
    if (typeof model === 'string') {
      noticeModelId(model);
      return model;
    }
    if (!isRecord(model) || typeof model.doEmbed !== 'function' || isGoverned(model)) {
      return model;
    }
    let governed = this.#embeddingModels.get(model);
    if (governed === undefined) {
      governed = this.#wrapEmbedding(model);
      this.#embeddingModels.set(model, governed);
    }
    return governed;
  }

  /**
   * The options of `generateText`, `streamText`, `generateObject`, `streamObject` (and the call
   * arguments an agent prepares) with the model governed, and with a `prepareStep` that governs
   * the model it picks for a step. The app's object is not changed: a copy is returned when
   * something was governed.
   */
  callOptions(options: unknown): unknown {
    if (!isRecord(options)) return options;
    const changes: Record<string, unknown> = {};
    const model = this.languageModel(options.model);
    if (model !== options.model) changes.model = model;
    for (const key of PREPARE_STEP_KEYS) {
      const prepareStep = this.#prepareStep(options[key]);
      if (prepareStep !== options[key]) changes[key] = prepareStep;
    }
    return Object.keys(changes).length === 0 ? options : { ...options, ...changes };
  }

  /** The options of `embed` and `embedMany` with the model governed. */
  embedOptions(options: unknown): unknown {
    if (!isRecord(options)) return options;
    const model = this.embeddingModel(options.model);
    return model === options.model ? options : { ...options, model };
  }

  /**
   * The options of an agent's `generate` / `stream` (ai 5's `Agent`, which spreads its settings
   * under them) with the settings' model and `prepareStep` governed.
   */
  agentOptions(options: unknown, settings: unknown): unknown {
    const given = isRecord(options) ? options : {};
    const merged = { ...(isRecord(settings) ? settings : {}), ...given };
    const governed = this.callOptions(merged) as Record<string, unknown>;
    if (governed === merged) return options;
    const changes: Record<string, unknown> = {};
    for (const key of ['model', ...PREPARE_STEP_KEYS]) {
      if (governed[key] !== merged[key]) changes[key] = governed[key];
    }
    return { ...given, ...changes };
  }

  #wrapLanguage(model: Record<string, any>): object {
    const middleware = this.#languageMiddleware;
    const wrapped = this.#withModule(this.#wrapLanguageModel, model, middleware);
    if (wrapped !== undefined) return wrapped;
    return proxyModel(model, {
      doGenerate: (params: unknown) =>
        middleware.wrapGenerate({
          doGenerate: () => model.doGenerate(params),
          doStream: () => model.doStream(params),
          params,
          model,
        }),
      doStream: (params: unknown) =>
        middleware.wrapStream({
          doGenerate: () => model.doGenerate(params),
          doStream: () => model.doStream(params),
          params,
          model,
        }),
    });
  }

  #wrapEmbedding(model: Record<string, any>): object {
    const middleware = this.#embeddingMiddleware;
    const wrapped = this.#withModule(this.#wrapEmbeddingModel, model, middleware);
    if (wrapped !== undefined) return wrapped;
    return proxyModel(model, {
      doEmbed: (params: unknown) =>
        middleware.wrapEmbed({ doEmbed: () => model.doEmbed(params), params, model }),
    });
  }

  /**
   * The model wrapped by the module's own function, marked; undefined when the module has none,
   * it fails, or it would change the model's specification version.
   */
  #withModule(
    wrap: AnyFunction | undefined,
    model: Record<string, any>,
    middleware: object,
  ): object | undefined {
    if (wrap === undefined) return undefined;
    try {
      const wrapped: unknown = wrap({ model, middleware });
      if (!isRecord(wrapped) || wrapped.specificationVersion !== model.specificationVersion) {
        return undefined;
      }
      return mark(wrapped);
    } catch {
      return undefined;
    }
  }

  /** A `prepareStep` whose result's model is governed. */
  #prepareStep(prepareStep: unknown): unknown {
    if (typeof prepareStep !== 'function' || isGoverned(prepareStep)) return prepareStep;
    const original = prepareStep as AnyFunction;
    let governed = this.#prepareSteps.get(original);
    if (governed === undefined) {
      const governor = this;
      governed = mark(function prepareStep(this: unknown, ...args: unknown[]) {
        const result = original.apply(this, args);
        return typeof (result as PromiseLike<unknown> | undefined)?.then === 'function'
          ? Promise.resolve(result).then(step => governor.#stepResult(step))
          : governor.#stepResult(result);
      });
      this.#prepareSteps.set(original, governed);
    }
    return governed;
  }

  #stepResult(step: unknown): unknown {
    if (!isRecord(step) || step.model === undefined) return step;
    const model = this.languageModel(step.model);
    return model === step.model ? step : { ...step, model };
  }
}
