/**
 * Planning clashes: two classes in one room at once, one person in two places at once,
 * and weekly copies of a class that overlap each other. Pure rules on stored UTC times.
 */

export interface Slot { startsAt: string, endsAt: string }

/** Two stretches of time share a moment; one ending as the other begins is no overlap. */
export function overlaps (a: Slot, b: Slot): boolean {
  return Date.parse(a.startsAt) < Date.parse(b.endsAt) && Date.parse(b.startsAt) < Date.parse(a.endsAt)
}

/** Where a class meets: its place, and the place's address and room text. */
export interface Room { locationId: number, street: string, postalCode: string, room: string | null }

const norm = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ')

/**
 * The same room: the same place, or two places at the same address with the same room
 * text (a library entered twice, once as "IT-caféen"). Without a room text, only the
 * same place is the same room.
 */
export function sameRoom (a: Room, b: Room): boolean {
  if (a.locationId === b.locationId) return true
  if (a.room === null || b.room === null || norm(a.room) === '') return false
  return norm(a.street) === norm(b.street) && norm(a.postalCode) === norm(b.postalCode) && norm(a.room) === norm(b.room)
}

/** A meeting already planned: of which class, where. */
export interface PlannedElsewhere extends Slot {
  meetingId: number
  classId: number
  courseTitle: string
  locationName: string
  room: Room
}

export interface RoomClash {
  /** Names the clash, for the leader's "create anyway" to be about exactly these. */
  key: string
  meeting: Slot
  other: PlannedElsewhere
}

/**
 * The meetings of other classes in the same room at the same time as any planned
 * meeting still to come. `others` must not hold the class being planned itself.
 */
export function findRoomClashes (planned: Slot[], room: Room, others: PlannedElsewhere[], now: Date): RoomClash[] {
  const clashes: RoomClash[] = []
  for (const meeting of planned) {
    if (Date.parse(meeting.endsAt) <= now.getTime()) continue
    for (const other of others) {
      if (sameRoom(room, other.room) && overlaps(meeting, other)) clashes.push({ key: `m${other.meetingId}`, meeting, other })
    }
  }
  return clashes.sort((a, b) => a.meeting.startsAt.localeCompare(b.meeting.startsAt))
}

export interface RepeatClash {
  key: string
  /** The copy (1 = next week's) whose meeting overlaps a meeting of the first class. */
  week: number
  meeting: Slot
  other: Slot
}

/**
 * "Repeat weekly" with a class that runs longer than a week makes copies that meet in
 * the same room at the same time as each other. `weeks[n]` is the n-th copy's meetings
 * (0 = the class itself); copies are alike, so the first class against each copy says it all.
 */
export function findRepeatClashes (weeks: Slot[][]): RepeatClash[] {
  const first = weeks[0] ?? []
  const clashes: RepeatClash[] = []
  weeks.slice(1).forEach((copy, i) => {
    const pair = first.flatMap(meeting => copy.filter(other => overlaps(meeting, other)).map(other => ({ meeting, other })))
    if (pair[0]) clashes.push({ key: `u${i + 1}`, week: i + 1, ...pair[0] })
  })
  return clashes
}

/** Whether the leader's confirmation (the keys they were shown) covers every clash now found. */
export function clashesConfirmed (clashes: Array<{ key: string }>, confirmed: string): boolean {
  const keys = new Set(confirmed.split(/\s+/).filter(Boolean))
  return clashes.every(c => keys.has(c.key))
}

/** The keys of clashes, as the confirmation box carries them. */
export const clashKeys = (clashes: Array<{ key: string }>): string => [...new Set(clashes.map(c => c.key))].join(' ')

/** A meeting someone on the staff is set to, on some class. */
export interface StaffMeeting extends Slot {
  staffUserId: number
  classId: number
  courseTitle: string
  locationName: string
}

export interface StaffClash { staffUserId: number, meeting: Slot, other: StaffMeeting }

/**
 * Who would be in two places at once: of the staff's meetings on other classes, those at
 * the same time as a meeting of this class still to come. One clash per person and other class.
 */
export function findStaffClashes (classId: number, meetings: Slot[], staffMeetings: StaffMeeting[], now: Date): StaffClash[] {
  const clashes: StaffClash[] = []
  const seen = new Set<string>()
  for (const meeting of [...meetings].sort((a, b) => a.startsAt.localeCompare(b.startsAt))) {
    if (Date.parse(meeting.endsAt) <= now.getTime()) continue
    for (const other of staffMeetings) {
      const key = `${other.staffUserId}:${other.classId}`
      if (other.classId === classId || seen.has(key) || !overlaps(meeting, other)) continue
      seen.add(key)
      clashes.push({ staffUserId: other.staffUserId, meeting, other })
    }
  }
  return clashes
}
