import type { Db, DbOrTx } from '../db/connection.ts'
import type { ParticipantRow } from '../db/schema.ts'
import { type BookingInput, isSamePerson } from '../domain/booking-form.ts'
import { DomainError } from '../domain/errors.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { moveAttendancesToParticipant } from '../repositories/attendance-repository.ts'
import { insertParticipant } from '../repositories/booking-repository.ts'
import { lockNames } from '../repositories/lock-repository.ts'
import {
  deleteParticipant, findParticipant, findParticipantsByContact, listBookingsOfParticipant, moveBookingsToParticipant, updateParticipant
} from '../repositories/participant-repository.ts'

/**
 * The participant for a booking: someone already known with the same name and a phone
 * or e-mail in common is the same person (their missing details are filled in);
 * otherwise a new participant. A couple sharing one phone stays two people.
 */
export async function findOrCreateParticipant (tx: DbOrTx, input: BookingInput, at: string): Promise<number> {
  // One person booking two classes at once (each booking locks only its own class).
  await lockNames(tx, [input.phone, input.email].filter((c): c is string => c !== null).map(c => `participant:${c}`))
  const candidates = await findParticipantsByContact(tx, input.phone, input.email)
  const me = { name: input.name, contacts: [input.phone, input.email] }
  const known = candidates.find(p => isSamePerson(me, { name: p.name, contacts: [p.phone, p.email] }))
  if (known) {
    await updateParticipant(tx, known.id, {
      ...(known.phone === null && input.phone !== null ? { phone: input.phone } : {}),
      ...(known.email === null && input.email !== null ? { email: input.email } : {}),
      ...(known.birth_year === null && input.birthYear !== null ? { birth_year: input.birthYear } : {})
    })
    return known.id
  }
  return await insertParticipant(tx, { name: input.name, phone: input.phone, email: input.email, birth_year: input.birthYear, created_at: at })
}

export interface ParticipantPage { participant: ParticipantRow, bookings: Awaited<ReturnType<typeof listBookingsOfParticipant>>, possibleDuplicates: ParticipantRow[] }

export async function getParticipantPage (db: Db, id: number): Promise<ParticipantPage | undefined> {
  const participant = await findParticipant(db, id)
  if (!participant) return undefined
  const [bookings, sameContact] = await Promise.all([
    listBookingsOfParticipant(db, id),
    findParticipantsByContact(db, participant.phone, participant.email)
  ])
  return { participant, bookings, possibleDuplicates: sameContact.filter(p => p.id !== id) }
}

/**
 * Merges two records of the same person: the other's bookings move to the kept one,
 * missing details are filled in, and the other record goes. Refused when both have an
 * active booking on the same class (staff must cancel one first).
 */
export async function mergeParticipants (db: Db, keepId: number, otherId: number, staffId: number, now: Date = new Date()): Promise<void> {
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
