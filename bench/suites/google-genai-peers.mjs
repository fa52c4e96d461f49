// Ours next to Traceloop's @google/genai instrumentation on the SDK line its hook accepts:
// @google/genai 1.x, installed in bench/peers with the peer. CPU time per `models.generateContent`
// call: uninstrumented, the floor, ours tracing only, ours governed with a cached decision, the
// peer with its defaults and with `traceContent: false`. In-process canned answer first, then
// loopback to the sandbox's Gemini API route. A process of its own, apart from the 3.x suite (see
// bench/lib/google-genai.mjs, which holds the workload).
// Target: ours tracing only adds less CPU than the peer in each of its configurations.
process.env.AXONFLOW_TELEMETRY = 'off';

import { runGoogleGenAi } from '../lib/google-genai.mjs';

export function run({ quick = false } = {}) {
  return runGoogleGenAi({ line: 1, prefix: 'google-genai-peers.genai1', quick });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run({ quick: process.argv.includes('--quick') });
  for (const row of rows) console.log(JSON.stringify(row));
}
