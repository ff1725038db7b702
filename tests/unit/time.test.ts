import fc from 'fast-check'
import { DateTime } from 'luxon'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ZONE, copenhagenDate, copenhagenMonth, formatDateTime, formatDuration, formatMeeting, fromLocal, toOffsetIso } from '../../server/domain/time.ts'

describe('Danish date and time formatting', () => {
  afterEach(() => { vi.useRealTimers() })

  it('formats the Danish way', () => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-01-10T12:00:00Z'))
    expect(formatDateTime('2026-03-03T09:00:00.000Z')).toBe('tirsdag 3. marts kl. 10.00')
    expect(formatMeeting('2026-03-03T09:00:00.000Z', '2026-03-03T10:30:00.000Z')).toBe('tirsdag 3. marts kl. 10.00–11.30')
  })

  it('adds the year when it is not this year', () => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-11-21T12:00:00Z'))
    expect(formatDateTime('2027-01-05T09:00:00.000Z')).toBe('tirsdag 5. januar 2027 kl. 10.00')
  })

  it('keeps the wall-clock time across the spring daylight-saving change', () => {
    // Summer time starts Sunday 29 March 2026 at 02:00 in Copenhagen.
    const before = fromLocal('2026-03-24', '10:00')
    const after = fromLocal('2026-03-31', '10:00')
    expect(before).toBe('2026-03-24T09:00:00.000Z')
    expect(after).toBe('2026-03-31T08:00:00.000Z')
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-03-01T12:00:00Z'))
    expect(formatDateTime(before)).toBe('tirsdag 24. marts kl. 10.00')
    expect(formatDateTime(after)).toBe('tirsdag 31. marts kl. 10.00')
    expect(toOffsetIso(before)).toBe('2026-03-24T10:00:00+01:00')
    expect(toOffsetIso(after)).toBe('2026-03-31T10:00:00+02:00')
  })

  it('keeps the wall-clock time across the autumn change, also for a meeting spanning it', () => {
    // Winter time starts Sunday 25 October 2026 at 03:00 in Copenhagen.
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-10-01T12:00:00Z'))
    const start = fromLocal('2026-10-25', '01:30')
    const end = fromLocal('2026-10-25', '04:00')
    expect(formatMeeting(start, end)).toBe('søndag 25. oktober kl. 01.30–04.00')
    expect(formatDateTime(fromLocal('2026-10-27', '10:00'))).toBe('tirsdag 27. oktober kl. 10.00')
    expect(fromLocal('2026-10-27', '10:00')).toBe('2026-10-27T09:00:00.000Z')
  })

  it('writes durations in words', () => {
    expect(formatDuration(90)).toBe('1 time og 30 minutter')
    expect(formatDuration(120)).toBe('2 timer')
    expect(formatDuration(45)).toBe('45 minutter')
  })

  it('gives the Copenhagen date of a moment, not the UTC one', () => {
    expect(copenhagenDate('2026-03-02T23:30:00.000Z')).toBe('2026-03-03')
    expect(copenhagenDate('2026-07-01T21:59:00.000Z')).toBe('2026-07-01')
    expect(copenhagenDate('2026-07-01T22:00:00.000Z')).toBe('2026-07-02')
    expect(copenhagenDate(new Date('2026-12-31T23:00:00Z'))).toBe('2027-01-01')
  })

  it('gives the Copenhagen month of a moment, as luxon does', () => {
    expect(copenhagenMonth('2026-12-31T22:59:59.999Z')).toBe('2026-12')
    expect(copenhagenMonth('2026-12-31T23:00:00.000Z')).toBe('2027-01')
    expect(copenhagenMonth('2026-07-31T22:00:00.000Z')).toBe('2026-08')
    expect(copenhagenMonth('2026-07-31T21:59:00.000Z')).toBe('2026-07')
    const minutes = fc.integer({ min: Date.parse('1990-01-01') / 60000, max: Date.parse('2060-01-01') / 60000 })
    // Half of the moments in the two hours before a UTC month ends, where the months differ.
    const nearMonthEnd = fc.tuple(fc.integer({ min: 1990, max: 2059 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 180 }))
      .map(([y, m, before]) => Date.UTC(y, m, 1) / 60000 - before)
    fc.assert(fc.property(fc.oneof(minutes, nearMonthEnd), m => {
      const iso = new Date(m * 60000).toISOString()
      expect(copenhagenMonth(iso)).toBe(DateTime.fromISO(iso, { zone: 'utc' }).setZone(ZONE).toFormat('yyyy-MM'))
    }), { numRuns: 2000 })
  })
})
