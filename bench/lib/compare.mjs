// What the client-family suites (ai-sdk, google-genai, google-genai-peers) share beyond the
// workload helpers: loading the peers' install, probing that each scenario traces the way it says
// before it is measured, the rows of the scenarios that did not, and the judged comparisons
// (ours tracing only against the floor and against every peer, governed above tracing only).
import { createRequire } from 'node:module';
import { pairedCpu, pairedRatio, pairedRoundMeans } from './rounds.mjs';
import { rounded } from './stats.mjs';
import { expectSpans } from './workload.mjs';

export const OURS_SCOPE = 'axonflow-otel';
export const FLOOR_SCOPE = 'bench-floor';

/** A `require` that resolves from bench/peers (its own package.json and lock). */
export function loadPeerRequire(probe) {
  const peerRequire = createRequire(new URL('../peers/package.json', import.meta.url));
  try {
    peerRequire.resolve(probe);
  } catch {
    throw new Error('bench: peers are not installed; run: npm ci --prefix bench/peers');
  }
  return peerRequire;
}

/**
 * Runs each scenario twice (after its `enter`) and reads the spans it produced. Ours, the floor
 * and the uninstrumented baseline must trace as their `expect(spans)` says, or the suite stops: a
 * number for a scenario that lost its instrumentation would be a wrong number. A peer (a scenario
 * with `peer`) counts only if it produced spans of its own scope; otherwise its row says "did not
 * patch" and it is left out of the measurement. Sets `spans` (per call) on every live scenario.
 */
export async function probe(otel, scenarios, { prefix, sdk }) {
  const live = [];
  const rows = [];
  for (const s of scenarios) {
    await s.enter?.();
    let spans;
    let failure;
    try {
      spans = await otel.capture(async () => {
        await s.call();
        await s.call();
      });
    } catch (err) {
      failure = `the call failed while it was enabled: ${err?.message ?? err}`;
    }
    await s.exit?.();
    if (!s.peer) {
      if (failure) throw new Error(`bench: ${s.name}: ${failure}`);
      expectSpans(s.name, spans, s.expect);
    } else if (!failure && !spans.some(x => x.scope === s.scope)) {
      failure = `no span from ${s.scope} (saw ${[...new Set(spans.map(x => x.scope))].join(', ') || 'none'})`;
    }
    if (failure) {
      rows.push(didNotPatch(prefix, s.name, failure, { sdk, version: s.peer?.version }));
      continue;
    }
    s.spans = spans.length / 2;
    live.push(s);
  }
  return { live, rows };
}

/** The row of a peer that produced no span of its own where it was applied. */
export function didNotPatch(prefix, name, reason, extra = {}) {
  return {
    name: `${prefix} ${name}: CPU per call`,
    unit: 'µs',
    value: null,
    target: null,
    pass: null,
    details: { status: 'did not patch', reason, ...extra },
  };
}

/** Span checks for ours: `n` spans per call, the call span's decision attributes as the mode says. */
export const oursTracing =
  (callSpan, n = 1) =>
  spans =>
    spans.length === 2 * n &&
    spans.every(x => x.scope === OURS_SCOPE) &&
    spans
      .filter(x => x.name === callSpan)
      .every(x => x.attributes['axonflow.decision'] === 'skipped');

export const oursCached =
  (callSpan, n = 3) =>
  spans => {
    const calls = spans.filter(x => x.name === callSpan);
    return (
      spans.length === 2 * n &&
      spans.every(x => x.scope === OURS_SCOPE) &&
      calls.length === 2 &&
      calls[1].attributes['axonflow.cache.hit'] === true
    );
  };

export const none = spans => spans.length === 0;

export const floorOnly = spans => spans.length === 2 && spans.every(x => x.scope === FLOOR_SCOPE);

/**
 * Tracing only against the floor, as instrumentation.openai7 judges it: the strict reading (added
 * CPU over added CPU, judged, ≤ 1.25) and the lenient one (total CPU ratio, reported).
 */
