// Sets up a second AxonFlowInstrumentation next to the register entry's, as an app that also
// configures the instrumentation itself would, then turns the register entry's instrumentation
// off and on again at run time (its handle is on a global symbol), and makes a denied call in
// each state. Prints one JSON line: per step whether the SDK methods are wrapped, wrapped twice,
// and what the denied call did.
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { AxonFlowInstrumentation } from 'axonflow-otel';

registerInstrumentations({ instrumentations: [new AxonFlowInstrumentation()] });
const { default: OpenAI } = await import('openai');

const handle = globalThis[Symbol.for('axonflow-otel.register.started')]?.handle;
const openai = new OpenAI();

function owner(proto, name) {
  for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.hasOwn(p, name)) return p;
  }
  return undefined;
}

function wrapping() {
  const request = owner(OpenAI.prototype, 'request').request;
  const prepare = owner(OpenAI.prototype, 'prepareOptions').prepareOptions;
  return {
    request: request.__wrapped === true,
    requestTwice: request.__original?.__wrapped === true,
    prepareOptions: prepare.__wrapped === true,
    prepareOptionsTwice: prepare.__original?.__wrapped === true,
  };
}

let tag = 0;
async function denied() {
  try {
    await openai.chat.completions.create({
      model: 'sandbox-gpt',
      seed: ++tag,
      messages: [{ role: 'user', content: 'Store my SSN 123-45-6789 for later' }],
    });
    return 'went through';
  } catch (err) {
    return err?.code ?? String(err);
  }
}

const steps = [];
const step = async name => steps.push({ name, ...wrapping(), denied: await denied() });

await step('started');
handle.instrumentation.disable();
await step('disabled');
handle.instrumentation.enable();
await step('enabled again');
handle.instrumentation.enable();
await step('enabled twice');
console.log(JSON.stringify({ started: handle !== undefined, steps }));
