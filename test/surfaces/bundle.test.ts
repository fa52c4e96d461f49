/**
 * A bundled app: `openai` inlined by esbuild, out of reach of every module hook. The register
 * entry still runs (it stays an external package, as bundler guides for OpenTelemetry say), and
 * `governClient` governs the inlined client: pre-check, gate, spans and audit, as the hooks do.
 * A client it was not given stays ungoverned, which is why the explicit API exists.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { APPS, BUILT, CASE_TIMEOUT, withWorld } from '../faults/harness.js';
import { ROOT } from '../helpers/child.js';

const OUT_DIR = join(ROOT, '.cache', 'bundles');
const OUT = join(OUT_DIR, 'bundled.mjs');

beforeAll(async () => {
  mkdirSync(OUT_DIR, { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'test/surfaces/apps/bundled.mjs')],
    outfile: OUT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
    external: ['axonflow-otel', 'axonflow-otel/*', '@opentelemetry/*'],
  });
}, CASE_TIMEOUT);

describe.skipIf(!BUILT)('an esbuild bundle with openai inlined', () => {
  it('inlines the openai client (no require or import of the package is left)', () => {
    const code = readFileSync(OUT, 'utf8');
    expect(code).toMatch(/prepareOptions/);
    expect(code).not.toMatch(/from\s+["']openai["']|require\(["']openai["']\)/);
  });

  it(
    'governs the client passed to governClient: the deny never reaches the model; the other call is traced and audited',
    async () => {
      await withWorld({}, async w => {
        const run = await w.run(relative(join(ROOT, APPS), OUT), { flags: [] });
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
        const results = run.out as Record<string, { ok: boolean; code?: string }>;
        // The client nobody governed: the bundle hid it from the hooks, the model got the SSN.
        expect(results['plain-denied']).toMatchObject({ ok: true });
        expect(results['governed-allowed']).toMatchObject({ ok: true });
        expect(results['governed-denied']).toEqual({
          ok: false,
          code: 'AXONFLOW_POLICY_VIOLATION',
          name: 'PolicyViolationError',
        });
        expect(w.sandbox.modelRequests()).toBe(2);
        const chats = w.spans().filter(s => s.name.startsWith('chat bundled-governed'));
        expect(chats.map(s => s.attributes['axonflow.decision']).sort()).toEqual(['allow', 'deny']);
        expect(w.spans().filter(s => s.name.startsWith('chat bundled-plain'))).toHaveLength(0);
        expect(w.sandbox.audits()).toHaveLength(1);
      });
    },
    CASE_TIMEOUT,
  );
});
