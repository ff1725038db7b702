import { describe, expect, it } from 'vitest'
import { formatDeadline, offerTiming } from '../../server/domain/seat-offer.ts'
import { fromLocal } from '../../server/domain/time.ts'

describe('offerTiming', () => {
  it('counts real hours across the change to summer time (last Sunday of March 2027)', () => {
    // Saturday 27 March 18.00 (UTC+1) plus 24 real hours is Sunday 28 March 19.00 (UTC+2).
    const offered = fromLocal('2027-03-27', '18:00')
    const timing = offerTiming(offered, 24, fromLocal('2027-04-06', '10:00'))
    expect(timing).toEqual({ kind: 'offer', deadline: fromLocal('2027-03-28', '19:00') })
    expect(Date.parse((timing as { deadline: string }).deadline) - Date.parse(offered)).toBe(24 * 3600_000)
  })

  it('caps the deadline 12 real hours before the first meeting, also across the change', () => {
    // First meeting Sunday 28 March 12.00 (UTC+2): 12 hours before is Saturday 23.00 (UTC+1).
    expect(offerTiming(fromLocal('2027-03-27', '09:00'), 48, fromLocal('2027-03-28', '12:00')))
      .toEqual({ kind: 'offer', deadline: fromLocal('2027-03-27', '23:00') })
  })

  it('falls back to giving the seat at once with under two hours to answer', () => {
    const start = fromLocal('2030-03-05', '10:00')
    expect(offerTiming(fromLocal('2030-03-04', '20:00'), 24, start)).toEqual({ kind: 'offer', deadline: fromLocal('2030-03-04', '22:00') })
    expect(offerTiming(fromLocal('2030-03-04', '20:01'), 24, start)).toEqual({ kind: 'automatic' })
    expect(offerTiming(fromLocal('2030-03-05', '09:00'), 24, start)).toEqual({ kind: 'automatic' })
    expect(offerTiming(fromLocal('2030-03-01', '09:00'), 1, start)).toEqual({ kind: 'automatic' })
  })
})

describe('formatDeadline', () => {
  it('says the weekday within the week, else the date', () => {
    const now = new Date(fromLocal('2030-03-01', '09:00'))
    expect(formatDeadline(fromLocal('2030-03-05', '18:00'), now)).toBe('tirsdag kl. 18.00')
    expect(formatDeadline(fromLocal('2030-03-12', '18:00'), now)).toBe('tirsdag 12. marts kl. 18.00')
  })
})
