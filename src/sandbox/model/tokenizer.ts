/**
 * The sandbox model's tokenizer. Deliberately simple and documented so tests can predict counts:
 * a token is a run of letters/digits, or any single other non-space character; whitespace is
 * not a token. "Hello, world!" is 4 tokens: `Hello` `,` `world` `!`.
 */

const TOKEN = /[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu;
// Each piece is one token plus the whitespace before it, so joining the pieces gives the text back.
const PIECE = /\s*(?:[\p{L}\p{N}]+|[^\s\p{L}\p{N}])/gu;

export function countTokens(text: string): number {
  return text.match(TOKEN)?.length ?? 0;
}

/** Splits text into streamable one-token pieces; trailing whitespace is dropped. */
export function tokenPieces(text: string): string[] {
  return text.match(PIECE) ?? [];
}
