/**
 * A bundled app with `@google/genai` inlined by esbuild, out of reach of every module hook. The
 * register entry still runs (it stays an external package), and `governClient` governs the one
 * inlined `GoogleGenAI` it is given: pre-check, gate, spans and audit, as the hook does, streamed
 * calls included. The client it was not given stays ungoverned, which is why the explicit API
 * exists.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { APPS, BUILT, CASE_TIMEOUT, withWorld } from '../faults/harness.js';
import { ROOT } from '../helpers/child.js';

const OUT_DIR = join(ROOT, '.cache', 'bundles');
const OUT = join(OUT_DIR, 'bundled-google.mjs');

beforeAll(async () => {
  mkdirSync(OUT_DIR, { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'test/clients/apps/bundled-google.mjs')],
    outfile: OUT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
    external: ['axonflow-otel', 'axonflow-otel/*', '@opentelemetry/*'],
    // The SDK's CommonJS dependencies require Node's built-ins: an ES module bundle needs a
    // `require` of its own for them (esbuild's documented setup for Node).
    banner: {
      js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);",
    },
  });
}, CASE_TIMEOUT);

describe.skipIf(!BUILT)('an esbuild bundle with @google/genai inlined', () => {
  it('inlines the @google/genai client (no require or import of the package is left)', () => {
    const code = readFileSync(OUT, 'utf8');
    expect(code).toMatch(/generateContentInternal/);
    expect(code).not.toMatch(/from\s+["']@google\/genai["']|require\(["']@google\/genai["']\)/);
  });

  it(
    'governs the client passed to governClient: the deny never reaches the model; the other calls are traced and audited',
    async () => {
      await withWorld({}, async w => {
        const run = await w.run(relative(join(ROOT, APPS), OUT), {
          flags: [],
          env: { SANDBOX_URL: w.sandbox.url },
        });
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
        const results = run.out as Record<string, { ok: boolean; code?: string }>;
        // The client nobody governed: the bundle hid it from the hook, the model got the SSN.
        expect(results['plain-denied']).toMatchObject({ ok: true });
        expect(results['governed-allowed']).toMatchObject({ ok: true });
        expect(results['governed-streamed']).toMatchObject({ ok: true });
        expect(results['governed-denied']).toEqual({
          ok: false,
          code: 'AXONFLOW_POLICY_VIOLATION',
          name: 'PolicyViolationError',
        });
        expect(w.sandbox.modelRequests()).toBe(3);
        const calls = w.spans().filter(s => s.name.startsWith('generate_content bundled-governed'));
        expect(calls.map(s => s.attributes['axonflow.decision']).sort()).toEqual([
          'allow',
          'allow',
          'deny',
        ]);
        for (const call of calls) {
          expect(
            w
              .spans()
              .filter(s => s.parentSpanId === call.spanId)
              .map(s => s.name)
              .filter(name => name === 'axonflow.pre_check'),
          ).toHaveLength(1);
        }
        expect(w.spans().filter(s => s.name.includes('bundled-plain'))).toHaveLength(0);
        expect(w.sandbox.audits()).toHaveLength(2);
      });
    },
    CASE_TIMEOUT,
  );
});
