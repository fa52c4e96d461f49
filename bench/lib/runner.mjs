// Runs one suite in this (child) process: `node --expose-gc bench/lib/runner.mjs <suite.mjs>
// <rows.json> [--quick]`. Writes the suite's rows to <rows.json> and exits, so a suite that
// leaves a keep-alive socket or a timer behind cannot hold the run up.
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [suitePath, outPath, ...flags] = process.argv.slice(2);
process.env.AXONFLOW_TELEMETRY = 'off';
const suite = await import(pathToFileURL(suitePath).href);
const rows = await suite.run({ quick: flags.includes('--quick') });
writeFileSync(outPath, JSON.stringify(rows));
process.exit(0);
