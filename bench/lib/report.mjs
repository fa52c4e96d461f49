// Renders a run's results (bench/results.json) as REPORT.md and the overhead chart (SVG). Every
// number in both comes from the results; the prose around them only explains the method.

const RESULT = { true: '✅ pass', false: '❌ miss' };

export function fmt(value, digits) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (typeof value !== 'number') return String(value);
  const abs = Math.abs(value);
  const d = digits ?? (abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3);
  return value.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

const cell = text => String(text).replace(/\|/g, '\\|');

function resultOf(row) {
  if (row.details?.status === 'did not patch') return '⚠️ did not patch';
  if (row.details?.status === 'failed') return '❌ suite failed';
  return RESULT[row.pass] ?? '—';
}

function valueText(row) {
  if (row.value === null || row.value === undefined) return '—';
  return `${fmt(row.value)} ${row.unit}`;
}

function spreadOf(row) {
  const s = row.details?.spread;
  return s && s.p25 !== undefined ? `${fmt(s.p25)} – ${fmt(s.p75)}` : '';
}

function addedOf(row) {
  const a = row.details?.addedCpuUs;
  return a ? `${fmt(a.p50)} [${fmt(a.p25)} – ${fmt(a.p75)}]` : '';
}

function latencyOf(row) {
  const l = row.details?.latencyUs;
  return l ? `${fmt(l.p50)} / ${fmt(l.p99)}` : '';
}

function heapOf(row) {
  const h = row.details?.heapPer10kCallsKiB;
  return h === undefined ? '' : `${fmt(h, 0)} KiB`;
}

/** A markdown table of rows; columns without any value in these rows are left out. */
function table(rows) {
  const columns = [
    ['Scenario / check', r => r.name],
    ['Value (p50)', valueText],
    ['p25 – p75', spreadOf],
    ['Added CPU vs baseline, µs p50 [p25 – p75]', addedOf],
    ['Latency p50 / p99, µs', latencyOf],
    ['Heap retained / 10k calls', heapOf],
    ['Target', r => r.target ?? ''],
    ['Result', resultOf],
  ].filter(([, get]) => rows.some(r => get(r) !== ''));
  const lines = [
    `| ${columns.map(([h]) => h).join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
  ];
  for (const r of rows) lines.push(`| ${columns.map(([, get]) => cell(get(r))).join(' | ')} |`);
  return lines.join('\n');
}

function loadText(s) {
  const l = s.loadAvg;
  return l ? `${fmt(l.before, 2)} → ${fmt(l.after, 2)}` : '';
}

const LABELS = {
  uninstrumented: 'uninstrumented',
  floor: 'floor',
  tracing: 'ours: tracing only',
  cached: 'ours: governed, cached',
  breaker: 'ours: agent down, breaker open',
};

/** µs per call by owner and our top functions, from the side-by-side profile. */
function compareSection(compared) {
  if (!compared?.scenarios?.length) {
    return compared?.error ? [`Side-by-side profile failed: ${compared.error}`, ''] : [];
  }
  const sc = compared.scenarios;
  const get = (s, owner) => s.byOwner.find(o => o.name === owner)?.usPerCall ?? 0;
  const base = sc.find(s => s.scenario === 'uninstrumented') ?? sc[0];
  const owners = [...new Set(sc.flatMap(s => s.byOwner.map(o => o.name)))]
    .map(o => ({ o, spread: Math.max(...sc.map(s => get(s, o))) - get(base, o) }))
    .sort((a, b) => b.spread - a.spread)
    .slice(0, 14)
    .map(x => x.o);
  const out = [
    '### Side by side: µs of CPU per call by owner (openai 7, in-process fetch)',
    '',
    `One profile of ${fmt(compared.attributedMs / 1000, 1)} s in which the scenarios alternate in`,
    'batches of 20 calls (as in the suites); each sample is attributed to the batch running when',
    'it was taken, so all columns share the same machine conditions. Values are sampled self time',
    'per call (the profiler samples every 100 µs, so single values below ~0.5 µs are rough).',
    '',
    `| Owner | ${sc.map(s => LABELS[s.scenario] ?? s.scenario).join(' | ')} |`,
    `| --- | ${sc.map(() => '---').join(' | ')} |`,
    `| **all sampled** | ${sc.map(s => fmt(s.sampledUsPerCall)).join(' | ')} |`,
    ...owners.map(o => `| ${cell(o)} | ${sc.map(s => fmt(get(s, o))).join(' | ')} |`),
    '',
    '| Our function (source), µs per call | ' +
      sc
        .filter(s => s.ours.length)
        .map(s => LABELS[s.scenario] ?? s.scenario)
        .join(' | ') +
      ' |',
  ];
  const withOurs = sc.filter(s => s.ours.length);
  const fns = [...new Set(withOurs.flatMap(s => s.ours.slice(0, 8).map(f => f.name)))];
  out.push(`| --- | ${withOurs.map(() => '---').join(' | ')} |`);
  for (const f of fns) {
    out.push(
      `| ${cell(f)} | ${withOurs.map(s => fmt(s.ours.find(x => x.name === f)?.usPerCall ?? 0)).join(' | ')} |`,
    );
  }
  out.push('');
  return out;
}

function profileSection(profiles, compared) {
  if (!profiles?.length && !compared) return '';
  const out = [
    '## Where the time goes (CPU profiles)',
    '',
    'Each scenario below ran in a loop in a process of its own (`node bench/profile.mjs <scenario>`),',
    'with the V8 sampling profiler (100 µs interval) started after a 1 s warm-up. Shares are of',
    'all samples except idle time; "self time" is time in the function itself, not its callees.',
    '',
    ...compareSection(compared),
  ];
  for (const p of profiles) {
    if (p.error) {
      out.push(`### ${p.scenario}`, '', `Profile failed: ${p.error}`, '');
      continue;
    }
    out.push(
      `### ${p.scenario} — ${fmt(p.cpuUsPerCall)} µs CPU per call while profiled (${p.calls} calls)`,
      '',
      '| Owner | Self time |',
      '| --- | --- |',
      ...p.byOwner.slice(0, 8).map(o => `| ${cell(o.name)} | ${fmt(o.pct, 1)} % |`),
      '',
      '| Our function (source) | Self time |',
      '| --- | --- |',
      ...p.oursBySelfTime.slice(0, 8).map(o => `| ${cell(o.name)} | ${fmt(o.pct, 1)} % |`),
      '',
      '| Top function, any owner | Self time |',
      '| --- | --- |',
      ...p.bySelfTime.slice(0, 10).map(o => `| ${cell(o.name)} | ${fmt(o.pct, 1)} % |`),
      '',
    );
  }
  return out.join('\n');
}

