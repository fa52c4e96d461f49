/**
 * Demo MCP connectors: `GET /api/v1/connectors`, `GET /api/v1/connectors/{id}`,
 * `GET /api/v1/connectors/{id}/health`, and what an `mcp-query` request runs. Two in-memory
 * sources — an orders table (filter by any column via `params`, `limit`) and a key-value store
 * (`params.key`) — are enough to exercise connector plumbing and the policies on the statement.
 */
import type { ConnectorMetadata } from '../../client/wire.js';

export interface ConnectorResult {
  rows: Record<string, unknown>[];
}

interface DemoConnector {
  metadata: Omit<ConnectorMetadata, 'last_check'>;
  query(params: Record<string, unknown>): ConnectorResult;
}

const ORDERS = [
  { id: 1001, customer: 'Acme Corp', amount: 120.5, status: 'shipped', region: 'eu' },
  { id: 1002, customer: 'Globex', amount: 89.99, status: 'pending', region: 'us' },
  { id: 1003, customer: 'Acme Corp', amount: 42, status: 'delivered', region: 'eu' },
  { id: 1004, customer: 'Initech', amount: 310.25, status: 'shipped', region: 'us' },
  { id: 1005, customer: 'Umbrella', amount: 15.75, status: 'cancelled', region: 'apac' },
];

const KV: Record<string, string> = {
  'feature.governance': 'enabled',
  'region.default': 'eu-west-1',
  'support.email': 'support@example.com',
};

const CONNECTORS: DemoConnector[] = [
  {
    metadata: {
      id: 'sandbox-orders',
      name: 'Sandbox Orders (SQL)',
      type: 'postgres',
      version: '1.0.0',
      description: 'In-memory demo orders table; params filter by column, `limit` caps rows',
      category: 'database',
      icon: 'database',
      tags: ['demo', 'sql'],
      capabilities: ['query'],
      config_schema: {},
      installed: true,
      instance_name: 'sandbox-orders',
      healthy: true,
    },
    query(params) {
      const { limit, ...filters } = params;
      let rows = ORDERS.filter(row =>
        Object.entries(filters).every(
          ([key, value]) => !(key in row) || String(row[key as keyof typeof row]) === String(value),
        ),
      );
      if (typeof limit === 'number' && limit >= 0) rows = rows.slice(0, limit);
      return { rows: rows.map(row => ({ ...row })) };
    },
  },
  {
    metadata: {
      id: 'sandbox-kv',
      name: 'Sandbox Key-Value',
      type: 'redis',
      version: '1.0.0',
      description: 'In-memory demo key-value store; `params.key` reads one key, none lists all',
      category: 'cache',
      icon: 'key',
      tags: ['demo', 'kv'],
      capabilities: ['query'],
      config_schema: {},
      installed: true,
      instance_name: 'sandbox-kv',
      healthy: true,
    },
    query(params) {
      const key = params.key;
      if (typeof key === 'string') {
        return { rows: key in KV ? [{ key, value: KV[key] }] : [] };
      }
      return { rows: Object.entries(KV).map(([k, value]) => ({ key: k, value })) };
    },
  },
];

export function listConnectors(now: number): ConnectorMetadata[] {
  return CONNECTORS.map(c => withCheck(c, now));
}

/** By id, instance name or type, as SDKs name connectors any of these ways. */
export function findConnector(name: string): DemoConnector | undefined {
  return CONNECTORS.find(
    c => c.metadata.id === name || c.metadata.instance_name === name || c.metadata.type === name,
  );
}

export function connectorMetadata(connector: DemoConnector, now: number): ConnectorMetadata {
  return withCheck(connector, now);
}

function withCheck(connector: DemoConnector, now: number): ConnectorMetadata {
  return { ...connector.metadata, last_check: new Date(now).toISOString() };
}
