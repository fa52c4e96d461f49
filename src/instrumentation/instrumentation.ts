/**
 * AxonFlowInstrumentation: patches `openai` and `@anthropic-ai/sdk` (CommonJS and, through the
 * `@opentelemetry/instrumentation` ESM hook, ES modules) so that every model request the client
 * makes, whichever method produced it, is traced by the GenAI conventions and, with governance on,
 * pre-checked, gated and audited.
 *
 * This file owns what is common to every client: the configuration, the metric instruments, the
 * pre-check client, the supported version ranges and the module definitions. How a client family
 * is patched is its own folder (`stainless/` for the Stainless-generated SDKs); what a call does
 * is the decision pipeline (`src/pipeline/`); what a request and a response mean is an adapter
 * (`src/adapters/`).
 *
 * Time of check = time of use: the prompt is not read from the method's arguments (the app can
 * still change them: the SDK serialises the body later) but at the gate, from the final request
 * options, whose `body` is swapped for a private snapshot of itself (see
 * `GovernedCall.enterGate`).
 */
import { createNoopMeter } from '@opentelemetry/api';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  isWrapped,
} from '@opentelemetry/instrumentation';
import { AxonFlowClient } from '../client/client.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../client/version.js';
import { notice } from '../notices/index.js';
import type { CallEnvironment, Instruments } from '../pipeline/governed-call.js';
import * as sc from '../semconv/index.js';
import { readSettings, reportSettingProblems } from '../settings/read.js';
import { aiSdkModuleDefinitions } from './ai-sdk/patch.js';
import { publishEnvironmentSource, withdrawEnvironmentSource } from './environment.js';
import { METHOD_FAMILIES } from './methods/families.js';
import {
  type HookDependencies,
  wrapPrepareOptions,
  wrapRequest,
} from './stainless/request-hook.js';
import type { StainlessFamily } from './stainless/routes.js';
import type { AxonFlowInstrumentationConfig, Provider } from './types.js';

/** Supported SDK versions: the current major and the one before it. */
export const SUPPORTED_VERSIONS = {
  openai: ['>=4.0.0 <8'],
  anthropic: ['>=0.24.0 <2'],
  groq: ['>=0.5.0 <2'],
  ai: ['>=5.0.0 <8'],
  google: ['>=1.0.0 <4'],
  bedrock: ['>=3.0.0 <4'],
  mistral: ['>=1.0.0 <3'],
  cohere: ['>=7.0.0 <9'],
} as const;

/** The module names each client family patches: what an ES module loader hook must include. */
export const PROVIDER_MODULES: Readonly<Record<Provider, readonly string[]>> = {
  openai: ['openai'],
  anthropic: ['@anthropic-ai/sdk', '@anthropic-ai/bedrock-sdk', '@anthropic-ai/vertex-sdk'],
  groq: ['groq-sdk'],
  ai: ['ai'],
  google: ['@google/genai'],
  bedrock: ['@aws-sdk/client-bedrock-runtime'],
  mistral: ['@mistralai/mistralai'],
  cohere: ['cohere-ai'],
};

/** The Stainless-generated client packages: module name, family, and the client class's export. */
const STAINLESS_PACKAGES: ReadonlyArray<{
  module: string;
  family: StainlessFamily;
  root: string;
}> = [
  { module: 'openai', family: 'openai', root: 'OpenAI' },
  { module: '@anthropic-ai/sdk', family: 'anthropic', root: 'Anthropic' },
  // They load `@anthropic-ai/sdk/client`, not the package's main module: hooked on their own.
  { module: '@anthropic-ai/bedrock-sdk', family: 'anthropic', root: 'AnthropicBedrock' },
  { module: '@anthropic-ai/vertex-sdk', family: 'anthropic', root: 'AnthropicVertex' },
  { module: 'groq-sdk', family: 'groq', root: 'Groq' },
];

type AnyFunction = (this: unknown, ...args: any[]) => any;

