// The measuring loop shared by the suites. After a warm-up, `rounds` rounds; each round is a full
// GC, an untimed re-warm of every scenario, a short idle pause, then `subRounds` sub-rounds in
// which every scenario runs one short batch of sequential calls in turn (A B C, B C A, C A B, …).
// A batch records the process CPU time (user + system, `process.cpuUsage()`, all threads) and the
// wall time per call, and the latency of every call.
//
// Why short batches: on a shared machine the CPU time of the same work jumps by 2–10× for
// stretches of milliseconds to seconds (other processes' cache and core use). Batches of a few
// milliseconds, alternated, see the same conditions as their neighbours, so the difference of two
// scenarios in one sub-round is mostly their own. Results are medians over many sub-rounds; the
// all-inclusive mean of each round is kept as well. No GC runs between batches: a scavenge is
// triggered by allocation, so it lands on the scenario that allocates, in proportion.
import { spread } from './stats.mjs';

let warnedNoGc = false;
const t0 = performance.now();

/** Progress on stderr, with seconds since start, when BENCH_VERBOSE is set. */
export function progress(message) {
  if (process.env.BENCH_VERBOSE) {
    console.error(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${message}`);
  }
}

/**
 * `full`: a full mark-compact (twice, so finalizers' garbage goes too). It also throws away
 * optimized code that depends on objects it collects (`--trace-deopt` shows dozens of SDK
 * functions "marked for deoptimization, reason: weak objects" after one), so a full GC must be
 * followed by untimed calls before anything is timed. `minor`: a scavenge of the young
 * generation only, which deoptimizes nothing.
 */
export function collectGarbage(kind = 'full') {
  if (typeof globalThis.gc === 'function') {
    if (kind === 'minor') globalThis.gc({ type: 'minor' });
    else {
      globalThis.gc();
      globalThis.gc();
    }
  } else if (!warnedNoGc) {
    warnedNoGc = true;
    console.error('bench: run node with --expose-gc; rounds start without a GC');
  }
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/**
 * @param {object} options
 * @param {{ name: string, calls?: number, enter?: () => any, exit?: () => any,
 *   call: () => Promise<unknown>, check?: (batch: { calls: number }) => any }[]} options.scenarios
 * @param {number} options.rounds rounds (a full GC and re-warm each)
 * @param {number} options.subRounds sub-rounds per round (one batch of each scenario each)
 * @param {number} options.calls calls per batch (a scenario may override it with `calls`)
 * @param {number} options.warmupMs warm-up time per scenario before the first round
 * @param {() => Promise<unknown>} [options.settle] runs before and after each batch, untimed
 *   (e.g. flush the span processor, so a batch is checked against its own spans)
 */
export async function interleaved({ scenarios, rounds, subRounds, calls, warmupMs, settle }) {
  progress(`warm-up of ${scenarios.map(s => s.name).join(', ')}`);
  for (const s of scenarios) {
    await s.enter?.();
    const end = performance.now() + warmupMs;
    let n = 0;
    while (n < 50 || performance.now() < end) {
      await s.call();
      n++;
    }
    await settle?.();
    await s.exit?.();
  }
  const results = new Map(
    scenarios.map(s => [s.name, { cpu: [], wall: [], roundCpu: [], roundWall: [], latencies: [] }]),
  );
  progress(`${rounds} rounds of ${subRounds} sub-rounds`);
  let k = 0;
  for (let round = 0; round < rounds; round++) {
    collectGarbage('full');
    for (const s of scenarios) {
      await s.enter?.();
      const end = performance.now() + 40;
      for (let i = 0; i < 2 * (s.calls ?? calls) || performance.now() < end; i++) await s.call();
      await settle?.();
      await s.exit?.();
    }
    // Idle time for the GC's concurrent sweeping and the JIT's background compiles to finish:
    // process CPU time counts every thread, and this work belongs to no batch.
    await sleep(100);
    const totals = new Map(scenarios.map(s => [s.name, { cpu: 0, wall: 0, calls: 0 }]));
    for (let sub = 0; sub < subRounds; sub++, k++) {
      for (let j = 0; j < scenarios.length; j++) {
        const s = scenarios[(j + k) % scenarios.length];
        const n = s.calls ?? calls;
        const lat = new Float64Array(n);
        await s.enter?.();
        await settle?.();
        const cpu0 = process.cpuUsage();
        const start = performance.now();
        for (let i = 0; i < n; i++) {
          const a = performance.now();
          await s.call();
          lat[i] = performance.now() - a;
        }
        const wallUs = (performance.now() - start) * 1000;
        const cpu = process.cpuUsage(cpu0);
        await settle?.();
        await s.check?.({ calls: n });
        await s.exit?.();
        const cpuUs = cpu.user + cpu.system;
        const r = results.get(s.name);
        r.cpu.push(cpuUs / n);
        r.wall.push(wallUs / n);
        r.latencies.push(lat);
        const t = totals.get(s.name);
        t.cpu += cpuUs;
        t.wall += wallUs;
        t.calls += n;
      }
    }
    for (const [name, t] of totals) {
      results.get(name).roundCpu.push(t.cpu / t.calls);
      results.get(name).roundWall.push(t.wall / t.calls);
    }
  }
  return results;
}

/**
 * CPU and wall µs per call: median and spread over batches (`cpuUs`, `wallUs`), the spread of
 * round means (`cpuMeanUs`, every call and every burst included), and pooled latency percentiles.
 */
export function summarize(result) {
  let total = 0;
  for (const l of result.latencies) total += l.length;
  const all = new Float64Array(total);
  let at = 0;
  for (const l of result.latencies) {
    all.set(l, at);
    at += l.length;
  }
  all.sort();
  const pick = q => all[Math.min(total - 1, Math.floor(total * q))] * 1000;
  return {
    cpuUs: spread(result.cpu),
    wallUs: spread(result.wall),
    cpuMeanUs: spread(result.roundCpu),
    latencyUs: { p50: pick(0.5), p99: pick(0.99), samples: total },
  };
}

/** Per-sub-round differences `a − b` of CPU µs per call, and their spread. */
export function pairedCpu(a, b) {
  return spread(a.cpu.map((v, i) => v - b.cpu[i]));
}

/** Per-round differences `a − b` of the round means (all-inclusive), and their spread. */
export function pairedRoundMeans(a, b) {
  return spread(a.roundCpu.map((v, i) => v - b.roundCpu[i]));
}

/** Per-sub-round ratio `a / b` of a per-batch series. */
export function pairedRatio(as, bs) {
  return spread(as.map((v, i) => v / bs[i]));
}
