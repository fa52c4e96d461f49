/** Types of `burst.mjs`, for the test that runs it. */
export interface BurstSummary {
  calls: number;
  latencyMs: number;
  succeeded: number;
  preChecks: number;
  failOpen: number;
  failOpenPct: number;
  failOpenReasons: Record<string, number>;
  preCheckMs: { p50: number; p99: number };
  agentMaxConcurrent: number;
  elapsedMs: number;
  audit: {
    queued: number;
    inFlight: number;
    exported: number;
    dropped: number;
    failed: number;
    skipped: number;
    accounted: number;
  };
}

export function runBurst(options?: {
  calls?: number;
  latencyMs?: number;
  /** The client's agent deadline; the client's default when absent. */
  timeoutMs?: number;
}): Promise<BurstSummary>;