const ALL_PROVIDERS: Provider[] = [
  'openai',
  'anthropic',
  'groq',
  'ai',
  'google',
  'bedrock',
  'mistral',
  'cohere',
];

interface NormalizedConfig extends AxonFlowInstrumentationConfig {
  governance: boolean;
  captureMessageContent: boolean;
  maxCapturedContentChars: number;
  responseSummaryChars: number;
  enabledProviders: Provider[];
  latestGenAiNames: boolean;
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
  /** The last environment handed out, with the config it was made from: reused while current. */
  declare private _environment: { config: object; env: CallEnvironment } | undefined;

  constructor(config: AxonFlowInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  /** Also makes this instance the one the explicit API (`governClient`, the AI SDK middleware) uses. */
  override enable(): void {
    super.enable();
    publishEnvironmentSource(this);
  }

  override disable(): void {
    super.disable();
    withdrawEnvironmentSource(this);
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
      enabledProviders: config.enabledProviders ?? ALL_PROVIDERS,
      latestGenAiNames: settings.OTEL_SEMCONV_STABILITY_OPT_IN,
    };
    if (config.client !== undefined || !normalized.governance) this._client = undefined;
    super.setConfig(normalized);
  }

  protected override _updateMetricInstruments(): void {
    const instruments: Omit<Instruments, 'recording'> = {
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
      timeToFirstChunk: this.meter.createHistogram(
        sc.METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
        {
          description: 'Time to receive the first chunk of a streamed response',
          unit: 's',
          advice: { explicitBucketBoundaries: sc.DURATION_BUCKETS },
        },
      ),
      timePerOutputChunk: this.meter.createHistogram(
        sc.METRIC_GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK,
        {
          description: 'Time between consecutive chunks of a streamed response',
          unit: 's',
          advice: { explicitBucketBoundaries: sc.DURATION_BUCKETS },
        },
      ),
      preCheckDuration: this.meter.createHistogram(sc.METRIC_AXONFLOW_PRE_CHECK_DURATION, {
        description: 'Time to an AxonFlow policy decision, cache hits included',
        unit: 's',
        advice: { explicitBucketBoundaries: sc.PRE_CHECK_BUCKETS },
      }),
      decisions: this.meter.createCounter(sc.METRIC_AXONFLOW_DECISIONS, {
        description: 'AxonFlow policy decisions, by decision',
      }),
    };
    // With no MeterProvider every instrument is the API's shared no-op: a call then skips building
    // the attributes of points nobody records. (The base class calls this method again whenever a
    // meter provider is set.)
    const noop = createNoopMeter();
    const recording =
      instruments.decisions !== noop.createCounter('noop') ||
      [
        instruments.duration,
        instruments.tokens,
        instruments.timeToFirstChunk,
        instruments.timePerOutputChunk,
        instruments.preCheckDuration,
      ].some(h => h !== noop.createHistogram('noop'));
    this._instruments = { ...instruments, recording };
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
    const families = config.enabledProviders ?? ALL_PROVIDERS;
    const definitions: InstrumentationNodeModuleDefinition[] = [];
    for (const pkg of STAINLESS_PACKAGES) {
      if (!families.includes(pkg.family)) continue;
      definitions.push(
        new InstrumentationNodeModuleDefinition(
          pkg.module,
          // Every version is offered to us, so that one outside the range is named, not skipped.
          ['*'],
          (exports, version) => {
            if (this._supported(pkg.family, pkg.module, version)) {
              this._patchClient(moduleRoot(exports, pkg.root)?.prototype, pkg.family);
            }
            return exports;
          },
          exports => this._unpatchClient(moduleRoot(exports, pkg.root)?.prototype),
        ),
      );
    }
    for (const family of METHOD_FAMILIES) {
      if (!families.includes(family.name)) continue;
      definitions.push(
        ...family.definitions({
          environment: f => this.environmentFor(f),
          diag: this._diag,
          supported: (module, version) => this._supported(family.name, module, version),
          wrap: (target, name, wrapper) => this._wrap(target, name, wrapper),
          unwrap: (target, name) => this._unwrap(target, name),
        }),
      );
    }
    if (families.includes('ai')) {
      definitions.push(
        ...aiSdkModuleDefinitions({
          environment: family => this.environmentFor(family),
          diag: this._diag,
          supported: (module, version) => this._supported('ai', module, version),
          wrap: (target, name, wrapper) => this._wrap(target, name, wrapper),
          unwrap: (target, name) => this._unwrap(target, name),
        }),
      );
    }
    return definitions;
  }

