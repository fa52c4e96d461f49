/**
 * A real OTLP/HTTP trace receiver on loopback: accepts what the exporters send (protobuf or
 * JSON) on `/v1/traces`, decodes it, and keeps the spans in a flat, comparable form.
 */

import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

const require = createRequire(import.meta.url);
// The last otlp-transformer release that shipped its generated protobuf root (installed under an alias).
const v1 = require('otlp-proto-decoder/build/src/generated/root').opentelemetry.proto.collector
  .trace.v1;

export interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  /** OTLP enum: 1 internal, 2 server, 3 client. */
  kind: number;
  status: { code: number; message?: string };
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  scope: string;
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  contentTypes: string[];
  close(): Promise<void>;
}

function value(v: any): unknown {
  if (!v) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v) return (v.arrayValue?.values ?? []).map(value);
  return undefined;
}

function attrs(list: any[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = value(kv.value);
  return out;
}

function hex(id: unknown): string {
  if (typeof id === 'string') {
    // protobuf toObject gives base64; JSON gives hex.
    return /^[0-9a-f]*$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex');
  }
  return '';
}

const KINDS: Record<string, number> = {
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS: Record<string, number> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const type = String(req.headers['content-type'] ?? '');
      contentTypes.push(type);
      let request: any;
      try {
        request = type.includes('json')
          ? JSON.parse(body.toString('utf8'))
          : v1.ExportTraceServiceRequest.toObject(v1.ExportTraceServiceRequest.decode(body), {
              longs: String,
              enums: String,
              bytes: String,
            });
      } catch {
        res.writeHead(400).end();
        return;
      }
      for (const rs of request.resourceSpans ?? []) {
        const resource = attrs(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              name: s.name,
              traceId: hex(s.traceId),
              spanId: hex(s.spanId),
              parentSpanId: hex(s.parentSpanId ?? ''),
              kind: typeof s.kind === 'string' ? (KINDS[s.kind] ?? 0) : Number(s.kind ?? 0),
              status: {
                code:
                  typeof s.status?.code === 'string'
                    ? (STATUS[s.status.code] ?? 0)
                    : Number(s.status?.code ?? 0),
                message: s.status?.message,
              },
              attributes: attrs(s.attributes),
              resource,
              scope: ss.scope?.name ?? '',
            });
          }
        }
      }
      res.writeHead(200, {
        'content-type': type.includes('json') ? 'application/json' : 'application/x-protobuf',
      });
      res.end(type.includes('json') ? '{}' : undefined);
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    close: () => new Promise(resolve => server.close(() => resolve())),
  };
}