export function floorRows(prefix, results, { baseline, floor, tracing, judged = true }) {
  const addedOurs = pairedCpu(results.get(tracing), results.get(baseline));
  const addedFloor = pairedCpu(results.get(floor), results.get(baseline));
  // A floor that adds nothing measurable (noise) leaves the ratio undefined, not passed.
  const strict = addedFloor.p50 > 0 ? addedOurs.p50 / addedFloor.p50 : null;
  const totalRatio = pairedRatio(results.get(tracing).cpu, results.get(floor).cpu);
  return [
    {
      name: `${prefix} tracing only vs floor, added CPU (strict reading${judged ? ', the one judged' : ''})`,
      unit: '×',
      value: strict === null ? null : rounded(strict, 3),
      target: judged ? '<= 1.25' : '<= 1.25 (not judged)',
      pass: judged && strict !== null ? strict <= 1.25 : null,
      details: rounded({
        formula:
          '(ours_tracing_only − uninstrumented) / (floor − uninstrumented), CPU µs per call, medians of per-sub-round differences',
        oursAddedCpuUs: addedOurs,
        floorAddedCpuUs: addedFloor,
        totalCpuRatio: totalRatio.p50,
        onRoundMeans: {
          oursAddedCpuUs: pairedRoundMeans(results.get(tracing), results.get(baseline)),
          floorAddedCpuUs: pairedRoundMeans(results.get(floor), results.get(baseline)),
        },
      }),
    },
    {
      name: `${prefix} tracing only vs floor, total CPU per call (lenient reading)`,
      unit: '×',
      value: rounded(totalRatio.p50, 3),
      target: '<= 1.25 (not judged)',
      pass: null,
      details: rounded({
        formula: 'ours_tracing_only / floor, CPU µs per call, median of per-sub-round ratios',
        spread: { p25: totalRatio.p25, p75: totalRatio.p75 },
        strictRatio: strict,
      }),
    },
  ];
}

/**
 * Ours tracing only against every peer that patched: added CPU of ours over the added CPU of the
 * cheapest peer, each the median of per-sub-round differences against the same baseline. Below 1
 * means ours adds less than every peer. No live peer leaves the row unjudged.
 */
export function belowPeersRow(
  prefix,
  results,
  { baseline, tracing, peers, what = 'every peer', judged = true, why },
) {
  const ours = pairedCpu(results.get(tracing), results.get(baseline));
  const each = peers.map(name => {
    const added = pairedCpu(results.get(name), results.get(baseline));
    // Paired per sub-round as well: ours minus the peer, in the same machine conditions.
    const oursMinusPeer = pairedCpu(results.get(tracing), results.get(name));
    return { name, addedCpuUs: added, oursMinusPeerCpuUs: oursMinusPeer };
  });
  const cheapest = each.reduce((a, b) => (b.addedCpuUs.p50 < a.addedCpuUs.p50 ? b : a), each[0]);
  const ratio = cheapest && cheapest.addedCpuUs.p50 > 0 ? ours.p50 / cheapest.addedCpuUs.p50 : null;
  return {
    name: `${prefix} tracing only vs ${what}, added CPU (ours / cheapest)`,
    unit: '×',
    value: ratio === null ? null : rounded(ratio, 3),
    target: judged ? '< 1' : `< 1 (not judged: ${why})`,
    pass: judged && ratio !== null ? ratio < 1 : null,
    details: rounded({
      formula:
        '(ours_tracing_only − uninstrumented) / min over peers (peer − uninstrumented), CPU µs per call, medians of per-sub-round differences',
      oursAddedCpuUs: ours,
      cheapest: cheapest?.name ?? 'no peer patched',
      peers: each,
    }),
  };
}

/** The bound on a governed call with a cached decision, above tracing only, in µs of CPU. */
export const GOVERNED_BOUND_US = 15;

/**
 * Governed with a cached decision above tracing only, judged twice: the median of the paired
 * per-sub-round differences ≤ 15 µs, and their p75 ≤ 2 × their p50 (no slow path taken by some
 * calls only).
 */
export function governedRow(prefix, results, { tracing, cached, judged = true }) {
  const above = pairedCpu(results.get(cached), results.get(tracing));
  const steady = above.p75 <= 2 * above.p50;
  const target = `<= ${GOVERNED_BOUND_US}, p75 <= 2 × p50`;
  return {
    name: `${prefix} governed (cached decision) above tracing only`,
    unit: 'µs CPU',
    value: rounded(above.p50),
    target: judged ? target : `${target} (not judged)`,
    pass: judged ? above.p50 <= GOVERNED_BOUND_US && steady : null,
    details: rounded({
      spread: above,
      p75OverP50: above.p50 > 0 ? above.p75 / above.p50 : null,
      onRoundMeans: pairedRoundMeans(results.get(cached), results.get(tracing)),
    }),
  };
}
