import { describe, expect, it } from 'vitest'
import { dueReminderOffset, firstReminderMoment, formatOffset, momentOf } from '../../server/domain/reminders.ts'
import { parseOffsets } from '../../server/config.ts'

const TWO_DAYS = 2880
const THREE_HOURS = 180
const offsets = [TWO_DAYS, THREE_HOURS]
// Monday 1 April 2030 10.00 summer time; clocks went forward on Sunday 31 March.
const start = '2030-04-01T08:00:00.000Z'
const at = (iso: string) => new Date(iso)

describe('reminder moments', () => {
  it('counts whole days on the Copenhagen calendar across a daylight-saving change', () => {
    // Two days before 10.00 on Monday is 10.00 on Saturday, which is still winter time (09.00 UTC).
    expect(new Date(momentOf(start, TWO_DAYS)).toISOString()).toBe('2030-03-30T09:00:00.000Z')
    expect(new Date(momentOf(start, THREE_HOURS)).toISOString()).toBe('2030-04-01T05:00:00.000Z')
    // In autumn the other way: Tuesday 29 October 2030 10.00 winter time, Sunday 27th 10.00 summer time.
    expect(new Date(momentOf('2030-10-29T09:00:00.000Z', TWO_DAYS)).toISOString()).toBe('2030-10-27T09:00:00.000Z')
  })

  it('is due from its moment until the meeting, only the latest passed moment counts', () => {
    const booked = '2030-03-01T10:00:00.000Z'
    expect(dueReminderOffset(start, booked, offsets, at('2030-03-30T08:59:59Z'))).toBeNull()
    expect(dueReminderOffset(start, booked, offsets, at('2030-03-30T09:00:00Z'))).toBe(TWO_DAYS)
    expect(dueReminderOffset(start, booked, offsets, at('2030-03-31T20:00:00Z'))).toBe(TWO_DAYS)
    expect(dueReminderOffset(start, booked, offsets, at('2030-04-01T05:00:00Z'))).toBe(THREE_HOURS)
    expect(dueReminderOffset(start, booked, offsets, at('2030-04-01T08:00:00Z'))).toBeNull()
  })

  it('skips a reminder whose moment passed before the booking was confirmed', () => {
    const lateBooking = '2030-03-31T12:00:00.000Z'
    expect(dueReminderOffset(start, lateBooking, offsets, at('2030-03-31T12:00:01Z'))).toBeNull()
    expect(dueReminderOffset(start, lateBooking, offsets, at('2030-04-01T05:00:00Z'))).toBe(THREE_HOURS)
    expect(dueReminderOffset(start, null, offsets, at('2030-04-01T05:00:00Z'))).toBeNull()
  })

  it('puts someone without e-mail on the call list on the day of their first reminder', () => {
    expect(firstReminderMoment(start, '2030-03-01T10:00:00.000Z', offsets)?.toISOString()).toBe('2030-03-30T09:00:00.000Z')
    expect(firstReminderMoment(start, '2030-03-31T12:00:00.000Z', offsets)?.toISOString()).toBe('2030-04-01T05:00:00.000Z')
    expect(firstReminderMoment(start, '2030-04-01T06:00:00.000Z', offsets)).toBeNull()
  })

  it('reads REMINDER_OFFSETS and says them in Danish', () => {
    expect(parseOffsets('2d,3h')).toEqual([TWO_DAYS, THREE_HOURS])
    expect(parseOffsets(' 30m , 1d, 1d ')).toEqual([1440, 30])
    expect(() => parseOffsets('2x')).toThrow(/REMINDER_OFFSETS/)
    expect(() => parseOffsets('0h')).toThrow(/greater than zero/)
    expect(offsets.map(formatOffset)).toEqual(['2 dage', '3 timer'])
    expect(formatOffset(1440)).toBe('1 dag')
  })
})
