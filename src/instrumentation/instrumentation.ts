/**
 * AxonFlowInstrumentation: patches `openai` and `@anthropic-ai/sdk` (CommonJS and, through the
 * `@opentelemetry/instrumentation` ESM hook, ES modules) so that every call to a covered method
 * is traced by the GenAI conventions and, with governance on, pre-checked, gated and audited.
 *
 * Two patches per SDK: the resource method (`create`), which starts a `GovernedCall` and returns
 * the SDK's own `APIPromise` untouched; and the client's `prepareOptions` hook, which the SDK
 * awaits before every HTTP attempt, where the call reads the request and waits for its policy
 * decision. The call reaches the hook through a symbol-keyed request option, so nothing is sent
 * to the provider.
 *
 * Time of check = time of use: the prompt is not read from `create()`'s arguments (the app can
 * still change them: the SDK serialises the body later) but at the gate, from the final request
 * options, whose `body` is swapped for a private snapshot of itself: the pre-check reads that
 * snapshot and the SDK serialises it, so text changed after the check never reaches the provider
 * (see `GovernedCall.enterGate`).
 */
import { type Context, context, type Span, trace } from '@opentelemetry/api';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
} from '@opentelemetry/instrumentation';
import { AxonFlowClient } from '../client/client.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../client/version.js';
import { notice } from '../notices/index.js';
import { readSettings, reportSettingProblems } from '../settings/read.js';
import type { CallAdapter } from './adapter.js';
import { anthropicMessages } from './anthropic.js';
import { type CallEnvironment, GovernedCall, type Instruments } from './governed-call.js';
import { openaiChat, openaiEmbeddings, openaiResponses } from './openai.js';
import * as sc from './semconv.js';
import type { AxonFlowInstrumentationConfig, Provider } from './types.js';

/** Carries the governed call from the patched method to the SDK's `prepareOptions`. */
const GATE = Symbol.for('axonflow-otel.governed-call');

/** Supported SDK versions: the current major and the one before it. */
export const SUPPORTED_VERSIONS = {
  openai: ['>=6.0.0 <8'],
  anthropic: ['>=0.60.0 <2'],
} as const;

type AnyFunction = (this: unknown, ...args: any[]) => any;

interface NormalizedConfig extends AxonFlowInstrumentationConfig {
  governance: boolean;
  captureMessageContent: boolean;
  maxCapturedContentChars: number;
  responseSummaryChars: number;
  enabledProviders: Provider[];
}

/** `version` against a range of the form `>=A.B.C <M` (the only form SUPPORTED_VERSIONS uses). */
export function satisfies(version: string, range: string): boolean {
  const m = /^>=(\d+)\.(\d+)\.(\d+) <(\d+)$/.exec(range);
  const v = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m || !v) return false;
  const [a, b] = [v.slice(1, 4).map(Number), m.slice(1, 4).map(Number)] as [number[], number[]];
  for (let i = 0; i < 3; i++) {
    if (a[i]! > b[i]!) break;
    if (a[i]! < b[i]!) return false;
  }
  return a[0]! < Number(m[4]);
}

/** Finds the prototype in the chain that owns `name`, so the patch covers every subclass. */
function ownerOf(proto: any, name: string): any {
  for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.hasOwn(p, name)) return p;
  }
  return undefined;
}

function moduleRoot(exports: any, named: string): any {
  if (exports?.[Symbol.toStringTag] === 'Module')
    return exports.default?.[named] ? exports.default : (exports[named] ?? exports.default);
  return exports?.[named] ?? exports?.default ?? exports;
}

export class AxonFlowInstrumentation extends InstrumentationBase<AxonFlowInstrumentationConfig> {
  // `declare`: the base constructor calls init()/enable()/_updateMetricInstruments() before
  // subclass field initialisers would run, and an initialiser would then wipe what they set.
  declare private _instruments: Instruments;
  declare private _client: AxonFlowClient | null | undefined;

