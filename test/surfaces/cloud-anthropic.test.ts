/**
 * `AnthropicBedrock` and `AnthropicVertex` are governed on their own under the register entry:
 * their packages load `@anthropic-ai/sdk/client`, never the SDK's main module, so they are hooked
 * by their own module names.
 */
import { describe, expect, it } from 'vitest';
import { BUILT, CASE_TIMEOUT, IMPORT, withWorld } from '../faults/harness.js';

describe.skipIf(!BUILT)('cloud Anthropic clients under the register entry', () => {
  it(
    'governs AnthropicBedrock and AnthropicVertex when the app never loads @anthropic-ai/sdk',
    async () => {
      await withWorld({}, async w => {
        const run = await w.run('../../surfaces/apps/cloud-anthropic.mjs', {
          flags: [...IMPORT],
          env: { SANDBOX_URL: w.sandbox.url },
        });
        expect(run.stderr).toBe('');
        expect(run.out).toEqual({
          'bedrock allowed': 'ok',
          'bedrock denied': 'AXONFLOW_POLICY_VIOLATION',
          'vertex allowed': 'ok',
          'vertex denied': 'AXONFLOW_POLICY_VIOLATION',
        });
        expect(w.sandbox.modelRequests()).toBe(2);
        const providers = w
          .spans()
          .filter(s => s.name.startsWith('chat cloud-'))
          .map(
            s =>
              `${s.name} ${s.attributes['gen_ai.provider.name']} ${s.attributes['axonflow.decision']}`,
          )
          .sort();
        expect(providers).toEqual([
          'chat cloud-bedrock aws.bedrock allow',
          'chat cloud-bedrock aws.bedrock deny',
          'chat cloud-vertex gcp.vertex_ai allow',
          'chat cloud-vertex gcp.vertex_ai deny',
        ]);
        expect(w.sandbox.audits()).toHaveLength(2);
      });
    },
    CASE_TIMEOUT,
  );
});
