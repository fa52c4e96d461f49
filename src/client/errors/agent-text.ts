/**
 * Bounds on text that came from the agent (or the network) before it is kept on a result, put in
 * an error message or a span.
 */

const MAX_AGENT_TEXT = 512;
/** Longest agent string (context id, block reason, policy name) kept on a result or an error. */
export const MAX_AGENT_STRING = 256;
/** Most policy names kept from one reply. */
export const MAX_AGENT_POLICIES = 64;

/**
 * Caps text that came from the agent (or the network) before it goes into a message or a span:
 * control characters are replaced and the length is bounded, so a hostile agent cannot forge log
 * lines or blow up an attribute.
 */
export function sanitizeAgentText(value: unknown, max = MAX_AGENT_TEXT): string {
  if (typeof value !== 'string') return '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
