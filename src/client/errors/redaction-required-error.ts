import { CODES } from './axonflow-error.js';
import { ErrorCode } from './code.js';
import { PolicyViolationError } from './policy-violation-error.js';

/**
 * The agent approved the call on condition that the prompt be redacted (`requires_redaction`).
 * The call is kept from the model unless `onRedaction: 'allow'` (`AXONFLOW_ON_REDACTION=allow`),
 * because nothing on the wire gives us the redacted prompt: the gateway pre-check reply
 * (`PreCheckResponse`) carries only the flag (its `approved_data` is data-source grants, not
 * text). Redacted text exists only in other replies: MCP check-input (`redacted_statement`),
 * check-output (`redacted_data`, `redacted_message`), connector results (`redacted`,
 * `redacted_fields`), and in proxy mode the orchestrator redacts on its own side. Guessing the
 * redaction ourselves would send text the policy never saw.
 */
export class RedactionRequiredError extends PolicyViolationError {
  static override readonly [CODES]: ReadonlySet<string> = new Set([ErrorCode.REDACTION_REQUIRED]);

  override readonly name = 'RedactionRequiredError' as const;

  constructor(init: {
    blockReason?: string;
    policies?: readonly string[];
    contextId?: string;
    status?: number;
  }) {
    super(
      {
        ...init,
        blockReason:
          init.blockReason ||
          'the AxonFlow agent requires redaction of this prompt, which a pre-checked call cannot apply',
      },
      {
        code: ErrorCode.REDACTION_REQUIRED,
        prefix: 'Request blocked by AxonFlow, redaction required',
      },
    );
  }
}
