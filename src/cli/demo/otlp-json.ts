/**
 * Reads OTLP/JSON trace export requests (what `@opentelemetry/exporter-trace-otlp-http` sends)
 * into flat span records, and serves them on a loopback receiver, for the demo's trace view.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SpanRecord {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  /** OTLP enum: 1 internal, 2 server, 3 client. */
  kind: number;
  startNs: bigint;
  endNs: bigint;
  status: { code: number; message?: string };
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

function value(v: any): unknown {
  if (!v || typeof v !== 'object') return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v) return (v.arrayValue?.values ?? []).map(value);
  return undefined;
}

export function attributesOf(list: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(list)) return out;
  for (const kv of list) if (typeof kv?.key === 'string') out[kv.key] = value(kv.value);
  return out;
}

function nanos(v: unknown): bigint {
  try {
    return BigInt(String(v ?? 0));
  } catch {
    return 0n;
  }
}

/** Spans of one OTLP/JSON export request. Unknown shapes yield nothing rather than throwing. */
export function spansFromOtlpJson(request: any): SpanRecord[] {
  const out: SpanRecord[] = [];
  for (const rs of Array.isArray(request?.resourceSpans) ? request.resourceSpans : []) {
    const resource = attributesOf(rs?.resource?.attributes);
    for (const ss of Array.isArray(rs?.scopeSpans) ? rs.scopeSpans : []) {
      for (const s of Array.isArray(ss?.spans) ? ss.spans : []) {
        out.push({
          name: String(s.name ?? ''),
          traceId: String(s.traceId ?? ''),
          spanId: String(s.spanId ?? ''),
          parentSpanId: String(s.parentSpanId ?? ''),
          kind: Number(s.kind ?? 0),
          startNs: nanos(s.startTimeUnixNano),
          endNs: nanos(s.endTimeUnixNano),
          status: { code: Number(s.status?.code ?? 0), message: s.status?.message },
          attributes: attributesOf(s.attributes),
          resource,
        });
      }
    }
  }
  return out;
}

export interface SpanReceiver {
  /** Base URL; the exporter posts to `${url}/v1/traces`. */
  url: string;
  spans: SpanRecord[];
  close(): Promise<void>;
}

/**
 * An OTLP/JSON receiver on loopback. When `forwardTo` is set (a full `/v1/traces` URL), every
 * request is also passed on as it came, so the same spans reach a real Collector or Jaeger.
 */
export async function startSpanReceiver(forwardTo?: string): Promise<SpanReceiver> {
  const spans: SpanRecord[] = [];
  const forwards = new Set<Promise<unknown>>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      try {
        spans.push(...spansFromOtlpJson(JSON.parse(body.toString('utf8'))));
      } catch {
        // Not OTLP/JSON: nothing to show.
      }
      if (forwardTo) {
        const sent = fetch(forwardTo, {
          method: 'POST',
          headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json') },
          body,
          signal: AbortSignal.timeout(5000),
        }).catch(() => undefined);
        forwards.add(sent);
        void sent.finally(() => forwards.delete(sent));
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    async close() {
      await Promise.allSettled([...forwards]);
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}
