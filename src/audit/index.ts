/**
 * The audit part: the contract between the instrumentation and the audit span processor. It owns
 * the shape of an audit record (`AuditData`: what a governed call reports when it ends) and the
 * hand-off that carries records from one to the other (`handoff.ts`: on the call's span when it
 * is recording, otherwise to the most recently started active processor). The instrumentation
 * and the processor import this part, never each other. Internal: not part of the package's
 * public surface.
 *
 * To add an audit field: add it to `AuditData`, fill it in the instrumentation's hand-off
 * (`GovernedCall`, `src/pipeline/governed-call.ts`) and send it in the processor's request
 * (`src/processor/processor.ts`).
 */
export {
  type AuditData,
  type AuditReceiver,
  attachAuditData,
  auditReceiverActive,
  registerAuditReceiver,
  submitAuditData,
  takeAuditData,
  unroutedAuditRecords,
} from './handoff.js';
