// Overhead on @google/genai 3.x (the root devDependency), CPU time per `models.generateContent`
// call: uninstrumented, the floor (one hand-written span), ours tracing only, ours governed with a
// cached decision, and Traceloop's @google/genai instrumentation, whose require hook only accepts
// 1.x (reported as not patching here) and which is then measured applied by hand. In-process
// canned answer first, then loopback to the sandbox's Gemini API route. The workload and how each
// instrumentation is applied: bench/lib/google-genai.mjs.
// Targets: tracing-only added CPU ≤ 1.25 × the floor's (no peer patches 3.x through its hook, so
// the floor is the reference); governed cached ≤ 15 µs above tracing only, p75 ≤ 2 × p50.
process.env.AXONFLOW_TELEMETRY = 'off';

import { runGoogleGenAi } from '../lib/google-genai.mjs';

export function run({ quick = false } = {}) {
  return runGoogleGenAi({ line: 3, prefix: 'google-genai.genai3', quick });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run({ quick: process.argv.includes('--quick') });
  for (const row of rows) console.log(JSON.stringify(row));
}
