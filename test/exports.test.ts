/**
 * The package's public surface, pinned: every entry of `package.json` `exports`, as an app gets it
 * from the built package (ES modules through `import()`, CommonJS through `require`), and as
 * TypeScript sees it in the shipped declarations. A name added to, or dropped from, any entry
 * fails here until this list and the entry's comment say so on purpose. Each name has one home:
 * no entry repeats another's.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/child.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const built = existsSync(join(ROOT, 'dist/esm/index.js'));

interface Surface {
  /** Names an app can read at run time. */
  values: string[];
  /** Names that exist for TypeScript only. */
  types: string[];
}

const SURFACE: Record<'.' | './client' | './sandbox' | './register', Surface> = {
  '.': {
    values: [
      'AuthenticationError',
      'AxonFlowAuditSpanProcessor',
      'AxonFlowClient',
      'AxonFlowError',
      'AxonFlowInstrumentation',
      'ConfigError',
      'ErrorCode',
      'InvalidResponseError',
      'PolicyViolationError',
      'RedactionRequiredError',
      'RequestRejectedError',
      'SUPPORTED_VERSIONS',
      'StreamProtocolError',
      'TimeoutError',
      'UnavailableError',
      'UncheckedRequestError',
      'axonflowEmbeddingMiddleware',
      'axonflowMiddleware',
      'governClient',
      'withAxonFlowContext',
    ],
    types: [
      'AuditClient',
      'AuditLLMCallRequest',
      'AuditProcessorStats',
      'AuditResult',
      'AxonDialect',
      'AxonFlowAuditSpanProcessorConfig',
      'AxonFlowCallContext',
      'AxonFlowClientConfig',
      'AxonFlowEmbeddingModelMiddleware',
      'AxonFlowInstrumentationConfig',
      'AxonFlowLanguageModelMiddleware',
      'AxonMetadata',
      'AxonStream',
      'AxonStreamEvent',
      'BreakerOptions',
      'CacheOptions',
      'CallOptions',
      'FailOpenReason',
      'GatePolicy',
      'GovernClientOptions',
      'Mode',
      'PreCheckRequest',
      'PreCheckResult',
      'Provider',
      'RateLimit',
      'RetryOptions',
      'TokenUsage',
      'UncheckedReason',
    ],
  },
  './client': {
    values: ['wire'],
    types: [
      'CancelPlanResult',
      'ConnectorResult',
      'HealthStatus',
      'Plan',
      'PlanExecution',
      'PolicyInfo',
      'ProxyLLMCallRequest',
      'ProxyLLMCallResult',
    ],
  },
  './sandbox': {
    values: ['startSandbox'],
    types: ['AgentOutage', 'AuditRecord', 'Fault', 'Sandbox', 'SandboxOptions'],
  },
  // Loading it starts governed tracing; it exports nothing.
  './register': { values: [], types: [] },
};

/** `wire` (in `axonflow-otel/client`): the agent's JSON shapes, schemas and their types. */
const WIRE_SCHEMAS = [
  'AuditResultSchema',
  'BudgetInfoSchema',
  'CancelPlanResponseSchema',
  'ClientResponseSchema',
  'CodeArtifactSchema',
  'ConnectorListSchema',
  'ConnectorMetadataSchema',
  'ConnectorPolicyInfoSchema',
  'ConnectorResponseSchema',
  'ErrorEnvelopeSchema',
  'HealthResponseSchema',
  'MediaContentSchema',
  'PlanExecutionResponseSchema',
  'PlanResponseSchema',
  'PlanStepSchema',
  'PolicyEvaluationInfoSchema',
  'PolicyMatchInfoSchema',
  'PreCheckResponseSchema',
  'RateLimitInfoSchema',
  'StepResultSchema',
];
const WIRE_TYPES = [
  'AuditRequest',
  'AuditResultWire',
  'BudgetInfo',
  'CancelPlanResponse',
  'ClientRequest',
  'ClientResponse',
  'CodeArtifact',
  'ConnectorMetadata',
  'ConnectorPolicyInfo',
  'ConnectorResponse',
  'HealthResponse',
  'MediaContent',
  'PlanExecutionResponse',
  'PlanResponse',
  'PlanStep',
  'PolicyEvaluationInfo',
  'PolicyMatchInfo',
  'PreCheckRequestWire',
  'PreCheckResponse',
  'RateLimitInfo',
  'StepResult',
  'TokenUsageWire',
];

const sorted = (names: Iterable<string>) => [...names].sort();
/**
 * The bare specifier of an entry. Built at run time, never a literal: TypeScript would otherwise
 * type the import from `dist/`, which `npm test` builds only after the typecheck.
 */
const specifier = (entry: string) => `axonflow-otel${entry.slice(1)}`;
/** The root entry as the sources declare it (the built package is checked against this list). */
type Api = typeof import('../src/index.js');
const inProcess = (['.', './client', './sandbox'] as const).map(entry => [entry] as const);

type Conditions = Record<'import' | 'require', { types: string; default: string }>;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, string | Conditions>;
  tshy: { exports: Record<string, string> };
};

