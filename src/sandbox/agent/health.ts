/**
 * `GET /health`, shaped like a current community-mode agent's: status, service, version, tier,
 * edition, deployment mode, capabilities and SDK compatibility, so SDK health checks and the
 * telemetry probe read what they expect. `mode: "sandbox"` says it is not the platform.
 */
import type { HealthResponse } from '../../client/wire.js';
import type { AgentContext, AgentState } from './common.js';
import { sendAgentJson } from './common.js';

export const SANDBOX_AGENT_VERSION = '1.0.0-sandbox';

export function health(ctx: AgentContext, state: AgentState): void {
  const now = Date.now();
  const reply: HealthResponse & Record<string, unknown> = {
    status: 'healthy',
    service: 'axonflow-agent',
    version: SANDBOX_AGENT_VERSION,
    timestamp: new Date(now).toISOString(),
    tier: 'Community',
    edition: 'community',
    deployment_mode: 'community',
    mode: 'sandbox',
    capabilities: [
      { name: 'policy_pre_check' },
      { name: 'llm_audit' },
      { name: 'proxy_request' },
      { name: 'axon_streaming', dialects: ['anthropic', 'openai'] },
      { name: 'multi_agent_planning' },
      { name: 'mcp_connectors' },
    ],
    sdk_compatibility: { min_sdk_version: '0.0.0', recommended_sdk_version: '0.0.0' },
    components: { policy_engine: 'static', orchestrator: 'sandbox', database: 'memory' },
    uptime: `${Math.floor((now - state.startedAt) / 1000)}s`,
  };
  sendAgentJson(ctx, 200, reply);
}
