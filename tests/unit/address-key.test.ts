import { describe, expect, it } from 'vitest'
import { addressKeyer, clientNetwork } from '../../server/domain/address-key.ts'

describe('the network a booking came from', () => {
  it('is an IPv4 address as it is, also when written as IPv6-mapped', () => {
    expect(clientNetwork('192.0.2.7')).toBe('192.0.2.7')
    expect(clientNetwork('::ffff:192.0.2.7')).toBe('192.0.2.7')
  })

  it('is the /64 of an IPv6 address, so one home cannot count as many clients', () => {
    expect(clientNetwork('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64')
    expect(clientNetwork('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64')
    expect(clientNetwork('2001:db8:1:3::1')).not.toBe(clientNetwork('2001:db8:1:2::1'))
  })

  it('is keyed: the same network gives the same key, never the address itself', () => {
    const key = addressKeyer(Buffer.alloc(32, 1))
    expect(key('2001:db8:1:2::1')).toBe(key('2001:db8:1:2::99'))
    expect(key('192.0.2.7')).not.toBe(key('192.0.2.8'))
    expect(key('192.0.2.7')).not.toContain('192')
    expect(addressKeyer(Buffer.alloc(32, 2))('192.0.2.7')).not.toBe(key('192.0.2.7'))
  })
})
