/**
 * `axonflow-otel demo`: the whole product in a few seconds with no accounts, keys or network.
 * Starts the sandbox and a loopback span receiver, runs the demo app under the register entry,
 * then prints each call's trace as a tree and the audit records the agent received, and checks
 * that every step showed what it should (exit 1 if not). With `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (or `..._TRACES_ENDPOINT`) set, the same spans are also forwarded there (e.g. to Jaeger).
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { startSandbox } from '../../sandbox/index.js';
import { type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Io } from '../command.js';
import { type SpanRecord, startSpanReceiver } from '../demo/otlp-json.js';
import { ansiStyle, plainStyle, renderTraces } from '../demo/render.js';
import { builtFile } from '../paths.js';

const HELP = `Usage: axonflow-otel demo [--no-color]

Starts the local sandbox, runs a small app under \`--import axonflow-otel/register\` and shows
each LLM call's trace (pre-check, delegation, audit) with the decision, then the audit records
the agent received. Five calls: allowed OpenAI chat, streamed Anthropic tool use, a denied prompt
(the model is never called), a cache hit, and a fail-open call with the agent stopped.

Set OTEL_EXPORTER_OTLP_ENDPOINT to also send the spans to a Collector or Jaeger.`;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Show governed, traced LLM calls end to end, locally',
  help: HELP,
  run,
};

function forwardTarget(env: NodeJS.ProcessEnv): string | undefined {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT)
    return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return undefined;
}

async function run(args: string[], io: Io): Promise<number> {
  let color = process.stdout.isTTY === true;
  try {
    const { values } = parseArgs({
      args,
      options: { 'no-color': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      io.out(HELP);
      return EXIT_OK;
    }
    if (values['no-color']) color = false;
  } catch (err) {
    io.err(`axonflow-otel demo: ${(err as Error).message}\n\n${HELP}`);
    return EXIT_USAGE;
  }
  const style = color ? ansiStyle : plainStyle;
  const forward = forwardTarget(process.env);
  const receiver = await startSpanReceiver(forward);
  // The sandbox agent traces its decisions into the same receiver: app → pre-check → decision.
  const sandbox = await startSandbox({ decisionTracesUrl: `${receiver.url}/v1/traces` });
  try {
    io.out(style.bold(`axonflow-otel demo — sandbox agent and model at ${sandbox.url}`));
    if (forward) io.out(`spans are also sent to ${forward}`);
    io.out('');
    const code = await runApp(sandbox, receiver.url, io);
    if (code !== 0) {
      io.err(`axonflow-otel demo: the demo app exited with ${code}`);
      return EXIT_FAILURE;
    }
    io.out('');
    io.out(style.bold('Traces (one per LLM call):'));
    for (const line of renderTraces(receiver.spans, style)) io.out(line);
    io.out(style.bold('Audit records received by the agent:'));
    for (const record of sandbox.audits()) {
      const r = record as unknown as Record<string, unknown>;
      const usage = r.token_usage as Record<string, unknown> | undefined;
      io.out(
        `  ${String(r.audit_id).slice(0, 8)}…  ${r.provider}/${r.model}  context ${String(r.context_id).slice(0, 8)}…  tokens ${usage?.prompt_tokens ?? '?'}+${usage?.completion_tokens ?? '?'}  ${r.latency_ms} ms`,
      );
    }
    io.out(
      `Model requests: ${sandbox.modelRequests()} for 6 calls (the denied prompt never reached the model).`,
    );
    const problems = check(receiver.spans, sandbox.audits().length, sandbox.modelRequests());
    io.out('');
    if (problems.length > 0) {
      for (const p of problems) io.err(`axonflow-otel demo: ${p}`);
      return EXIT_FAILURE;
    }
    io.out(style.green('All six steps behaved as governed calls should.'));
    return EXIT_OK;
  } finally {
    await receiver.close();
    await sandbox.close();
  }
}

/** Audited calls before the outage: steps 1, 2, 4 and 5 (step 3 is denied). */
const AUDITS_BEFORE_OUTAGE = 4;

