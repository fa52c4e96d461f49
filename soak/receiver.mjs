// A lean OTLP/HTTP JSON trace receiver for the soak: it keeps counts and span ids, not spans, so
// hundreds of thousands of spans cost a few megabytes.
import { createServer } from 'node:http';

const STATUS_ERROR = 2;

function hex(id) {
  if (typeof id !== 'string') return '';
  return /^[0-9a-f]*$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex');
}

function attribute(span, key) {
  for (const kv of span.attributes ?? []) {
    if (kv.key === key) {
      const v = kv.value ?? {};
      return v.stringValue ?? v.boolValue ?? v.intValue ?? v.doubleValue;
    }
  }
  return undefined;
}

function bump(map, key, n = 1) {
  map[key] = (map[key] ?? 0) + n;
}

export async function startReceiver() {
  const stats = {
    requests: 0,
    rejected: 0,
    spans: 0,
    duplicateSpanIds: 0,
    /** `chat …` spans of axonflow-otel: one per governed call. */
    chatSpans: 0,
    chatErrors: 0,
    /** `axonflow.decision` on the chat spans. */
    decisions: {},
    preCheckSpans: 0,
    delegateSpans: 0,
    auditSpans: 0,
    /** `axonflow.audit` spans by outcome: exported, skipped, failed. */
    auditOutcomes: {},
    /** Spans of other instrumentation scopes (e.g. an SDK's own tracing), by scope. */
    otherScopes: {},
  };
  const seen = new Set();

  const record = (scope, span) => {
    stats.spans++;
    const id = `${hex(span.traceId)}:${hex(span.spanId)}`;
    if (seen.has(id)) stats.duplicateSpanIds++;
    else seen.add(id);
    if (scope !== 'axonflow-otel') {
      bump(stats.otherScopes, scope || '(none)');
      return;
    }
    const name = String(span.name ?? '');
    if (name.startsWith('chat ') || name === 'chat') {
      stats.chatSpans++;
      const code = span.status?.code;
      if (code === STATUS_ERROR || code === 'STATUS_CODE_ERROR') stats.chatErrors++;
      bump(stats.decisions, String(attribute(span, 'axonflow.decision') ?? '(none)'));
    } else if (name === 'axonflow.pre_check') stats.preCheckSpans++;
    else if (name === 'axonflow.delegate') stats.delegateSpans++;
    else if (name === 'axonflow.audit') {
      stats.auditSpans++;
      const outcome =
        attribute(span, 'axonflow.audit.skipped') !== undefined
          ? 'skipped'
          : attribute(span, 'error.type') !== undefined
            ? 'failed'
            : 'exported';
      bump(stats.auditOutcomes, outcome);
    } else bump(stats.otherScopes, `axonflow-otel ${name}`);
  };

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      stats.requests++;
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        stats.rejected++;
        res.writeHead(400).end();
        return;
      }
      for (const rs of body.resourceSpans ?? []) {
        for (const ss of rs.scopeSpans ?? []) {
          for (const span of ss.spans ?? []) record(ss.scope?.name ?? '', span);
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stats,
    close: () =>
      new Promise(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
