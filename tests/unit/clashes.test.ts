import { describe, expect, it } from 'vitest'
import { clashKeys, clashesConfirmed, findRepeatClashes, findRoomClashes, findStaffClashes, overlaps, sameRoom, type PlannedElsewhere, type Room } from '../../server/domain/clashes.ts'
import { shiftWeeks } from '../../server/domain/class-form.ts'

const slot = (day: string, from: string, to: string) => ({ startsAt: `2030-05-${day}T${from}:00.000Z`, endsAt: `2030-05-${day}T${to}:00.000Z` })
const room = (fields: Partial<Room> = {}): Room => ({ locationId: 1, street: 'Tobaksgården 12', postalCode: '8700', room: 'Mødelokale 2', ...fields })
const other = (meetingId: number, s: { startsAt: string, endsAt: string }, r: Room = room()): PlannedElsewhere => ({ meetingId, classId: 100 + meetingId, courseTitle: 'MitID', locationName: 'Hovedbiblioteket', room: r, ...s })
const now = new Date('2030-05-01T00:00:00.000Z')

describe('overlaps', () => {
  it('counts shared time, not meetings that touch', () => {
    expect(overlaps(slot('06', '08:00', '10:00'), slot('06', '09:30', '11:00'))).toBe(true)
    expect(overlaps(slot('06', '08:00', '10:00'), slot('06', '10:00', '11:00'))).toBe(false)
    expect(overlaps(slot('06', '08:00', '12:00'), slot('06', '09:00', '10:00'))).toBe(true)
    expect(overlaps(slot('06', '08:00', '10:00'), slot('07', '08:00', '10:00'))).toBe(false)
  })
})

describe('sameRoom', () => {
  it('is the same place, or the same room text at the same address', () => {
    expect(sameRoom(room(), room({ room: 'Studierummet' }))).toBe(true)
    expect(sameRoom(room(), room({ locationId: 2, room: ' mødelokale  2 ' }))).toBe(true)
    expect(sameRoom(room(), room({ locationId: 2, room: 'Mødelokale 3' }))).toBe(false)
    expect(sameRoom(room(), room({ locationId: 2, street: 'Søndergade 8' }))).toBe(false)
    expect(sameRoom(room({ room: null }), room({ locationId: 2, room: null }))).toBe(false)
  })
})

describe('findRoomClashes', () => {
  it('finds another class in the same room at the same time, and nothing elsewhere or later', () => {
    const planned = [slot('06', '08:00', '10:00'), slot('13', '08:00', '10:00')]
    const clashes = findRoomClashes(planned, room(), [
      other(1, slot('13', '09:00', '11:00')),
      other(2, slot('06', '08:00', '10:00'), room({ locationId: 3, street: 'Søndergade 8' })),
      other(3, slot('06', '10:00', '12:00'))
    ], now)
    expect(clashes.map(c => [c.key, c.meeting.startsAt])).toEqual([['m1', planned[1]!.startsAt]])
  })

  it('leaves out meetings already over (an edited class may keep its past)', () => {
    expect(findRoomClashes([slot('06', '08:00', '10:00')], room(), [other(1, slot('06', '08:00', '10:00'))], new Date('2030-05-06T10:00:00.000Z'))).toEqual([])
  })
})

describe('findRepeatClashes', () => {
  it('finds weekly copies of a class longer than a week that overlap each other', () => {
    const meetings = [slot('06', '08:00', '10:00'), slot('13', '08:00', '10:00')]
    const weeks = [0, 1, 2].map(w => shiftWeeks(meetings, w))
    expect(findRepeatClashes(weeks).map(c => [c.key, c.week, c.meeting.startsAt])).toEqual([['u1', 1, meetings[1]!.startsAt]])
  })

  it('finds nothing for a class within one week', () => {
    const meetings = [slot('06', '08:00', '10:00'), slot('08', '08:00', '10:00')]
    expect(findRepeatClashes([0, 1, 2, 3].map(w => shiftWeeks(meetings, w)))).toEqual([])
  })
})

describe('clashesConfirmed', () => {
  it('holds only when the leader was shown every clash now found', () => {
    const clashes = [{ key: 'm1' }, { key: 'u1' }]
    expect(clashKeys(clashes)).toBe('m1 u1')
    expect(clashesConfirmed(clashes, 'm1 u1')).toBe(true)
    expect(clashesConfirmed(clashes, 'm1')).toBe(false)
    expect(clashesConfirmed(clashes, '')).toBe(false)
    expect(clashesConfirmed([], '')).toBe(true)
  })
})

describe('findStaffClashes', () => {
  it('finds a person set to another class at the same time, once per other class', () => {
    const mine = [slot('06', '08:00', '10:00'), slot('13', '08:00', '10:00')]
    const staff = [
      { staffUserId: 7, classId: 2, courseTitle: 'Digital Post', locationName: 'Brædstrup', ...slot('06', '09:00', '11:00') },
      { staffUserId: 7, classId: 2, courseTitle: 'Digital Post', locationName: 'Brædstrup', ...slot('13', '09:00', '11:00') },
      { staffUserId: 7, classId: 1, courseTitle: 'Denne', locationName: 'Her', ...slot('06', '08:00', '10:00') },
      { staffUserId: 8, classId: 3, courseTitle: 'NemID', locationName: 'Her', ...slot('06', '10:00', '11:00') }
    ]
    const clashes = findStaffClashes(1, mine, staff, now)
    expect(clashes.map(c => [c.staffUserId, c.other.classId, c.meeting.startsAt])).toEqual([[7, 2, mine[0]!.startsAt]])
  })
})
