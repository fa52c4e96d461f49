/**
 * Renders traces as indented trees for a terminal: one line per span with its duration and the
 * attributes that tell the governance story (decision, cache, fail-open reason, tokens, audit).
 */
import type { SpanRecord } from './otlp-json.js';

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
}

export const plainStyle: Style = {
  bold: s => s,
  dim: s => s,
  green: s => s,
  red: s => s,
  yellow: s => s,
};

export const ansiStyle: Style = {
  bold: s => `\u001b[1m${s}\u001b[22m`,
  dim: s => `\u001b[2m${s}\u001b[22m`,
  green: s => `\u001b[32m${s}\u001b[39m`,
  red: s => `\u001b[31m${s}\u001b[39m`,
  yellow: s => `\u001b[33m${s}\u001b[39m`,
};

function ms(span: SpanRecord): string {
  const value = Number(span.endNs - span.startNs) / 1e6;
  return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;
}

function decision(value: unknown, style: Style): string {
  const text = String(value);
  if (text === 'allow') return style.green(text);
  if (text === 'deny' || text === 'error') return style.red(text);
  return style.yellow(text);
}

function details(span: SpanRecord, style: Style): string {
  const a = span.attributes;
  const parts: string[] = [];
  if (a['axonflow.decision'] !== undefined)
    parts.push(`decision=${decision(a['axonflow.decision'], style)}`);
  if (a['axonflow.cache.hit'] === true) parts.push(style.green('cache hit'));
  if (a['axonflow.fail_open.reason'] !== undefined)
    parts.push(`fail-open: ${a['axonflow.fail_open.reason']}`);
  if (a['axonflow.block_reason'] !== undefined)
    parts.push(style.red(`“${a['axonflow.block_reason']}”`));
  if (a['gen_ai.usage.input_tokens'] !== undefined) {
    parts.push(
      `tokens ${a['gen_ai.usage.input_tokens']} in / ${a['gen_ai.usage.output_tokens'] ?? '?'} out`,
    );
  }
  const reasons = a['gen_ai.response.finish_reasons'];
  if (Array.isArray(reasons) && reasons.length > 0) parts.push(`finish=${reasons.join(',')}`);
  if (a['axonflow.audit_id'] !== undefined)
    parts.push(`audit_id=${String(a['axonflow.audit_id']).slice(0, 8)}…`);
  if (a['axonflow.audit.skipped'] !== undefined)
    parts.push(`audit skipped (${a['axonflow.audit.skipped']})`);
  if (span.status.code === 2 && a['error.type'] !== undefined)
    parts.push(style.red(`error=${a['error.type']}`));
  return parts.join('  ');
}

/** One tree per trace, roots first, children in start order. */
export function renderTraces(spans: SpanRecord[], style: Style = plainStyle): string[] {
  const byParent = new Map<string, SpanRecord[]>();
  const ids = new Set(spans.map(s => s.spanId));
  for (const span of spans) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : '';
    const list = byParent.get(parent) ?? [];
    list.push(span);
    byParent.set(parent, list);
  }
  for (const list of byParent.values()) list.sort((x, y) => (x.startNs < y.startNs ? -1 : 1));
  const lines: string[] = [];
  const walk = (span: SpanRecord, prefix: string, last: boolean, root: boolean) => {
    const branch = root ? '● ' : `${prefix}${last ? '└─ ' : '├─ '}`;
    lines.push(
      `${branch}${style.bold(span.name)}  ${style.dim(ms(span))}  ${details(span, style)}`.trimEnd(),
    );
    const children = byParent.get(span.spanId) ?? [];
    const next = root ? '  ' : `${prefix}${last ? '   ' : '│  '}`;
    children.forEach((child, i) => {
      walk(child, next, i === children.length - 1, false);
    });
  };
  for (const root of byParent.get('') ?? []) {
    walk(root, '', true, true);
    lines.push('');
  }
  return lines;
}