/**
 * @param {object} results the run's results.json
 * @param {object} texts `{ method: string[], notes: (results) => string[] }` prose of run.mjs
 */
export function renderReport(results, texts) {
  const { machine, run, suites } = results;
  const all = suites.flatMap(s => s.rows);
  const judged = all.filter(r => r.target !== null && r.target !== undefined && r.pass !== null);
  const missed = judged.filter(r => r.pass === false);
  const out = [
    '# axonflow-otel benchmarks',
    '',
    `Generated by \`bench/run.mjs\` (${run.mode} mode) on ${run.startedAt}, ${fmt(run.durationS, 0)} s.`,
    'Every number below was measured in that run and is also in [results.json](results.json);',
    'nothing is carried over from earlier runs. The chart is [overhead.svg](overhead.svg).',
    '',
    `**${judged.length - missed.length} of ${judged.length} targets pass; missed: ${
      missed.length ? missed.map(r => r.name).join('; ') : 'none'
    }.**`,
    '',
    '## Machine',
    '',
    '| | |',
    '| --- | --- |',
    `| CPU | ${cell(machine.cpu)} × ${machine.cores} (${machine.arch}) |`,
    `| Memory | ${fmt(machine.memoryGiB, 1)} GiB |`,
    `| OS | ${cell(machine.os)} |`,
    `| Node.js | ${machine.node} (V8 ${machine.v8}) |`,
    `| Commit | ${machine.commit}${machine.dirty.length ? ` + uncommitted changes in ${machine.dirty.length} file(s) under src/ (measured as built)` : ''} |`,
    `| Pinning | ${cell(machine.pinning)} |`,
    `| Load average (1 min) at start / end | ${fmt(run.loadAvg.before, 2)} / ${fmt(run.loadAvg.after, 2)} |`,
    '',
    '## Method',
    '',
    ...texts.method,
    '',
    '## Targets',
    '',
    table(judged.length ? all.filter(r => r.target !== null && r.target !== undefined) : []),
    '',
    '## All results, by suite',
    '',
  ];
  for (const s of suites) {
    out.push(
      `### ${s.suite} (${s.status}, ${fmt(s.durationS, 0)} s, load average ${loadText(s)})`,
      '',
    );
    out.push(s.rows.length ? table(s.rows) : '_no rows_', '');
    if (s.error) out.push('```', s.error, '```', '');
  }
  out.push('## Added CPU per call', '', '![Added CPU µs per call](overhead.svg)', '');
  out.push(profileSection(results.profiles, results.profileCompare));
  out.push('## Notes', '', ...texts.notes(results), '');
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n')}\n`;
}

