import { createHmac } from 'node:crypto'
import ipaddr from 'ipaddr.js'

/**
 * The part of a client address that stands for one household or one machine: an IPv4
 * address as it is, an IPv6 address by its /64 network (one home or phone gets a whole
 * /64, so its addresses would otherwise each count as a new client).
 */
export function clientNetwork (address: string): string {
  if (!ipaddr.isValid(address)) return address
  const parsed = ipaddr.process(address)
  if (parsed.kind() === 'ipv4') return parsed.toString()
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4).map(p => p.toString(16))
  return `${parts.join(':')}::/64`
}

/**
 * A keyed hash of a client's network (see clientNetwork), for counting and flagging
 * bookings from one place without storing the address. The key is derived from the
 * session key for this one purpose, so it is the same on every server sharing the
 * session secret.
 */
export function addressKeyer (sessionKey: Buffer): (address: string) => string {
  const secret = createHmac('sha256', sessionKey).update('digikurser booking source keys').digest()
  return address => createHmac('sha256', secret).update(clientNetwork(address)).digest('base64url').slice(0, 32)
}
