// An app's own preload, after the register entry: it adds the HTTP and undici instrumentations
// to the tracer provider the register entry started.
//   node --import axonflow-otel/register --import ./with-http-instrumentations.mjs app.mjs
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';

registerInstrumentations({
  instrumentations: [new HttpInstrumentation(), new UndiciInstrumentation()],
});
