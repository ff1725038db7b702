import type { Db, Tx } from '../db/connection.ts'
import type { ParticipantRow } from '../db/schema.ts'
import { type Actor, actingStaffId } from '../domain/actor.ts'
import { type BookingInput, type ParticipantDetails, isSamePerson } from '../domain/booking-form.ts'
import { DomainError } from '../domain/errors.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { moveAttendancesToParticipant } from '../repositories/attendance-repository.ts'
import { insertParticipant } from '../repositories/booking-repository.ts'
import { lockNames } from '../repositories/lock-repository.ts'
import {
  correctUpcomingBookings, deleteParticipant, listBookingContacts, findParticipant, findParticipantsByContact, listBookingsOfParticipant, moveBookingsToParticipant, updateParticipant
} from '../repositories/participant-repository.ts'

/**
 * The participant for a booking: someone already known with the same name and a phone
 * or e-mail in common is the same person, otherwise a new participant. A couple sharing
 * one phone stays two people. The known record is never changed: contact details typed
 * into a form belong to that booking (an anonymous form must not redirect another
 * person's messages); a leader corrects a participant on their page.
 */
export async function findOrCreateParticipant (tx: Tx, input: BookingInput, at: string): Promise<number> {
  // One person booking two classes at once (each booking locks only its own class).
  await lockNames(tx, [input.phone, input.email].filter((c): c is string => c !== null).map(c => `participant:${c}`))
  const candidates = await findParticipantsByContact(tx, input.phone, input.email)
  const me = { name: input.name, contacts: [input.phone, input.email] }
  const known = candidates.find(p => isSamePerson(me, { name: p.name, contacts: [p.phone, p.email] }))
  if (known) return known.id
  return await insertParticipant(tx, { name: input.name, phone: input.phone, email: input.email, birth_year: input.birthYear, created_at: at })
}

export interface ParticipantPage { participant: ParticipantRow, bookings: Awaited<ReturnType<typeof listBookingsOfParticipant>>, possibleDuplicates: ParticipantRow[] }

export async function getParticipantPage (db: Db, id: number): Promise<ParticipantPage | undefined> {
  const participant = await findParticipant(db, id)
  if (!participant) return undefined
  // Possible duplicates share a phone or e-mail with the record or with any of its bookings.
  const given = await listBookingContacts(db, id)
  const phones = [...new Set([participant.phone, ...given.phones].filter((c): c is string => c !== null))]
  const emails = [...new Set([participant.email, ...given.emails].filter((c): c is string => c !== null))]
  const [bookings, ...found] = await Promise.all([
    listBookingsOfParticipant(db, id),
    ...phones.map(async phone => await findParticipantsByContact(db, phone, null)),
    ...emails.map(async email => await findParticipantsByContact(db, null, email))
  ])
  const others = new Map(found.flat().filter(p => p.id !== id).map(p => [p.id, p]))
  return { participant, bookings, possibleDuplicates: [...others.values()].sort((a, b) => a.id - b.id) }
}

/**
 * Merges two records of the same person: the other's bookings move to the kept one,
 * missing details are filled in, and the other record goes. Refused when both have an
 * active booking on the same class (staff must cancel one first).
 */
export async function mergeParticipants (db: Db, actor: Actor, keepId: number, otherId: number, now: Date = new Date()): Promise<void> {
  const staffId = actingStaffId(actor)
  if (keepId === otherId) throw new DomainError('same_participant')
  await db.transaction().execute(async tx => {
    const keep = await findParticipant(tx, keepId)
    const other = await findParticipant(tx, otherId)
    if (!keep || !other) throw new DomainError('participant_not_found')
    // An erased or anonymised person stays anonymous: nobody's details are merged onto them.
    if (keep.anonymised_at !== null || other.anonymised_at !== null) throw new DomainError('participant_anonymised')
    const active = (b: { status: string }) => b.status !== 'cancelled'
    const keptClasses = new Set((await listBookingsOfParticipant(tx, keepId)).filter(active).map(b => b.classId))
    if ((await listBookingsOfParticipant(tx, otherId)).filter(active).some(b => keptClasses.has(b.classId))) throw new DomainError('merge_conflict')
    await moveBookingsToParticipant(tx, otherId, keepId)
    // One person counts once toward milestones: the earlier first attendance is kept.
    await moveAttendancesToParticipant(tx, otherId, keepId)
    await updateParticipant(tx, keepId, {
      ...(keep.phone === null && other.phone !== null ? { phone: other.phone } : {}),
      ...(keep.email === null && other.email !== null ? { email: other.email } : {}),
      ...(keep.birth_year === null && other.birth_year !== null ? { birth_year: other.birth_year } : {})
    })
    await deleteParticipant(tx, otherId)
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffId, action: 'participants_merged', subject_type: 'participant', subject_id: keepId, detail: `merged=${otherId}` })
  })
}

/**
 * A leader corrects a participant's name, contact details or birth year. Their upcoming
 * bookings made with exactly the old name, phone and e-mail get the new details, so
 * reminders reach them; bookings made with other details keep theirs. The audit log
 * names the fields changed, never their values.
 */
export async function correctParticipant (db: Db, actor: Actor, id: number, details: ParticipantDetails, now: Date = new Date()): Promise<string[]> {
  const staffId = actingStaffId(actor)
  const at = now.toISOString()
  return await db.transaction().execute(async tx => {
    const before = await findParticipant(tx, id)
    if (!before) throw new DomainError('participant_not_found')
    if (before.anonymised_at !== null) throw new DomainError('participant_anonymised')
    const changes = {
      ...(details.name !== before.name ? { name: details.name } : {}),
      ...(details.phone !== before.phone ? { phone: details.phone } : {}),
      ...(details.email !== before.email ? { email: details.email } : {}),
      ...(details.birthYear !== before.birth_year ? { birth_year: details.birthYear } : {})
    }
    const fields = Object.keys(changes)
    if (fields.length === 0) return []
    await updateParticipant(tx, id, changes)
    await correctUpcomingBookings(tx, id, { name: before.name, phone: before.phone, email: before.email, birthYear: before.birth_year }, details, at)
    await insertAuditEntry(tx, { at, staff_user_id: staffId, action: 'participant_corrected', subject_type: 'participant', subject_id: id, detail: `fields=${fields.join(',')}` })
    return fields
  })
}
