import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configFromEnv, resolveConfig } from '../../src/client/config.js';
import { PACKAGE_VERSION } from '../../src/client/version.js';
import { AxonFlowClient, ConfigError, ErrorCode } from '../../src/index.js';

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
    ['AXONFLOW_MODE', 'prod'],
    ['AXONFLOW_TIMEOUT_MS', 'fast'],
    ['AXONFLOW_TIMEOUT_MS', '-5'],
    ['AXONFLOW_CACHE', 'maybe'],
    ['AXONFLOW_CACHE_MAX', 'lots'],
  ])('fails fast on %s=%s with a message naming the variable', (name, value) => {
    const err = configError(() => configFromEnv({ [name]: value }));
    expect(err.code).toBe(ErrorCode.CONFIG);
    expect(err.setting).toBe(name);
    expect(err.message).toContain(name);
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
