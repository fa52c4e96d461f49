// A minimal AxonFlow agent for the benchmarks, run in a process of its own so that it does not
// share the measured process's event loop: it approves every pre-check (a fresh context id, valid
// for an hour), accepts every audit, and answers /health; under `/hang/` it never answers; under
// `/delay/<ms>/` it answers after that many milliseconds (an agent with its own latency, for the
// burst rows; every other path answers at once, as before). Keep-alive outlives the pauses between
// rounds, so a round never pays for a new connection. Prints `{"port": N}` once listening; exits
// when its stdin closes.
import { createServer } from 'node:http';

const DELAY = /^\/delay\/(\d+)\//;

let contexts = 0;
const server = createServer((req, res) => {
  // `/hang/…`: accept the request and never answer (a hung agent).
  if (req.url.startsWith('/hang/')) return;
  const delayMs = Number(DELAY.exec(req.url)?.[1] ?? 0);
  const chunks = [];
  req.on('data', chunk => chunks.push(chunk));
  req.on('end', () => {
    let status = 200;
    let body;
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
      body = JSON.stringify({ success: true, audit_id: `audit-${contexts}` });
    } else if (req.method === 'GET' && req.url.endsWith('/health')) {
      body = JSON.stringify({ status: 'healthy', service: 'bench-agent-stub', version: '0' });
    } else {
      status = 404;
      body = JSON.stringify({ success: false, error: 'not found' });
    }
    const answer = () => {
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
});
server.keepAliveTimeout = 600_000;
server.headersTimeout = 0;
server.requestTimeout = 0;
// A burst opens hundreds of connections at once: a backlog as deep as a production server's
// (Node's default is 511), so that a connect is not dropped and retried a second later.
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.stdin.on('end', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
process.stdin.resume();
