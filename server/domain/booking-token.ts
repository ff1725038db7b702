import { randomBytes } from 'node:crypto'

/** The secret in a booking's private link (/tilmelding/:token): 32 URL-safe characters. */
export function newBookingToken (): string {
  return randomBytes(24).toString('base64url')
}
