import { randomInt } from 'node:crypto'

/**
 * The short code on each booking, printed under its QR code and typed at the door when
 * the camera will not do. Letters and digits that cannot be mistaken for each other
 * (no 0/O, 1/I/L, 2/Z, 5/S, 8/B, G/6).
 */
export const CODE_ALPHABET = 'ACDEFHJKLMNPRTUVWXY34679'
export const CODE_LENGTH = 6

export function newCheckinCode (): string {
  let code = ''
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]
  return code
}

const compact = (input: string): string => input.toUpperCase().replace(/[\s-]/g, '')

/**
 * What someone typed or a camera read, as a code: spaces, dashes and case do not
 * matter, and a scanned link or prefix ending in the code is accepted. Undefined when it
 * cannot be a code.
 */
export function normalizeCheckinCode (input: string): string | undefined {
  const tail = compact(input).slice(-CODE_LENGTH)
  if (tail.length !== CODE_LENGTH) return undefined
  for (const ch of tail) if (!CODE_ALPHABET.includes(ch)) return undefined
  return tail
}

/**
 * Why text that normalizeCheckinCode refused is not a code: too short to be one, or long
 * enough but with a sign no code has (so no booking has that code either).
 */
export function whyNotACode (input: string): 'too_short' | 'unknown' {
  return compact(input).length < CODE_LENGTH ? 'too_short' : 'unknown'
}

/** "K7M4PX" as "K7M 4PX", easier to read aloud. */
export function formatCheckinCode (code: string): string {
  return `${code.slice(0, 3)} ${code.slice(3)}`
}