  /** True when `version` is in the supported range; otherwise says so on stderr, once. */
  private _supported(family: Provider, module: string, version: string | undefined): boolean {
    const range = SUPPORTED_VERSIONS[family][0];
    if (version === undefined || satisfies(version, range)) return true;
    notice(
      `unsupported:${module}@${version}`,
      `${module} ${version} is loaded but outside the supported range (${range}): its calls are NOT governed or traced. Install a supported version.`,
      { everyMs: Number.POSITIVE_INFINITY },
    );
    return false;
  }

  /**
   * The environment of a call, or undefined when the family must not be instrumented now.
   * Internal: the patch layers and the explicit API call it.
   * @internal
   */
  environmentFor(family: Provider): CallEnvironment | undefined {
    const config = this._config as NormalizedConfig;
    if (!this.isEnabled() || !config.enabledProviders.includes(family)) return undefined;
    const tracer = this.tracer;
    const client = this.client;
    const instruments = this._instruments;
    // One object per call was measurable on the hot path; it only changes with what it holds.
    const known = this._environment;
    if (
      known !== undefined &&
      known.config === config &&
      known.env.tracer === tracer &&
      known.env.client === client &&
      known.env.instruments === instruments
    ) {
      return known.env;
    }
    const env: CallEnvironment = {
      tracer,
      diag: this._diag,
      instruments,
      client,
      captureContent: config.captureMessageContent,
      maxCaptureChars: config.maxCapturedContentChars,
      latestNames: config.latestGenAiNames,
      summaryChars: config.responseSummaryChars,
    };
    this._environment = { config, env };
    return env;
  }

  /**
   * Patches a Stainless client's `request` and `prepareOptions` where they are defined (the base
   * class), so every subclass (`AzureOpenAI`, an app's own) is covered.
   */
  private _patchClient(clientProto: any, family: StainlessFamily): void {
    const deps: HookDependencies = {
      environment: f => this.environmentFor(f),
      diag: this._diag,
    };
    const requestOwner = ownerOf(clientProto, 'request');
    const gateOwner = ownerOf(clientProto, 'prepareOptions');
    // Reached through another package of the family (Bedrock, Vertex share `BaseAnthropic`).
    if (isWrapped(requestOwner?.request) && isWrapped(gateOwner?.prepareOptions)) return;
    if (!requestOwner || !gateOwner) {
      const missing = requestOwner ? 'prepareOptions' : 'request';
      this._diag.warn(`axonflow-otel: ${family} client has no ${missing} method; not patched`);
      notice(
        `unpatched:${family}`,
        `the ${family} client has no ${missing} method: its calls are NOT governed or traced. Report the SDK version to axonflow-otel.`,
        { everyMs: Number.POSITIVE_INFINITY },
      );
      return;
    }
    this._wrap(requestOwner, 'request', (original: AnyFunction) =>
      wrapRequest(original, family, deps),
    );
    this._wrap(gateOwner, 'prepareOptions', (original: AnyFunction) =>
      wrapPrepareOptions(original, family, deps),
    );
  }

  private _unpatchClient(clientProto: any): void {
    for (const name of ['request', 'prepareOptions']) {
      const owner = ownerOf(clientProto, name);
      if (owner) this._unwrap(owner, name);
    }
  }
}