function escapeXml(text) {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function niceStep(span, ticks) {
  const raw = span / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

/** Horizontal bars of added CPU µs per call (p50), whiskers p25–p75, grouped by workload. */
export function renderChart(results) {
  const bars = results.suites
    .flatMap(s => s.rows)
    .filter(r => r.details?.chart)
    .map(r => r.details.chart);
  const groups = [];
  for (const b of bars) {
    let g = groups.find(x => x.name === b.group);
    if (!g) {
      g = { name: b.group, bars: [] };
      groups.push(g);
    }
    g.bars.push(b);
  }
  const W = 980;
  const labelW = 360;
  const valueW = 70;
  const plotX = labelW + 10;
  const plotW = W - plotX - valueW - 10;
  const rowH = 20;
  const headH = 26;
  const top = 72;
  // A bar far beyond the others (e.g. a network round trip) is cut at the axis end and labelled,
  // so it does not squash every other bar.
  const scaled = bars.filter(b => !b.beyondScale);
  const lo = Math.min(0, ...scaled.map(b => Math.min(b.p25, b.p50)));
  const hi = Math.max(1, ...scaled.map(b => Math.max(b.p75, b.p50)));
  const step = niceStep(hi - lo, 8);
  const domainLo = Math.floor(lo / step) * step;
  const domainHi = Math.ceil(hi / step) * step;
  const x = v => plotX + ((v - domainLo) / (domainHi - domainLo)) * plotW;
  const height = top + groups.reduce((h, g) => h + headH + g.bars.length * rowH, 0) + 40;
  const color = label =>
    label.startsWith('ours')
      ? '#1f6feb'
      : label.startsWith('floor')
        ? '#8c959f'
        : label.startsWith('uninstrumented')
          ? '#d0d7de'
          : '#d4a72c';
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12" role="img" aria-labelledby="title">`,
    '<title id="title">Added CPU µs per call over the uninstrumented SDK, by scenario and peer</title>',
    `<rect width="${W}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="600">Added CPU per call over the uninstrumented SDK (µs)</text>`,
    `<text x="10" y="38" fill="#57606a">CPU time; bar: median of paired differences over all sub-rounds; whisker: p25–p75; ▸ beyond the scale.</text>`,
    `<text x="10" y="54" fill="#57606a">${escapeXml(results.machine.cpu)} × ${results.machine.cores}, Node ${escapeXml(results.machine.node)}, ${escapeXml(results.run.startedAt)}, ${escapeXml(results.run.mode)} run.</text>`,
  ];
  const bottom = height - 30;
  for (let v = domainLo; v <= domainHi + step / 2; v += step) {
    const gx = x(v).toFixed(1);
    svg.push(
      `<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${bottom}" stroke="${v === 0 ? '#57606a' : '#eaeef2'}"/>`,
      `<text x="${gx}" y="${bottom + 14}" text-anchor="middle" fill="#57606a">${fmt(v, step < 1 ? 1 : 0)}</text>`,
    );
  }
  let y = top;
  for (const g of groups) {
    svg.push(`<text x="10" y="${y + 17}" font-weight="600">${escapeXml(g.name)}</text>`);
    y += headH;
    for (const b of g.bars) {
      const label = b.short ?? b.label;
      const x0 = x(0);
      const end = plotX + plotW;
      svg.push(`<text x="${labelW}" y="${y + 14}" text-anchor="end">${escapeXml(label)}</text>`);
      if (b.beyondScale && x(b.p50) > end) {
        svg.push(
          `<rect x="${x0.toFixed(1)}" y="${y + 4}" width="${(end - x0).toFixed(1)}" height="${rowH - 8}" fill="${color(b.label)}"/>`,
          `<path d="M${end - 14} ${y + 2} l6 ${rowH - 4} M${end - 8} ${y + 2} l6 ${rowH - 4}" stroke="#ffffff" stroke-width="3"/>`,
          `<text x="${W - 10}" y="${y + 14}" text-anchor="end">${fmt(b.p50)} ▸</text>`,
        );
      } else {
        const x1 = x(b.p50);
        svg.push(
          `<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y + 4}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${rowH - 8}" fill="${color(b.label)}"/>`,
          `<line x1="${x(b.p25).toFixed(1)}" y1="${y + rowH / 2}" x2="${Math.min(end, x(b.p75)).toFixed(1)}" y2="${y + rowH / 2}" stroke="#24292f"/>`,
          `<line x1="${x(b.p25).toFixed(1)}" y1="${y + 6}" x2="${x(b.p25).toFixed(1)}" y2="${y + rowH - 6}" stroke="#24292f"/>`,
          `<line x1="${Math.min(end, x(b.p75)).toFixed(1)}" y1="${y + 6}" x2="${Math.min(end, x(b.p75)).toFixed(1)}" y2="${y + rowH - 6}" stroke="#24292f"/>`,
          `<text x="${W - 10}" y="${y + 14}" text-anchor="end">${fmt(b.p50)}</text>`,
        );
      }
      y += rowH;
    }
  }
  svg.push('</svg>', '');
  return svg.join('\n');
}
