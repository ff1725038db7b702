import { describe, expect, it } from 'vitest'
import { meetingDayPassed, refillKindOf, tallyRefills } from '../../server/domain/no-shows.ts'

const START = '2025-04-08T08:00:00.000Z'
const END = '2025-04-08T10:00:00.000Z'
const seat = (fields: Partial<Parameters<typeof refillKindOf>[0]>) => ({
  source: 'online', createdAt: '2025-03-01T09:00:00.000Z', confirmedAt: '2025-03-01T09:00:00.000Z', cancelledAt: null, cancelledBy: null, filledBy: null, overCapacity: false, ...fields
})

describe('freed seats and refills', () => {
  it('counts a seat freed by the participant or staff before the start, never by the organiser or after the start', () => {
    const tally = tallyRefills([
      seat({ cancelledAt: '2025-03-20T09:00:00.000Z', cancelledBy: 'participant' }),
      seat({ cancelledAt: '2025-03-21T09:00:00.000Z', cancelledBy: 'staff' }),
      seat({ cancelledAt: '2025-03-22T09:00:00.000Z', cancelledBy: 'organiser' }),
      seat({ cancelledAt: '2025-04-08T09:00:00.000Z', cancelledBy: 'participant' })
    ], START, END)
    expect(tally.freed).toBe(2)
  })

  it('gives refills to seats freed before them, in time order, and a walk-in only within the first meeting', () => {
    const tally = tallyRefills([
      // A promotion before any seat was freed filled a seat nobody gave up: not a refill.
      seat({ createdAt: '2025-03-01T09:00:00.000Z', confirmedAt: '2025-03-02T09:00:00.000Z', filledBy: 'call' }),
      // An automatic promotion is written at the moment of the cancellation.
      seat({ cancelledAt: '2025-03-20T09:00:00.000Z', cancelledBy: 'participant' }),
      seat({ createdAt: '2025-03-02T09:00:00.000Z', confirmedAt: '2025-03-20T09:00:00.000Z', filledBy: 'auto' }),
      seat({ cancelledAt: '2025-03-25T09:00:00.000Z', cancelledBy: 'participant' }),
      seat({ cancelledAt: '2025-03-26T09:00:00.000Z', cancelledBy: 'participant' }),
      // Walk-ins: one beyond the seats, one at the first meeting, one a week later.
      seat({ source: 'walkin', createdAt: '2025-04-08T08:10:00.000Z', confirmedAt: '2025-04-08T08:10:00.000Z', overCapacity: true }),
      seat({ source: 'walkin', createdAt: '2025-04-08T08:12:00.000Z', confirmedAt: '2025-04-08T08:12:00.000Z' }),
      seat({ source: 'walkin', createdAt: '2025-04-15T08:12:00.000Z', confirmedAt: '2025-04-15T08:12:00.000Z' })
    ], START, END)
    expect(tally).toEqual({ freed: 3, refilled: 2, byKind: { offer: 0, auto: 1, call: 0, walkin: 1 } })
  })

  it('reads a seat from the waiting list stored before filled_by existed as an automatic promotion', () => {
    expect(refillKindOf(seat({ confirmedAt: '2025-03-05T09:00:00.000Z' }))).toBe('auto')
    expect(refillKindOf(seat({}))).toBeNull()
    expect(refillKindOf(seat({ confirmedAt: '2025-03-05T09:00:00.000Z', filledBy: 'offer' }))).toBe('offer')
  })

  it('lets a meeting\'s day pass at midnight in Copenhagen, summer time included', () => {
    expect(meetingDayPassed('2025-06-10T20:00:00.000Z', new Date('2025-06-10T21:59:00Z'))).toBe(false)
    expect(meetingDayPassed('2025-06-10T20:00:00.000Z', new Date('2025-06-10T22:00:00Z'))).toBe(true)
  })
})
