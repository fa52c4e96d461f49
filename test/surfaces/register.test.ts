/**
 * Under the register entry, with no code change: every surface of every supported Stainless SDK
 * line, CommonJS (`--require`) and ES modules (`--import`), is traced, gated and audited.
 *
 * Each line runs from its own folder whose `node_modules/<package>` is that line (the older
 * majors are installed here under aliases, `openai-v4`, …; an app knows them by their real name,
 * which is the name the module hooks match).
 */
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { APPS, BUILT, CASE_TIMEOUT, IMPORT, REQUIRE, withWorld } from '../faults/harness.js';
import { ROOT } from '../helpers/child.js';

const require_ = (await import('node:module')).createRequire(import.meta.url);
const { surfacesOf } = require_('./apps/surface-calls.cjs') as {
  surfacesOf(
    family: string,
    line: string,
  ): Array<{ name: string; span: string; audited?: boolean; modelRequests?: number }>;
};

interface Line {
  family: 'openai' | 'anthropic' | 'groq';
  line: string;
  /** The folder in this repository's node_modules that holds the line. */
  installed: string;
  /** The name apps import it by. */
  pkg: string;
}

const LINES: Line[] = [
  { family: 'openai', line: '4', installed: 'openai-v4', pkg: 'openai' },
  { family: 'openai', line: '5', installed: 'openai-v5', pkg: 'openai' },
  { family: 'openai', line: '6', installed: 'openai-v6', pkg: 'openai' },
  { family: 'openai', line: '7', installed: 'openai', pkg: 'openai' },
  { family: 'anthropic', line: '0.24', installed: 'anthropic-sdk-v024', pkg: '@anthropic-ai/sdk' },
  { family: 'anthropic', line: '0.x', installed: 'anthropic-sdk-v0', pkg: '@anthropic-ai/sdk' },
  { family: 'anthropic', line: '1.x', installed: '@anthropic-ai/sdk', pkg: '@anthropic-ai/sdk' },
  { family: 'groq', line: '1.x', installed: 'groq-sdk', pkg: 'groq-sdk' },
];

const LINES_DIR = join(ROOT, '.cache', 'sdk-lines');

function folderOf(line: Line): string {
  return join(LINES_DIR, `${line.family}-${line.line}`);
}

beforeAll(() => {
  for (const line of LINES) {
    const dir = folderOf(line);
    const target = join(dir, 'node_modules', line.pkg);
    if (!existsSync(target)) {
      mkdirSync(dirname(target), { recursive: true });
      const source = join(ROOT, 'node_modules', line.installed);
      // Under its real name already: a link is enough (its real path keeps the name).
      if (line.installed === line.pkg) symlinkSync(source, target, 'dir');
      else cpSync(source, target, { recursive: true });
    }
    for (const app of ['surfaces.cjs', 'surfaces.mjs']) {
      rmSync(join(dir, app), { force: true });
      cpSync(join(ROOT, 'test/surfaces/apps', app), join(dir, app));
    }
  }
}, CASE_TIMEOUT);

const MODES = [
  ['CommonJS (--require)', 'surfaces.cjs', REQUIRE],
  ['ES modules (--import)', 'surfaces.mjs', IMPORT],
] as const;

describe.skipIf(!BUILT)('every Stainless surface under the register entry', () => {
  describe.each(LINES)('$family $line', line => {
    it.each(MODES)(
      '%s: traced, gated and audited',
      async (_mode, app, flags) => {
        await withWorld({}, async w => {
          const run = await w.run(relative(join(ROOT, APPS), join(folderOf(line), app)), {
            flags: [...flags],
            env: {
              FAMILY: line.family,
              LINE: line.line,
              SURFACE_CALLS: join(ROOT, 'test/surfaces/apps/surface-calls.cjs'),
              GROQ_API_KEY: 'gsk-test',
              GROQ_BASE_URL: w.sandbox.url,
            },
          });
          expect(run.stderr).toBe('');
          expect(run.code).toBe(0);
          const surfaces = surfacesOf(line.family, line.line);
          const results = (run.out as { results: Array<Record<string, unknown>> }).results;
          expect(results).toEqual(
            surfaces.flatMap(s => [
              { surface: s.name, kind: 'allowed', ok: true },
              { surface: s.name, kind: 'denied', ok: false, code: 'AXONFLOW_POLICY_VIOLATION' },
            ]),
          );
          // Traced: one call span per call, with its decision.
          const spans = w.spans();
          const requests = (s: { modelRequests?: number }) => s.modelRequests ?? 1;
          const sum = (list: typeof surfaces, f: (s: (typeof surfaces)[number]) => number) =>
            list.reduce((n, s) => n + f(s), 0);
          for (const name of new Set(surfaces.map(s => s.span))) {
            const named = surfaces.filter(s => s.span === name);
            const decisions = spans
              .filter(s => s.name === name)
              .map(s => s.attributes['axonflow.decision']);
            expect({ name, allow: decisions.filter(d => d === 'allow').length }).toEqual({
              name,
              allow: sum(named, requests),
            });
            expect({ name, deny: decisions.filter(d => d === 'deny').length }).toEqual({
              name,
              deny: named.length,
            });
          }
          // Gated: the model saw the allowed calls only. Audited: one record per model request.
          expect(w.sandbox.modelRequests()).toBe(sum(surfaces, requests));
          expect(w.sandbox.audits()).toHaveLength(
            sum(
              surfaces.filter(s => s.audited !== false),
              requests,
            ),
          );
        });
      },
      CASE_TIMEOUT,
    );
  });
});
