// Where the suites load the built package from: the snapshot of dist/ that bench/run.mjs takes
// when it starts (so that a rebuild during the run cannot mix two builds), else dist/ itself.
import { pathToFileURL } from 'node:url';

const snapshot = process.env.AXONFLOW_BENCH_DIST;

export const DIST = snapshot
  ? pathToFileURL(`${snapshot.replace(/\/+$/, '')}/esm/`)
  : new URL('../../dist/esm/', import.meta.url);
