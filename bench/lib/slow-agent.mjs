// A slow AxonFlow agent for the audit benchmarks: like the bench's agent stub (every pre-check
// approved with a fresh context id, every audit accepted), but each answer leaves `delay` ms after
// its request was read, so a client on loopback sees the round-trip time of an agent that far
// away. Node's HTTP server reads a connection's pipelined requests one after another (as Go's
// net/http, the real agent's, does), so pipelining gains nothing here either. It runs
// in a process of its own so that it does not share the measured process's event loop; prints
// `{"port": N}` once listening, answers `GET /stats` with the requests it has seen, exits when its
// stdin closes. Usage: node bench/lib/slow-agent.mjs <delay ms>
import { createServer } from 'node:http';

const delay = Number(process.argv[2] ?? 50);
let contexts = 0;
let audits = 0;
let open = 0;
let peakOpen = 0;

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', chunk => chunks.push(chunk));
  req.on('end', () => {
    let status = 200;
    let body;
    let wait = delay;
    if (req.method === 'POST' && req.url.endsWith('/api/policy/pre-check')) {
      body = JSON.stringify({
        context_id: `ctx-${++contexts}`,
        approved: true,
        approved_data: {},
        policies: [],
        expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        block_reason: null,
        requires_redaction: false,
      });
    } else if (req.method === 'POST' && req.url.endsWith('/api/audit/llm-call')) {
      audits++;
      body = JSON.stringify({ success: true, audit_id: `audit-${audits}` });
    } else if (req.method === 'GET' && req.url.endsWith('/stats')) {
      body = JSON.stringify({ audits, peakOpen, connections: server.connections ?? null });
      peakOpen = open;
      wait = 0;
    } else {
      status = 404;
      body = JSON.stringify({ success: false, error: 'not found' });
    }
    open++;
    if (open > peakOpen) peakOpen = open;
    setTimeout(() => {
      open--;
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    }, wait);
  });
});
server.keepAliveTimeout = 600_000;
server.headersTimeout = 0;
server.requestTimeout = 0;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.stdin.on('end', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
process.stdin.resume();
