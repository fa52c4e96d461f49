/**
 * collector-config.yaml, the Collector configuration the Jaeger example mounts: checked the way
 * the Collector would reject it (a pipeline naming an undefined component, an extension listed
 * but not configured) and against the mistakes that make it start but misbehave (memory_limiter
 * not first, receivers on localhost inside a container, removed or deprecated component names).
 * Also checks that examples/jaeger/compose.yaml mounts this file and wires the services it names.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './helpers/child.js';

type Section = Record<string, any>;

const text = readFileSync(join(ROOT, 'collector-config.yaml'), 'utf8');
const config = parse(text) as {
  receivers: Section;
  processors: Section;
  exporters: Section;
  extensions?: Section;
  connectors?: Section;
  service: { extensions?: string[]; pipelines: Record<string, Section> };
};
const pipelines = Object.entries(config.service.pipelines);

/** A component id is `type` or `type/name`; the Collector resolves components by type. */
const typeOf = (id: string) => id.split('/')[0]!;

describe('collector-config.yaml', () => {
  it('parses to the top-level sections the Collector expects', () => {
    expect(Object.keys(config).sort()).toEqual(
      expect.arrayContaining(['exporters', 'processors', 'receivers', 'service']),
    );
    expect(text.split('\n')[0]).toMatch(/^# OpenTelemetry Collector configuration/);
    expect(pipelines.map(([name]) => name)).toContain('traces');
  });

  it('names only defined receivers, processors and exporters in every pipeline', () => {
    for (const [name, pipeline] of pipelines) {
      const signal = typeOf(name);
      expect(['traces', 'metrics', 'logs']).toContain(signal);
      expect(pipeline.receivers?.length, `${name} receivers`).toBeGreaterThan(0);
      expect(pipeline.exporters?.length, `${name} exporters`).toBeGreaterThan(0);
      for (const id of pipeline.receivers) {
        expect(
          Object.hasOwn(config.receivers, id) || Object.hasOwn(config.connectors ?? {}, id),
          `${name}: receiver ${id}`,
        ).toBe(true);
      }
      for (const id of pipeline.processors ?? []) {
        expect(Object.hasOwn(config.processors, id), `${name}: processor ${id}`).toBe(true);
      }
      for (const id of pipeline.exporters) {
        expect(
          Object.hasOwn(config.exporters, id) || Object.hasOwn(config.connectors ?? {}, id),
          `${name}: exporter ${id}`,
        ).toBe(true);
      }
    }
  });

  it('runs memory_limiter first and batch after it in every pipeline', () => {
    for (const [name, pipeline] of pipelines) {
      const processors: string[] = pipeline.processors ?? [];
      expect(processors.map(typeOf)[0], name).toBe('memory_limiter');
      const batch = processors.findIndex(id => typeOf(id) === 'batch');
      expect(batch, `${name}: batch`).toBeGreaterThan(0);
    }
    const limiter = config.processors.memory_limiter;
    expect(limiter.check_interval).toBeTruthy();
    expect(limiter.limit_mib ?? limiter.limit_percentage).toBeGreaterThan(0);
  });

  it('binds the OTLP receivers to all interfaces on 4317 (gRPC) and 4318 (HTTP)', () => {
    const protocols = config.receivers.otlp.protocols;
    expect(protocols.grpc.endpoint).toBe('0.0.0.0:4317');
    expect(protocols.http.endpoint).toBe('0.0.0.0:4318');
  });

  it('sends traces to Jaeger over OTLP/gRPC without TLS inside the compose network', () => {
    const traces = config.service.pipelines.traces!;
    const jaeger = (traces.exporters as string[]).find(id => config.exporters[id]?.endpoint);
    expect(jaeger).toBeDefined();
    expect(typeOf(jaeger!)).toBe('otlp_grpc');
    expect(config.exporters[jaeger!]).toMatchObject({
      endpoint: 'jaeger:4317',
      tls: { insecure: true },
    });
  });

  it('defines every extension the service lists, with health_check among them', () => {
    const listed = config.service.extensions ?? [];
    expect(listed.map(typeOf)).toContain('health_check');
    for (const id of listed) {
      expect(Object.hasOwn(config.extensions ?? {}, id), `extension ${id}`).toBe(true);
    }
    expect(config.extensions?.health_check.endpoint).toBe('0.0.0.0:13133');
  });

  it('uses no removed or deprecated component names', () => {
    // Removed: the `logging` exporter (now `debug`) and the `jaeger` exporters (Jaeger takes OTLP).
    // Deprecated aliases since v0.144.0: `otlp` → `otlp_grpc`, `otlphttp` → `otlp_http`.
    const banned = ['logging', 'jaeger', 'jaeger_thrift', 'otlp', 'otlphttp'];
    for (const id of Object.keys(config.exporters)) {
      expect(banned, `exporter ${id}`).not.toContain(typeOf(id));
    }
    for (const [name, pipeline] of pipelines) {
      for (const id of pipeline.exporters as string[]) {
        expect(banned, `${name}: exporter ${id}`).not.toContain(typeOf(id));
      }
    }
  });
});

describe('examples/jaeger/compose.yaml', () => {
  const file = join(ROOT, 'examples/jaeger/compose.yaml');
  const compose = parse(readFileSync(file, 'utf8')) as { services: Record<string, Section> };
  const jaeger = compose.services.jaeger!;
  const collector = compose.services['otel-collector']!;

  it('runs Jaeger v2 with its UI published on 16686', () => {
    expect(jaeger.image).toMatch(/^jaegertracing\/jaeger:2\.\d+\.\d+$/);
    expect(jaeger.ports).toContain('127.0.0.1:16686:16686');
  });

  it('mounts collector-config.yaml where the contrib image reads its configuration', () => {
    expect(collector.image).toMatch(/^otel\/opentelemetry-collector-contrib:\d+\.\d+\.\d+$/);
    const [source, target] = String(collector.volumes[0]).split(':');
    // Compose resolves a relative source against the compose file's folder.
    expect(resolve(dirname(file), source!)).toBe(join(ROOT, 'collector-config.yaml'));
    expect(target).toBe('/etc/otelcol-contrib/config.yaml');
    expect(collector.command.join(' ')).toContain(target);
    expect(collector.ports).toEqual(
      expect.arrayContaining([
        '127.0.0.1:4317:4317',
        '127.0.0.1:4318:4318',
        '127.0.0.1:13133:13133',
      ]),
    );
    expect(collector.depends_on).toContain('jaeger');
  });

  it('names the Jaeger service the Collector exports to', () => {
    const endpoints = Object.values(config.exporters)
      .map(e => e?.endpoint)
      .filter(Boolean) as string[];
    for (const endpoint of endpoints) {
      expect(Object.keys(compose.services)).toContain(endpoint.split(':')[0]);
    }
  });
});