/** Every name a declaration file exports, as TypeScript resolves it; `wire`'s own too. */
function declaredNames(files: string[]): Map<string, { names: string[]; wire?: string[] }> {
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2023,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const out = new Map<string, { names: string[]; wire?: string[] }>();
  for (const file of files) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(file)!);
    const exported = module === undefined ? [] : checker.getExportsOfModule(module);
    const wire = exported.find(s => s.name === 'wire');
    out.set(file, {
      names: sorted(exported.map(s => s.name)),
      ...(wire === undefined
        ? {}
        : {
            wire: sorted(
              checker.getExportsOfModule(checker.getAliasedSymbol(wire)).map(s => s.name),
            ),
          }),
    });
  }
  return out;
}

describe('package.json exports', () => {
  it('has exactly the entries tshy builds, each for import and require', () => {
    expect(sorted(Object.keys(pkg.exports))).toEqual(
      sorted(['./package.json', ...Object.keys(SURFACE)]),
    );
    expect(sorted(Object.keys(pkg.tshy.exports))).toEqual(sorted(Object.keys(pkg.exports)));
    for (const entry of Object.keys(SURFACE)) {
      const conditions = pkg.exports[entry] as Conditions;
      expect(Object.keys(conditions), entry).toEqual(['import', 'require']);
      for (const kind of ['import', 'require'] as const) {
        expect(conditions[kind].types, `${entry} ${kind}`).toMatch(/\.d\.ts$/);
        expect(conditions[kind].default, `${entry} ${kind}`).toMatch(
          kind === 'import' ? /^\.\/dist\/esm\// : /^\.\/dist\/commonjs\//,
        );
      }
    }
  });

  it('gives every public name exactly one entry', () => {
    const all = Object.values(SURFACE).flatMap(s => [...s.values, ...s.types]);
    expect(all.filter((name, i) => all.indexOf(name) !== i)).toEqual([]);
  });
});

describe.skipIf(!built)('the built package', () => {
  it.each(inProcess)('%s exports exactly its list, from ES modules and CommonJS', async entry => {
    const esm = (await import(specifier(entry))) as Record<string, unknown>;
    const cjs = require(specifier(entry)) as Record<string, unknown>;
    const expected = sorted(SURFACE[entry].values);
    expect(sorted(Object.keys(esm).filter(k => k !== 'default'))).toEqual(expected);
    expect(sorted(Object.keys(cjs))).toEqual(expected);
  });

  it('./register exports nothing, from ES modules and CommonJS', async () => {
    // In a child process: loading the entry starts it. Enabling no SDK makes it return at once.
    const env = {
      ...process.env,
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'axonflow-audit',
      AXONFLOW_TELEMETRY: 'off',
      AXONFLOW_NOTICES: 'off',
    };
    const esm = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const m = await import('axonflow-otel/register'); console.log(JSON.stringify(Object.keys(m)));",
      ],
      { cwd: ROOT, env },
    );
    const cjs = await run(
      process.execPath,
      ['-e', "console.log(JSON.stringify(Object.keys(require('axonflow-otel/register'))));"],
      { cwd: ROOT, env },
    );
    expect(JSON.parse(esm.stdout)).toEqual([]);
    expect(JSON.parse(cjs.stdout)).toEqual([]);
  });

  it('wire holds the agent’s schemas, the same in both builds', async () => {
    const esm = (await import(specifier('./client'))) as { wire: Record<string, unknown> };
    const cjs = require(specifier('./client')) as { wire: Record<string, unknown> };
    expect(sorted(Object.keys(esm.wire))).toEqual(WIRE_SCHEMAS);
    expect(sorted(Object.keys(cjs.wire))).toEqual(WIRE_SCHEMAS);
  });

  it('declares exactly the same names for TypeScript, types included, in both builds', () => {
    const files = Object.keys(SURFACE).flatMap(entry => {
      const conditions = pkg.exports[entry] as Conditions;
      return [conditions.import.types, conditions.require.types].map(f => join(ROOT, f));
    });
    const declared = declaredNames(files);
    for (const [entry, surface] of Object.entries(SURFACE)) {
      const conditions = pkg.exports[entry] as Conditions;
      for (const kind of ['import', 'require'] as const) {
        const found = declared.get(join(ROOT, conditions[kind].types))!;
        expect(found.names, `${entry} ${kind}`).toEqual(
          sorted(new Set([...surface.values, ...surface.types])),
        );
        if (entry === './client') {
          expect(found.wire, `${entry} ${kind} wire`).toEqual(
            sorted([...WIRE_SCHEMAS, ...WIRE_TYPES]),
          );
        }
      }
    }
  });

  it('recognises a PolicyViolationError of either build with instanceof in the other', async () => {
    const esm = (await import(specifier('.'))) as Api;
    const cjs = require(specifier('.')) as Api;
    // Two builds, two copies of each class.
    expect(cjs.PolicyViolationError).not.toBe(esm.PolicyViolationError);

    const fromCjs = new cjs.PolicyViolationError({ blockReason: 'denied', policies: ['p1'] });
    const fromEsm = new esm.UncheckedRequestError({ reason: 'auth', status: 401 });
    expect(fromCjs).toBeInstanceOf(esm.PolicyViolationError);
    expect(fromCjs).toBeInstanceOf(esm.AxonFlowError);
    expect(fromEsm).toBeInstanceOf(cjs.PolicyViolationError);
    expect(fromEsm).toBeInstanceOf(cjs.UncheckedRequestError);
    expect(fromCjs).not.toBeInstanceOf(esm.UncheckedRequestError);
    expect(new cjs.TimeoutError(1000)).not.toBeInstanceOf(esm.PolicyViolationError);
    expect(fromCjs.code).toBe(esm.ErrorCode.POLICY_VIOLATION);
  });
});
