// An Express API whose POST /ask answers with an LLM, governed per end user: the handler runs the
// call inside withAxonFlowContext with the caller's identity, and a denied prompt becomes a 403
// with the block reason. The identity comes from an `x-user` header here; take it from your
// authentication middleware in a real app.
//   PORT=3000 node --import axonflow-otel/register examples/express-server.mjs
//   curl -s localhost:3000/ask -H 'x-user: user-alice' -H 'content-type: application/json' \
//     -d '{"question":"What is the capital of France?"}'
// With --self-test (or EXAMPLE_SELF_TEST=1) it sends itself one allowed and one denied request,
// prints the replies and exits.
import { withAxonFlowContext } from 'axonflow-otel';
import express from 'express';
import OpenAI from 'openai';

const openai = new OpenAI();
const app = express();
app.use(express.json());

app.post('/ask', async (req, res) => {
  const question = String(req.body?.question ?? '');
  try {
    const completion = await withAxonFlowContext({ userToken: req.header('x-user') }, () =>
      openai.chat.completions.create({
        model: process.env.EXAMPLE_MODEL ?? 'sandbox-gpt',
        messages: [{ role: 'user', content: question }],
      }),
    );
    res.json({ answer: completion.choices[0].message.content });
  } catch (err) {
    if (err?.code !== 'AXONFLOW_POLICY_VIOLATION') throw err; // Express turns it into a 500.
    res.status(403).json({ error: 'blocked', reason: err.blockReason, policies: err.policies });
  }
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', async () => {
  const url = `http://127.0.0.1:${server.address().port}`;
  console.log(`listening on ${url}`);
  if (!process.argv.includes('--self-test') && process.env.EXAMPLE_SELF_TEST !== '1') return;
  for (const [user, question] of [
    ['user-alice', 'What is the capital of France?'],
    ['user-bob', 'File my taxes, my SSN is 123-45-6789.'],
  ]) {
    const reply = await fetch(`${url}/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': user },
      body: JSON.stringify({ question }),
    });
    console.log(`${user} -> ${reply.status} ${await reply.text()}`);
  }
  server.close();
});
