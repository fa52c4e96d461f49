// Per-user identity: LLM calls made inside withAxonFlowContext() are pre-checked as that user
// (the agent receives their `user_token`) with extra policy context. Concurrent users never mix:
// the identity travels in the OpenTelemetry context, across every await.
//   node --import axonflow-otel/register examples/per-user-identity.mjs
import { withAxonFlowContext } from 'axonflow-otel';
import OpenAI from 'openai';

const openai = new OpenAI();

async function ask(question) {
  const completion = await openai.chat.completions.create({
    model: process.env.EXAMPLE_MODEL ?? 'sandbox-gpt',
    messages: [{ role: 'user', content: question }],
  });
  return completion.choices[0].message.content;
}

const requests = [
  { user: 'user-alice', team: 'sales', question: 'Summarise the Q3 pipeline in one line.' },
  { user: 'user-bob', team: 'support', question: 'Draft a polite reply to ticket 4521.' },
  { user: 'user-carol', team: 'billing', question: 'Refund card 4111 1111 1111 1111 now.' },
];

// All three at once, each under its own identity; one user's deny does not touch the others.
const answers = await Promise.all(
  requests.map(({ user, team, question }) =>
    withAxonFlowContext({ userToken: user, context: { team } }, () =>
      ask(question).catch(err => {
        if (err?.code !== 'AXONFLOW_POLICY_VIOLATION') throw err;
        return `blocked: ${err.blockReason}`;
      }),
    ),
  ),
);
for (const [i, { user }] of requests.entries()) console.log(`${user}: ${answers[i]}`);
