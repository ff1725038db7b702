/** Reads a positive integer id from a URL or query value; anything else is undefined. */
export function parseId (value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^[1-9]\d{0,9}$/.test(value)) return undefined
  const n = Number(value)
  return Number.isSafeInteger(n) && n <= 2147483647 ? n : undefined
}

/** A booking token as we make them (base64url); anything else is not looked up. */
export function isTokenShaped (value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{20,64}$/.test(value)
}

export function queryString (query: unknown, key: string): string | undefined {
  const value = (query as Record<string, unknown> | undefined)?.[key]
  return typeof value === 'string' && value !== '' ? value : undefined
}

/** A form field as text; anything else (missing, a repeated field, a file) is empty. */
export function bodyText (body: unknown, key: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[key]
  return typeof value === 'string' ? value : ''
}
