// Proxy mode, streamed: the AxonFlow agent checks the query against its policies, calls the
// model itself and streams the answer back, so the app holds no provider key. The stream decodes
// into typed events (text_delta, tool_use_stop, …) in either wire dialect, and `metadata` settles
// with the flow's token counts and latency. A denied query throws before any event arrives.
//   node --import axonflow-otel/register examples/proxy-stream.mjs
// (The register entry is optional here: this app calls the AxonFlow client directly.)
import { AxonFlowClient } from 'axonflow-otel';

const client = AxonFlowClient.fromEnv();

async function ask(query) {
  const stream = client.proxyLLMCallStream({
    query,
    requestType: 'chat',
    dialect: 'anthropic', // or 'openai': same events either way
    context: { model: process.env.EXAMPLE_MODEL ?? 'sandbox-claude' },
  });
  for await (const event of stream) {
    if (event.type === 'text_delta') process.stdout.write(event.text);
  }
  const { backend, tokensInput, tokensOutput, terminalReason } = await stream.metadata;
  console.log(`\n[${backend}: ${tokensInput} in, ${tokensOutput} out, ${terminalReason}]`);
}

try {
  await ask('Explain in one sentence why the sky is blue.');
  await ask('Update the account of SSN 123-45-6789.');
} catch (err) {
  if (err?.code !== 'AXONFLOW_POLICY_VIOLATION') throw err;
  console.log(`blocked: ${err.blockReason}`);
} finally {
  await client.close();
}
