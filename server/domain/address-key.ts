import { createHmac } from 'node:crypto'

/**
 * A keyed hash of a client address, for counting and flagging bookings from one address
 * without storing the address. The key is derived from the session key for this one
 * purpose, so it is the same on every server sharing the session secret.
 */
export function addressKeyer (sessionKey: Buffer): (address: string) => string {
  const secret = createHmac('sha256', sessionKey).update('digikurser booking source keys').digest()
  return address => createHmac('sha256', secret).update(address).digest('base64url').slice(0, 32)
}
