// One fuzz target in a worker thread: runs cases [from, to) and reports each one to the runner
// (fuzz/run.mjs), which restarts the worker if a case never finishes.
import { parentPort, workerData } from 'node:worker_threads';
import { describeError, onPhase } from './lib/harness.mjs';
import { Rng } from './lib/prng.mjs';

const { target, seed, from, to } = workerData;
const modules = {
  'openai-chat': './targets/sdk-streams.mjs',
  'openai-responses': './targets/sdk-streams.mjs',
  'anthropic-messages': './targets/sdk-streams.mjs',
  'axon-anthropic': './targets/axon-stream.mjs',
  'axon-openai': './targets/axon-stream.mjs',
  'pre-check': './targets/pre-check.mjs',
};

const { create } = await import(modules[target]);
onPhase((phase, plainMs) => parentPort.postMessage({ type: 'phase', phase, plainMs }));
const fuzzer = await create(target);
for (let i = from; i < to; i++) {
  parentPort.postMessage({ type: 'begin', i });
  let failure;
  try {
    // The case is described before it runs, so a case that hangs the thread is still reported.
    const { log, execute } = fuzzer.prepare(new Rng(seed, target, i));
    parentPort.postMessage({ type: 'log', i, log });
    failure = await execute();
  } catch (err) {
    failure = `the harness failed: ${describeError(err)}\n${err?.stack ?? ''}`;
  }
  parentPort.postMessage({ type: 'end', i, failure });
}
await fuzzer.close();
parentPort.postMessage({ type: 'done' });
