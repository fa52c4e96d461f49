/**
 * The Next.js example, as far as a machine without Next.js goes: its `instrumentation.ts` and route
 * handler are bundled the way Next.js's server build treats them (TypeScript compiled, `openai`
 * inlined, `axonflow-otel` external as `next.config.mjs` says), then Next's start-up is played:
 * `register()` with `NEXT_RUNTIME=nodejs`, then a POST to the route. A denied question answers
 * 403 and never reaches the model; an allowed one is answered, traced and audited.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { APPS, BUILT, CASE_TIMEOUT, withWorld } from '../faults/harness.js';
import { ROOT } from '../helpers/child.js';

const EXAMPLE = join(ROOT, 'examples/nextjs');
const OUT_DIR = join(ROOT, '.cache', 'nextjs');

beforeAll(async () => {
  mkdirSync(OUT_DIR, { recursive: true });
  // What Next.js's server runtime does at start-up and per request, in one entry.
  const entry = join(OUT_DIR, 'server.ts');
  writeFileSync(
    entry,
    [
      `import { register } from ${JSON.stringify(join(EXAMPLE, 'instrumentation.ts'))};`,
      `await register();`,
      `const { POST } = await import(${JSON.stringify(join(EXAMPLE, 'app/api/ask/route.ts'))});`,
      'const answers = [];',
      'for (const question of JSON.parse(process.env.QUESTIONS)) {',
      `  const response = await POST(new Request('http://localhost/api/ask', { method: 'POST', body: JSON.stringify({ question }) }));`,
      '  answers.push({ status: response.status, body: await response.json() });',
      '}',
      'console.log(JSON.stringify({ answers }));',
    ].join('\n'),
  );
  await build({
    entryPoints: [entry],
    outfile: join(OUT_DIR, 'server.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
    external: ['axonflow-otel', 'axonflow-otel/*', '@opentelemetry/*', 'import-in-the-middle'],
  });
}, CASE_TIMEOUT);

describe.skipIf(!BUILT)('the Next.js example (instrumentation.ts and a route handler)', () => {
  it(
    'answers an allowed question, governed, and a denied one with 403 without calling the model',
    async () => {
      await withWorld({}, async w => {
        const run = await w.run(relative(join(ROOT, APPS), join(OUT_DIR, 'server.mjs')), {
          flags: [],
          env: {
            NEXT_RUNTIME: 'nodejs',
            QUESTIONS: JSON.stringify([
              'What is the capital of France?',
              'Keep my SSN 123-45-6789',
            ]),
          },
        });
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
        const { answers } = run.out as { answers: Array<{ status: number; body: any }> };
        expect(answers[0]).toMatchObject({ status: 200 });
        expect(answers[0]!.body.answer).toMatch(/Sandbox reply/);
        expect(answers[1]!.status).toBe(403);
        expect(w.sandbox.modelRequests()).toBe(1);
        const chats = w.spans().filter(s => s.name === 'chat gpt-4o-mini');
        expect(chats.map(s => s.attributes['axonflow.decision']).sort()).toEqual(['allow', 'deny']);
        expect(w.sandbox.audits()).toHaveLength(1);
      });
    },
    CASE_TIMEOUT,
  );
});
