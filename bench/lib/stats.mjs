// Order statistics used by every suite. Quantiles interpolate linearly between order statistics.

export function quantile(values, q) {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function median(values) {
  return quantile(values, 0.5);
}

/** p50 with the interquartile range and the extremes of a list of per-round values. */
export function spread(values) {
  return {
    p50: quantile(values, 0.5),
    p25: quantile(values, 0.25),
    p75: quantile(values, 0.75),
    min: Math.min(...values),
    max: Math.max(...values),
    n: values.length,
  };
}

/** Rounds every number in a (nested) plain object to `digits` decimals, for the report. */
export function rounded(value, digits = 2) {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return value;
    const f = 10 ** digits;
    return Math.round(value * f) / f;
  }
  if (Array.isArray(value)) return value.map(v => rounded(v, digits));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = rounded(v, digits);
    return out;
  }
  return value;
}
