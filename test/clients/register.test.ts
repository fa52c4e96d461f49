/**
 * Under the register entry, with no code change: each governed call of the Bedrock Runtime,
 * Mistral and Cohere clients, CommonJS (`--require`) and ES modules (`--import`), is traced,
 * gated (a denied call never reaches the model) and audited (one audit per model request).
 */
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APPS, BUILT, CASE_TIMEOUT, IMPORT, REQUIRE, withWorld } from '../faults/harness.js';
import { ROOT } from '../helpers/child.js';

const { callsOf } = createRequire(import.meta.url)('./apps/client-calls.cjs') as {
  callsOf(name: string): Array<{ name: string; span: string }>;
};

const CLIENTS = ['bedrock', 'google', 'mistral', 'cohere'] as const;
const MODES = [
  ['CommonJS (--require)', 'clients.cjs', REQUIRE],
  ['ES modules (--import)', 'clients.mjs', IMPORT],
] as const;

describe.skipIf(!BUILT)(
  'Bedrock Runtime, Google Gen AI, Mistral and Cohere under the register entry',
  () => {
    describe.each(CLIENTS)('%s', name => {
      it.each(MODES)(
        '%s: traced, gated and audited',
        async (_mode, app, flags) => {
          await withWorld({}, async w => {
            const run = await w.run(
              relative(join(ROOT, APPS), join(ROOT, 'test/clients/apps', app)),
              {
                flags: [...flags],
                env: { CLIENT: name, SANDBOX_URL: w.sandbox.url },
              },
            );
            expect(run.stderr).toBe('');
            expect(run.code).toBe(0);
            const calls = callsOf(name);
            expect(run.out.results).toEqual(
              calls.flatMap(c => [
                { call: c.name, kind: 'allowed', ok: true },
                { call: c.name, kind: 'denied', ok: false, code: 'AXONFLOW_POLICY_VIOLATION' },
              ]),
            );
            // Traced: one call span per call, with its decision, and the provider's name.
            for (const span of new Set(calls.map(c => c.span))) {
              const expected = calls.filter(c => c.span === span).length;
              const decisions = w
                .named(span)
                .map(s => s.attributes['axonflow.decision'])
                .sort();
              expect({ span, decisions }).toEqual({
                span,
                decisions: [...Array(expected).fill('allow'), ...Array(expected).fill('deny')],
              });
            }
            // Gated: the model saw the allowed calls only. Audited: one record per model request.
            expect(w.sandbox.modelRequests()).toBe(calls.length);
            expect(w.sandbox.audits()).toHaveLength(calls.length);
          });
        },
        CASE_TIMEOUT,
      );
    });
  },
);
