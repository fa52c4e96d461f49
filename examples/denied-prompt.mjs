// A prompt the policies deny (it carries an SSN): the call throws PolicyViolationError and the
// model is never called. Match on `code`, which is stable across both builds of the package.
//   node --import axonflow-otel/register examples/denied-prompt.mjs
import OpenAI from 'openai';

const openai = new OpenAI();
try {
  await openai.chat.completions.create({
    model: process.env.EXAMPLE_MODEL ?? 'sandbox-gpt',
    messages: [{ role: 'user', content: 'Store my SSN 123-45-6789 for later' }],
  });
  console.log('unexpected: the call went through');
  process.exitCode = 1;
} catch (err) {
  if (err?.code !== 'AXONFLOW_POLICY_VIOLATION') throw err;
  console.log(`blocked: ${err.blockReason} (policies: ${err.policies.join(', ')})`);
}