/** Resolves when `condition` holds, or after `ms` (the demo then reports what is missing). */
async function until(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

function runApp(
  sandbox: Awaited<ReturnType<typeof startSandbox>>,
  receiverUrl: string,
  io: Io,
): Promise<number> {
  return new Promise(resolve => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AXONFLOW_AGENT_URL: sandbox.agentUrl,
      AXONFLOW_TELEMETRY: 'off',
      OPENAI_BASE_URL: sandbox.modelUrl,
      OPENAI_API_KEY: 'sk-demo-not-a-real-key',
      ANTHROPIC_BASE_URL: sandbox.url,
      ANTHROPIC_API_KEY: 'sk-ant-demo-not-a-real-key',
      GEMINI_BASE_URL: sandbox.url,
      // Every span of the narrated calls is shown: on a busy machine, wait longer than the
      // default 3 s for them to be delivered when the app ends.
      AXONFLOW_EXIT_FLUSH_TIMEOUT_MS: '30000',
      // The outage of step 6 is one call long: the breaker probes again soon after it.
      AXONFLOW_BREAKER_RESET_MS: '200',
      OTEL_SERVICE_NAME: process.env.OTEL_SERVICE_NAME ?? 'axonflow-otel-demo',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiverUrl}/v1/traces`,
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    const child = spawn(
      process.execPath,
      ['--import', builtFile('register/index.js'), builtFile('cli/demo/app.js')],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      },
    );
    child.stdout?.on('data', d => {
      for (const line of String(d).split('\n')) if (line) io.out(line);
    });
    child.stderr?.on('data', d => {
      for (const line of String(d).split('\n')) if (line) io.err(line);
    });
    child.on('message', (message: { action?: string }) => {
      void (async () => {
        if (message?.action === 'stop-agent') {
          // The audit records of the calls so far are sent in the background: the agent is
          // stopped once it has them, so that the outage shows the fail-open call and nothing else.
          await until(() => sandbox.audits().length >= AUDITS_BEFORE_OUTAGE, 30_000);
          sandbox.stopAgent('reset');
        }
        if (message?.action === 'start-agent') sandbox.startAgent();
        child.send?.({ ok: true });
      })();
    });
    child.on('exit', code => resolve(code ?? 1));
  });
}

/** What the six steps must have shown; returns the problems found. */
function check(spans: SpanRecord[], audits: number, modelRequests: number): string[] {
  const calls = spans.filter(s => s.name.startsWith('chat '));
  const decisions = calls.map(s => s.attributes['axonflow.decision']);
  const problems: string[] = [];
  if (calls.length !== 5) problems.push(`expected 5 chat call spans, got ${calls.length}`);
  const gemini = spans.filter(s => s.name === 'generate_content sandbox-gemini');
  if (gemini.length !== 1 || gemini[0]?.attributes['axonflow.decision'] !== 'allow') {
    problems.push('the Gemini call was not traced as an allowed governed call');
  }
  if (!decisions.includes('allow')) problems.push('no allowed call was traced');
  if (!decisions.includes('deny')) problems.push('the denied prompt was not traced as a deny');
  if (!decisions.includes('fail_open'))
    problems.push('the fail-open call was not traced as fail_open');
  if (
    !spans.some(s => s.name === 'axonflow.pre_check' && s.attributes['axonflow.cache.hit'] === true)
  ) {
    problems.push('no pre-check was served from the cache');
  }
  if (
    !calls.some(s =>
      (s.attributes['gen_ai.response.finish_reasons'] as unknown[] | undefined)?.includes(
        'tool_use',
      ),
    )
  ) {
    problems.push('the Anthropic tool use was not traced');
  }
  if (modelRequests !== 5)
    problems.push(
      `the model should have served 5 calls (not the denied one), served ${modelRequests}`,
    );
  if (audits !== 4) problems.push(`the agent should have received 4 audit records, got ${audits}`);
  return problems;
}
