// One fuzz target in a child process: runs cases [from, to) and reports each one over IPC to the
// runner (fuzz/run.mjs), which kills the process and starts another after a case that never
// finishes. A process, not a worker thread: a thread stuck in a long builtin (say, a filter over
// an array four billion long) cannot be terminated until the builtin returns; a process can.
import { describeError, onPhase } from './lib/harness.mjs';
import { Rng } from './lib/prng.mjs';

const { target, seed, from, to } = JSON.parse(process.argv[2]);
const post = message => process.send(message);
const modules = {
  'openai-chat': './targets/sdk-streams.mjs',
  'openai-responses': './targets/sdk-streams.mjs',
  'anthropic-messages': './targets/sdk-streams.mjs',
  'axon-anthropic': './targets/axon-stream.mjs',
  'axon-openai': './targets/axon-stream.mjs',
  'pre-check': './targets/pre-check.mjs',
};

const { create } = await import(modules[target]);
onPhase((phase, plainMs) => post({ type: 'phase', phase, plainMs }));
const fuzzer = await create(target);
for (let i = from; i < to; i++) {
  post({ type: 'begin', i });
  let failure;
  try {
    // The case is described before it runs, so a case that hangs the thread is still reported.
    const { log, execute } = fuzzer.prepare(new Rng(seed, target, i));
    post({ type: 'log', i, log });
    failure = await execute();
  } catch (err) {
    failure = `the harness failed: ${describeError(err)}\n${err?.stack ?? ''}`;
  }
  post({ type: 'end', i, failure });
}
await fuzzer.close();
post({ type: 'done' });
process.disconnect();
