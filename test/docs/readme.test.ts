/**
 * The README against the code: its configuration table is the settings table (`VARIABLES`), row
 * for row, and its TypeScript snippets compile under `strict` against the built package's types.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { VARIABLES } from '../../src/settings/variables.js';
import { ROOT } from '../helpers/child.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

function cells(line: string): string[] {
  return line
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map(c => c.trim());
}

describe('README', () => {
  it('configuration table lists exactly the variables the settings layer reads, with their defaults and meanings', () => {
    const rows = section('Configuration')
      .split('\n')
      .filter(l => l.startsWith('| `'))
      .map(cells);
    const expected = Object.values(VARIABLES).map(v => [`\`${v.name}\``, v.defaultText, v.meaning]);
    expect(rows).toEqual(expected);
  });

  const built = existsSync(join(ROOT, 'dist/esm/index.d.ts'));
  const dir = join(ROOT, 'test/docs/.snippets');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(!built)('TypeScript snippets compile under strict against the package types', () => {
    const snippets = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map(m => m[1] ?? '');
    expect(snippets.length).toBeGreaterThanOrEqual(3);
    // What the snippets assume the app already has.
    const preamble = [
      "import type { Express } from 'express';",
      "import type OpenAI from 'openai';",
      'declare const app: Express;',
      'declare const openai: OpenAI;',
      'declare const model: string;',
      'declare const messages: OpenAI.Chat.ChatCompletionMessageParam[];',
      '',
    ].join('\n');
    mkdirSync(dir, { recursive: true });
    const files = snippets.map((code, i) => {
      const file = join(dir, `snippet-${i + 1}.mts`);
      writeFileSync(file, `${preamble}${code}\nexport {};\n`);
      return file;
    });
    const program = ts.createProgram(files, {
      strict: true,
      noUncheckedIndexedAccess: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2023,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: true,
      types: ['node'],
    });
    const messages = ts
      .getPreEmitDiagnostics(program)
      .map(
        d => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
      );
    expect(messages).toEqual([]);
  });
});