  constructor(config: AxonFlowInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  override setConfig(config: AxonFlowInstrumentationConfig = {}): void {
    // Invalid values are reported (once) by the settings layer and replaced by their defaults.
    const { settings, problems } = readSettings();
    reportSettingProblems(problems);
    const normalized: NormalizedConfig = {
      ...config,
      governance: config.governance ?? settings.AXONFLOW_GOVERNANCE,
      captureMessageContent:
        config.captureMessageContent ?? settings.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT,
      maxCapturedContentChars: Math.max(0, config.maxCapturedContentChars ?? 16_384),
      responseSummaryChars: Math.max(
        0,
        config.responseSummaryChars ?? settings.AXONFLOW_RESPONSE_SUMMARY_CHARS,
      ),
      enabledProviders: config.enabledProviders ?? ['openai', 'anthropic'],
    };
    if (config.client !== undefined || !normalized.governance) this._client = undefined;
    super.setConfig(normalized);
  }

  protected override _updateMetricInstruments(): void {
    this._instruments = {
      duration: this.meter.createHistogram(sc.METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
        description: 'GenAI operation duration',
        unit: 's',
        advice: { explicitBucketBoundaries: sc.DURATION_BUCKETS },
      }),
      tokens: this.meter.createHistogram(sc.METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
        description: 'Measures number of input and output tokens used',
        unit: '{token}',
        advice: { explicitBucketBoundaries: sc.TOKEN_BUCKETS },
      }),
      preCheckDuration: this.meter.createHistogram(sc.METRIC_AXONFLOW_PRE_CHECK_DURATION, {
        description: 'Time to an AxonFlow policy decision, cache hits included',
        unit: 's',
        advice: { explicitBucketBoundaries: sc.PRE_CHECK_BUCKETS },
      }),
      decisions: this.meter.createCounter(sc.METRIC_AXONFLOW_DECISIONS, {
        description: 'AxonFlow policy decisions, by decision',
      }),
    };
  }

  /**
   * The client used for pre-checks: the configured one, or one built from the environment on
   * first use (undefined when governance is off or the environment is invalid).
   */
  get client(): AxonFlowClient | undefined {
    const config = this._config as NormalizedConfig;
    if (!config.governance) return undefined;
    if (config.client) return config.client;
    if (this._client === undefined) {
      try {
        this._client = AxonFlowClient.fromEnv();
      } catch (err) {
        this._diag.error(`axonflow-otel: governance is off: ${(err as Error).message}`);
        notice('governance-off:config', `calls are NOT governed: ${(err as Error).message}`, {
          everyMs: Number.POSITIVE_INFINITY,
        });
        this._client = null;
      }
    }
    return this._client ?? undefined;
  }

  protected init() {
    const config = this._config as NormalizedConfig;
    const definitions: InstrumentationNodeModuleDefinition[] = [];
    const providers = config.enabledProviders ?? ['openai', 'anthropic'];
    if (providers.includes('openai')) {
      definitions.push(
        new InstrumentationNodeModuleDefinition(
          'openai',
          // Every version is offered to us, so that one outside the range is named, not skipped.
          ['*'],
          (exports, version) =>
            this._supported('openai', version) ? this._patchOpenAI(exports) : exports,
          exports => this._unpatchOpenAI(exports),
        ),
      );
    }
    if (providers.includes('anthropic')) {
      definitions.push(
        new InstrumentationNodeModuleDefinition(
          '@anthropic-ai/sdk',
          ['*'],
          (exports, version) =>
            this._supported('anthropic', version) ? this._patchAnthropic(exports) : exports,
          exports => this._unpatchAnthropic(exports),
        ),
      );
    }
    return definitions;
  }

  /** True when `version` is in the supported range; otherwise says so on stderr, once. */
  private _supported(provider: Provider, version: string | undefined): boolean {
    const range = SUPPORTED_VERSIONS[provider][0];
    if (version === undefined || satisfies(version, range)) return true;
    const name = provider === 'openai' ? 'openai' : '@anthropic-ai/sdk';
    notice(
      `unsupported:${name}@${version}`,
      `${name} ${version} is loaded but outside the supported range (${range}): its calls are NOT governed or traced. Install a supported version.`,
      { everyMs: Number.POSITIVE_INFINITY },
    );
    return false;
  }

  private _patchOpenAI(exports: any): any {
    const OpenAI = moduleRoot(exports, 'OpenAI');
    this._patchMethod(OpenAI?.Chat?.Completions?.prototype, openaiChat);
    this._patchMethod(OpenAI?.Responses?.prototype, openaiResponses);
    this._patchMethod(OpenAI?.Embeddings?.prototype, openaiEmbeddings);
    this._patchGate(OpenAI?.prototype);
    return exports;
  }

  private _unpatchOpenAI(exports: any): void {
    const OpenAI = moduleRoot(exports, 'OpenAI');
    for (const proto of [
      OpenAI?.Chat?.Completions?.prototype,
      OpenAI?.Responses?.prototype,
      OpenAI?.Embeddings?.prototype,
    ]) {
      if (proto) this._unwrap(proto, 'create');
    }
    const gate = ownerOf(OpenAI?.prototype, 'prepareOptions');
    if (gate) this._unwrap(gate, 'prepareOptions');
  }

  private _patchAnthropic(exports: any): any {
    const Anthropic = moduleRoot(exports, 'Anthropic');
    this._patchMethod(Anthropic?.Messages?.prototype, anthropicMessages);
    this._patchGate(Anthropic?.prototype);
    return exports;
  }

  private _unpatchAnthropic(exports: any): void {
    const Anthropic = moduleRoot(exports, 'Anthropic');
    if (Anthropic?.Messages?.prototype) this._unwrap(Anthropic.Messages.prototype, 'create');
    const gate = ownerOf(Anthropic?.prototype, 'prepareOptions');
    if (gate) this._unwrap(gate, 'prepareOptions');
  }

  private _patchMethod(proto: any, adapter: CallAdapter): void {
    if (typeof proto?.create !== 'function') {
      this._diag.debug(
        `axonflow-otel: ${adapter.provider} ${adapter.operation} create() not found; not patched`,
      );
      return;
    }
    this._wrap(proto, 'create', (original: AnyFunction) => this._governedMethod(original, adapter));
  }

  private _patchGate(clientProto: any): void {
    const owner = ownerOf(clientProto, 'prepareOptions');
    if (!owner) {
      this._diag.warn(
        'axonflow-otel: SDK client has no prepareOptions hook; calls are traced but not gated',
      );
      notice(
        'unpatched:prepareOptions',
        'an SDK client has no prepareOptions hook: its calls are traced but NOT governed. Report the SDK version to axonflow-otel.',
        { everyMs: Number.POSITIVE_INFINITY },
      );
      return;
    }
    this._wrap(
      owner,
      'prepareOptions',
      (original: AnyFunction) =>
        function prepareOptions(this: unknown, options: any, ...rest: unknown[]) {
          let call: GovernedCall | undefined;
          try {
            call = options?.[GATE];
          } catch {
            call = undefined;
          }
          if (typeof call?.enterGate !== 'function') return original.call(this, options, ...rest);
          let gate: Promise<void> | undefined;
          try {
            gate = call.enterGate(options);
          } catch (err) {
            // A body the SDK could not serialise either: the attempt fails, nothing is sent.
            return Promise.reject(err);
          }
          return gate === undefined
            ? original.call(this, options, ...rest)
            : gate.then(() => original.call(this, options, ...rest));
        },
    );
  }

  private _governedMethod(original: AnyFunction, adapter: CallAdapter): AnyFunction {
    const self = this;
    return function create(this: any, ...args: any[]) {
      if (
        !self.isEnabled() ||
        !(self._config as NormalizedConfig).enabledProviders.includes(adapter.provider)
      ) {
        return original.apply(this, args);
      }
      let call: GovernedCall;
      let callArgs: any[];
      try {
        const config = self._config as NormalizedConfig;
        const env: CallEnvironment = {
          tracer: self.tracer,
          diag: self._diag,
          instruments: self._instruments,
          client: self.client,
          captureContent: config.captureMessageContent,
          maxCaptureChars: config.maxCapturedContentChars,
          summaryChars: config.responseSummaryChars,
        };
        call = new GovernedCall(env, adapter, args[0], this?._client, parentContext(args[1]));
        callArgs = call.gated ? [args[0], withGate(args[1], call), ...args.slice(2)] : args;
      } catch (err) {
        self._diag.error(
          'axonflow-otel: could not start the call span; calling the SDK untouched',
          err,
        );
        notice(
          'ungoverned:unreadable-request',
          `an ${adapter.provider} ${adapter.operation} request could not be read, so it was sent NOT governed (never breaking the app comes first). Report the request shape to axonflow-otel.`,
        );
        return original.apply(this, args);
      }
      let result: any;
      try {
        result = context.with(call.context, () => original.apply(this, callArgs));
      } catch (err) {
        call.fail(err);
        throw err;
      }
      try {
        call.observe(result);
      } catch (err) {
        self._diag.error('axonflow-otel: could not observe the SDK result', err);
      }
      return result;
    };
  }
}

/**
 * The context our span starts in. `@anthropic-ai/sdk` helpers (`messages.stream()`) start the
 * SDK's own call span before calling `create` and pass it in `options.__span`; parenting ours to
 * it keeps the whole call in one trace (the SDK span then stands above ours instead of below).
 */
function parentContext(options: unknown): Context {
  const active = context.active();
  const sdkSpan = (options as { __span?: { span?: Span } } | undefined)?.__span?.span;
  return sdkSpan && typeof sdkSpan.spanContext === 'function'
    ? trace.setSpan(active, sdkSpan)
    : active;
}

/** The request options with the call attached; an options promise stays a promise. */
function withGate(options: unknown, call: GovernedCall): unknown {
  if (options !== null && typeof (options as PromiseLike<unknown>)?.then === 'function') {
    return Promise.resolve(options).then(resolved => ({ ...(resolved as object), [GATE]: call }));
  }
  return { ...(options as object | undefined), [GATE]: call };
}
