import type { Db } from '../db/connection.ts'
import { isSamePerson, normaliseEmail } from '../domain/booking-form.ts'
import { type MeetingSeat, attendanceRecord, missedLastTwo, missedNote } from '../domain/no-shows.ts'
import { normalizePhone } from '../domain/phone.ts'
import { listMeetingSeatsOfParticipant } from '../repositories/attendance-repository.ts'
import { findParticipantsByContact } from '../repositories/participant-repository.ts'

/** A person's meetings, newest first: "Kom" or "Kom ikke" (domain/no-shows.ts). */
export async function getAttendanceRecord (db: Db, participantId: number, now: Date = new Date()): Promise<Array<MeetingSeat & { came: boolean }>> {
  return attendanceRecord(await listMeetingSeatsOfParticipant(db, participantId), now)
}

/**
 * The calm note staff see when booking someone who missed their last two classes
 * without cancelling, or null. It is only a note: nothing is refused because of it.
 */
export async function getMissedNote (db: Db, participantId: number, now: Date = new Date()): Promise<string | null> {
  const missed = missedLastTwo(await listMeetingSeatsOfParticipant(db, participantId), now)
  return missed === null ? null : missedNote(missed)
}

/**
 * The known participant a phone booking would be made for, as booking recognises them
 * (findOrCreateParticipant: the same name and a phone or e-mail in common), from the
 * form as typed so far; undefined when there is none yet.
 */
export async function findKnownParticipant (db: Db, typed: { name: string, phone: string, email: string }): Promise<{ id: number, name: string } | undefined> {
  const phone = normalizePhone(typed.phone)
  const e164 = phone.ok ? phone.e164 : null
  const email = normaliseEmail(typed.email)
  if (typed.name.trim() === '' || (e164 === null && email === null)) return undefined
  const candidates = await findParticipantsByContact(db, e164, email)
  return candidates.find(p => isSamePerson({ name: typed.name, contacts: [e164, email] }, { name: p.name, contacts: [p.phone, p.email] }))
}
