/**
 * The zero-code entry: `node --require axonflow-otel/register app.js` (CommonJS) or
 * `node --import axonflow-otel/register app.mjs` (ES modules). Loading this module starts
 * governed tracing from the `OTEL_*` and `AXONFLOW_*` environment variables; see `start.ts`.
 */
import { startFromEnv } from './start.js';

startFromEnv();
