/**
 * Go's `time.Duration.String()` format, because the platform reports `processing_time` that way
 * ("152.3µs", "1.234ms", "2.5s") and clients may parse it.
 */

/** Formats a duration given in nanoseconds exactly like Go does (shortest exact decimal, µ = U+00B5). */
export function formatGoDuration(nanos: bigint): string {
  if (nanos === 0n) return '0s';
  const negative = nanos < 0n;
  const abs = negative ? -nanos : nanos;
  const sign = negative ? '-' : '';
  if (abs < 1000n) return `${sign}${abs}ns`;
  if (abs < 1_000_000n) return `${sign}${decimal(abs, 1000n)}µs`;
  if (abs < 1_000_000_000n) return `${sign}${decimal(abs, 1_000_000n)}ms`;
  // Seconds and above: Go writes h, m and a fractional s part.
  const totalSeconds = abs / 1_000_000_000n;
  const fracNanos = abs % 1_000_000_000n;
  const hours = totalSeconds / 3600n;
  const minutes = (totalSeconds % 3600n) / 60n;
  const seconds = totalSeconds % 60n;
  const secText = decimal(seconds * 1_000_000_000n + fracNanos, 1_000_000_000n);
  if (hours > 0n) return `${sign}${hours}h${minutes}m${secText}s`;
  if (minutes > 0n) return `${sign}${minutes}m${secText}s`;
  return `${sign}${secText}s`;
}

function decimal(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const frac = value % unit;
  if (frac === 0n) return `${whole}`;
  const width = unit.toString().length - 1;
  const fracText = frac.toString().padStart(width, '0').replace(/0+$/, '');
  return `${whole}.${fracText}`;
}
