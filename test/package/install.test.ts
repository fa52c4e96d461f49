/**
 * The README's install path, as a user takes it today: `npm pack`, then installing the tarball
 * into an empty app folder, then `node --require axonflow-otel/register app.cjs`. Installs from
 * the local npm cache only (`--offline`): the project's own `npm install` filled it, and tests
 * reach nothing but loopback.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { ROOT } from '../helpers/child.js';

const run = promisify(execFile);
const built = existsSync(join(ROOT, 'dist/esm/index.js'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface LockEntry {
  dev?: boolean;
  devOptional?: boolean;
  link?: boolean;
  [key: string]: unknown;
}

function consumerDeps(tarball: string): Record<string, string> {
  return { 'axonflow-otel': `file:../${tarball}`, openai: '^7.0.0' };
}

function consumerLock(tarball: string): unknown {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const mine = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const wanted = new Set(['node_modules/openai', 'node_modules/@opentelemetry/api']);
  const packages: Record<string, unknown> = {
    '': { name: 'app', dependencies: consumerDeps(tarball) },
    'node_modules/axonflow-otel': {
      version: mine.version,
      resolved: `file:../${tarball}`,
      dependencies: mine.dependencies,
      peerDependencies: mine.peerDependencies,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path.startsWith('node_modules/') || entry.link) continue;
    if (entry.dev && !wanted.has(path)) continue;
    const { dev: _dev, devOptional: _devOptional, ...kept } = entry;
    packages[path] = kept;
  }
  return { name: 'app', lockfileVersion: 3, requires: true, packages };
}

interface PackResult {
  filename: string;
  files: { path: string }[];
}

describe.skipIf(!built)('installing the packed package', () => {
  let dir: string;
  let pack: PackResult;
  let sandbox: Sandbox;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'axonflow-otel-install-'));
    // --ignore-scripts: the test runs on the build `npm test` just made; no rebuild here.
    const { stdout } = await run(
      npm,
      ['pack', '--json', '--ignore-scripts', '--pack-destination', dir],
      { cwd: ROOT },
    );
    pack = (JSON.parse(stdout) as PackResult[])[0]!;
    sandbox = await startSandbox();
  }, 60_000);

  afterAll(async () => {
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ships every file its source maps point at', () => {
    const shipped = new Set(pack.files.map(f => f.path));
    const maps = [...shipped].filter(p => p.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(ROOT, map), 'utf8')) as {
        sources: string[];
      };
      for (const source of sources) {
        const target = resolve('/', dirname(map), source).slice(1);
        if (!shipped.has(target)) missing.push(`${map} → ${source}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('installs from the tarball into an empty folder, offline, and governs the app', async () => {
    const app = join(dir, 'app');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(app);
    // An offline install needs a lock file: the consumer's tree is taken from the project's own
    // lock (its production packages, plus openai and the API peer), so npm finds every tarball in
    // the cache by its integrity.
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify(consumerLock(pack.filename)));
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', private: true, dependencies: consumerDeps(pack.filename) }),
    );
    const install = await run(npm, ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: app });
    expect(install.stderr).not.toMatch(/axonflow-otel.*(prepare|install|EBADENGINE)/);
    writeFileSync(
      join(app, 'app.cjs'),
      `const OpenAI = require('openai');
new OpenAI().chat.completions
  .create({ model: 'sandbox-gpt', messages: [{ role: 'user', content: 'My SSN is 123-45-6789' }] })
  .then(() => console.log('unexpected: allowed'), err => console.log('code', err.code));
`,
    );
    sandbox.resetCounters();
    const child = await run(process.execPath, ['--require', 'axonflow-otel/register', 'app.cjs'], {
      cwd: app,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        AXONFLOW_TELEMETRY: 'off',
        AXONFLOW_AGENT_URL: sandbox.agentUrl,
        OPENAI_BASE_URL: sandbox.modelUrl,
        OPENAI_API_KEY: 'sk-fake',
        OTEL_TRACES_EXPORTER: 'none',
      },
    });
    expect(child.stdout).toBe('code AXONFLOW_POLICY_VIOLATION\n');
    expect(child.stderr).toBe('');
    expect(sandbox.modelRequests()).toBe(0);
  }, 120_000);
});
