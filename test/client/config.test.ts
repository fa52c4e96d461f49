import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { configFromEnv, resolveConfig } from '../../src/client/config.js';
import { PACKAGE_VERSION } from '../../src/client/version.js';
import { AxonFlowClient, ConfigError } from '../../src/index.js';
import { resetNotices } from '../../src/notices/index.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('documents its defaults in the resolved config', () => {
    const cfg = resolveConfig({});
    expect(cfg).toMatchObject({
      clientId: 'community',
      mode: 'production',
      timeoutMs: 1000,
      requestTimeoutMs: 30_000,
      cache: { enabled: true, ttlMs: 60_000, max: 10_000 },
      retry: { enabled: true, maxAttempts: 2 },
      breaker: { enabled: true, failureThreshold: 5, resetTimeoutMs: 10_000 },
    });
    expect(cfg.endpoint.href).toBe('http://localhost:8080/');
  });

  it('reads AXONFLOW_* variables, and overrides win', () => {
    const cfg = configFromEnv(
      {
        AXONFLOW_AGENT_URL: 'http://127.0.0.1:9999',
        AXONFLOW_CLIENT_ID: 'acme',
        AXONFLOW_CLIENT_SECRET: 'secret',
        AXONFLOW_LICENSE_KEY: 'lic',
        AXONFLOW_USER_TOKEN: 'tok',
        AXONFLOW_MODE: 'Sandbox',
        AXONFLOW_TIMEOUT_MS: '250',
        AXONFLOW_CACHE: 'off',
        AXONFLOW_CACHE_TTL_MS: '1000',
        AXONFLOW_CACHE_MAX: '5',
        AXONFLOW_BREAKER_THRESHOLD: '2',
      },
      { clientId: 'override', cache: { max: 7 } },
    );
    expect(cfg).toMatchObject({
      endpoint: 'http://127.0.0.1:9999',
      clientId: 'override',
      clientSecret: 'secret',
      licenseKey: 'lic',
      userToken: 'tok',
      mode: 'sandbox',
      timeoutMs: 250,
      cache: { enabled: false, ttlMs: 1000, max: 7 },
      breaker: { failureThreshold: 2 },
    });
  });

  it.each([
    ['AXONFLOW_MODE', 'prod', 'production'],
    ['AXONFLOW_TIMEOUT_MS', 'fast', 1000],
    ['AXONFLOW_TIMEOUT_MS', '-5', 1000],
    ['AXONFLOW_TIMEOUT_MS', '3000000000', 1000],
    ['AXONFLOW_CACHE', 'maybe', true],
    ['AXONFLOW_CACHE_MAX', 'lots', 10_000],
    ['AXONFLOW_CACHE_MAX', '0', 10_000],
    ['AXONFLOW_RETRY_MAX_ATTEMPTS', '0', 2],
  ])('names %s=%s on stderr with its fix and keeps the default', (name, value, fallback) => {
    resetNotices();
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(chunk => {
      lines.push(String(chunk));
      return true;
    });
    let cfg: ReturnType<typeof resolveConfig>;
    try {
      cfg = resolveConfig(configFromEnv({ [name]: value }));
    } finally {
      spy.mockRestore();
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${name}="${value}"`);
    expect(lines[0]).toMatch(/: use .*; using the default/);
    const read: Record<string, unknown> = {
      AXONFLOW_MODE: cfg.mode,
      AXONFLOW_TIMEOUT_MS: cfg.timeoutMs,
      AXONFLOW_CACHE: cfg.cache.enabled,
      AXONFLOW_CACHE_MAX: cfg.cache.max,
      AXONFLOW_RETRY_MAX_ATTEMPTS: cfg.retry.maxAttempts,
    };
    expect(read[name]).toBe(fallback);
  });

  it('refuses header values that are not header text and keeps the default', () => {
    resetNotices();
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const cfg = resolveConfig(
        configFromEnv({
          AXONFLOW_CLIENT_ID: 'acme\r\nX-Evil: 1',
          AXONFLOW_LICENSE_KEY: 'lic\u00e9',
        }),
      );
      expect(cfg.clientId).toBe('community');
      expect(cfg.licenseKey).toBeUndefined();
      const printed = spy.mock.calls.map(c => String(c[0])).join('');
      expect(printed).toContain('AXONFLOW_CLIENT_ID=');
      expect(printed).toContain('AXONFLOW_LICENSE_KEY (value hidden)');
      expect(printed).not.toContain('lic\u00e9');
    } finally {
      spy.mockRestore();
    }
  });

  it('reports an empty AXONFLOW_AGENT_URL and keeps the default agent', () => {
    resetNotices();
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const cfg = resolveConfig(configFromEnv({ AXONFLOW_AGENT_URL: '' }));
      expect(cfg.endpoint.href).toBe('http://localhost:8080/');
      expect(String(spy.mock.calls[0]?.[0])).toMatch(/AXONFLOW_AGENT_URL is set but empty/);
    } finally {
      spy.mockRestore();
    }
  });

  it('throws a ConfigError only for an agent URL that cannot be parsed', () => {
    resetNotices();
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const err = configError(() => configFromEnv({ AXONFLOW_AGENT_URL: 'not a url' }));
      expect(err.setting).toBe('AXONFLOW_AGENT_URL');
      expect(err.message).toMatch(/NOT governed/);
    } finally {
      spy.mockRestore();
    }
  });

  it('rejects an invalid endpoint and says how to fix it', () => {
    const err = configError(() => new AxonFlowClient({ endpoint: 'not a url', telemetry: false }));
    expect(err.message).toMatch(/AXONFLOW_AGENT_URL/);
    expect(configError(() => resolveConfig({ endpoint: 'ftp://x' })).setting).toBe('endpoint');
  });

  it('refuses credentials in the endpoint URL without echoing them', () => {
    const err = configError(() =>
      resolveConfig({ endpoint: 'https://user:hunter2@agent.example/' }),
    );
    expect(err.message).not.toContain('hunter2');
  });

  it('refuses to send credentials over plain http to a non-loopback host unless allowed', () => {
    const err = configError(() =>
      resolveConfig({ endpoint: 'http://agent.internal:8080', clientSecret: 's3cr3t-value' }),
    );
    expect(err.message).toMatch(/allowInsecureHttp|AXONFLOW_ALLOW_INSECURE_HTTP/);
    expect(err.message).not.toContain('s3cr3t-value');
    expect(() =>
      resolveConfig({
        endpoint: 'http://agent.internal:8080',
        clientSecret: 's',
        allowInsecureHttp: true,
      }),
    ).not.toThrow();
    expect(() =>
      resolveConfig({ endpoint: 'http://127.0.0.1:8080', licenseKey: 'l' }),
    ).not.toThrow();
    expect(() => resolveConfig({ endpoint: 'http://[::1]:8080', licenseKey: 'l' })).not.toThrow();
    expect(() => resolveConfig({ endpoint: 'http://agent.internal:8080' })).not.toThrow();
  });

  it('is loud about an unbounded cache', () => {
    expect(
      configError(() => resolveConfig({ cache: { max: Number.POSITIVE_INFINITY } })).setting,
    ).toBe('cache.max');
    expect(configError(() => resolveConfig({ cache: { max: 0 } })).message).toMatch(
      /cache.enabled: false/,
    );
  });

  it('keeps the version constant equal to package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(PACKAGE_VERSION).toBe(pkg.version);
  });
});
