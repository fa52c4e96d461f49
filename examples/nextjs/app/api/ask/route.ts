// A route handler on the Node.js runtime. Next.js bundles `openai` into the server build, out of
// reach of module hooks, so the client is governed explicitly; a denied prompt rejects with
// `PolicyViolationError` before anything is sent to the model.
import { governClient, PolicyViolationError } from 'axonflow-otel';
import OpenAI from 'openai';

export const runtime = 'nodejs';

const openai = governClient(new OpenAI());

export async function POST(request: Request): Promise<Response> {
  const { question } = (await request.json()) as { question: string };
  try {
    const completion = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: question }],
    });
    return Response.json({ answer: completion.choices[0]?.message.content });
  } catch (err) {
    if (err instanceof PolicyViolationError) {
      return Response.json({ blocked: err.blockReason }, { status: 403 });
    }
    throw err;
  }
}
