import { sql } from 'kysely'
import type { DbOrTx } from '../db/connection.ts'
import { newBookingToken } from '../domain/booking-token.ts'
import { WITHOUT_NEEDS_OR_BOOKER } from './booking-repository.ts'

/** The name an anonymised participant keeps, so that lists and counts still read well. */
export const ANONYMOUS_NAME = 'Anonymiseret deltager'

/** When each participant's last booked meeting ended (their sign-up time when they have none). */
function lastMeetings (db: DbOrTx) {
  return db.selectFrom('participants')
    .leftJoin('bookings', 'bookings.participant_id', 'participants.id')
    .leftJoin('meetings', 'meetings.class_id', 'bookings.class_id')
    .select(['participants.id', sql<string>`coalesce(max(meetings.ends_at), participants.created_at)`.as('last_at')])
    .where('participants.anonymised_at', 'is', null)
    .groupBy(['participants.id', 'participants.created_at'])
}

/** Participants not yet anonymised whose last meeting ended before `cutoff`. */
export async function findParticipantsLastSeenBefore (db: DbOrTx, cutoff: string): Promise<number[]> {
  const rows = await db.selectFrom(lastMeetings(db).as('last')).select('last.id').where('last.last_at', '<', cutoff).orderBy('last.id').execute()
  return rows.map(r => r.id)
}

/** The earliest last meeting among participants not yet anonymised: who goes next, and when. */
export async function findEarliestLastMeeting (db: DbOrTx): Promise<string | null> {
  const row = await db.selectFrom(lastMeetings(db).as('last')).select(sql<string>`min(last.last_at)`.as('at')).executeTakeFirst()
  return row?.at ?? null
}

export async function countAnonymised (db: DbOrTx): Promise<number> {
  const row = await db.selectFrom('participants').select(eb => eb.fn.countAll<number>().as('n')).where('anonymised_at', 'is not', null).executeTakeFirstOrThrow()
  return Number(row.n)
}

/**
 * Removes the personal data of these participants and keeps every row that is counted:
 * the participant (as "Anonymiseret deltager"), their bookings, attendances, milestones
 * and learning goals. Needs, notes, the contacts given in each booking and who booked
 * for them go; each booking gets a new
 * token, so old private links stop working; their e-mails and texts are deleted from the
 * outbox, and the texts to our number matched to their bookings. Their phone numbers'
 * STOP marks and other texts go when nobody else uses the number (forgetUnusedNumbers).
 * The birth year stays for the age statistics unless `eraseBirthYear`.
 */
export async function anonymiseParticipants (db: DbOrTx, ids: number[], at: string, opts: { eraseBirthYear: boolean, deleteInterest: boolean }): Promise<{ participants: number, bookings: number }> {
  if (ids.length === 0) return { participants: 0, bookings: 0 }
  let bookings = 0
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500)
    // Their addresses: on the participant record, and as given in each of their bookings.
    const emails = [...new Set([
      ...(await db.selectFrom('participants').select('email').where('id', 'in', chunk).where('email', 'is not', null).execute()).map(r => r.email as string),
      ...(await db.selectFrom('bookings').select('contact_email').where('participant_id', 'in', chunk).where('contact_email', 'is not', null).execute()).map(r => r.contact_email as string)
    ])]
    // An erasure also takes their interest lists and every e-mail sent to their address;
    // retention leaves a recent interest sign-up alone (it has its own time limit).
    if (emails.length > 0 && opts.deleteInterest) {
      await db.deleteFrom('interest_subscriptions').where('email', 'in', emails).execute()
      await db.deleteFrom('outbox').where('recipient', 'in', emails).execute()
    }
    // Their own phone numbers, on the record and as given in each booking (read before they go).
    const phones = [...new Set([
      ...(await db.selectFrom('participants').select('phone').where('id', 'in', chunk).where('phone', 'is not', null).execute()).map(r => r.phone as string),
      ...(await db.selectFrom('bookings').select('contact_phone').where('participant_id', 'in', chunk).where('contact_phone', 'is not', null).execute()).map(r => r.contact_phone as string)
    ])]
    await db.updateTable('participants')
      .set({ name: ANONYMOUS_NAME, phone: null, email: null, anonymised_at: at, ...(opts.eraseBirthYear ? { birth_year: null } : {}) })
      .where('id', 'in', chunk).execute()
    const bookingIds = (await db.selectFrom('bookings').select('id').where('participant_id', 'in', chunk).execute()).map(r => r.id)
    for (let j = 0; j < bookingIds.length; j += 500) {
      const part = bookingIds.slice(j, j + 500)
      // Their e-mails and texts, and the texts to our number matched to their bookings.
      await db.deleteFrom('outbox').where('booking_id', 'in', part).execute()
      await db.deleteFrom('sms_inbound').where('booking_id', 'in', part).execute()
      for (const id of part) {
        await db.updateTable('bookings').set({
          ...WITHOUT_NEEDS_OR_BOOKER, person_name: null, person_birth_year: null, contact_phone: null, contact_email: null, source_key: null, staff_note: null, token: newBookingToken()
        }).where('id', '=', id).execute()
      }
    }
    await forgetUnusedNumbers(db, phones)
    bookings += bookingIds.length
  }
  return { participants: ids.length, bookings }
}

/**
 * Of these phone numbers ("+4512345678"), those no participant or booking holds any more:
 * the texts they sent us, the texts to them that no booking holds, and their STOP or
 * landline mark are deleted. A number someone else still uses (a spouse, a carer who
 * books) keeps them all.
 */
async function forgetUnusedNumbers (db: DbOrTx, phones: string[]): Promise<void> {
  if (phones.length === 0) return
  const used = new Set([
    ...(await db.selectFrom('participants').select('phone').where('phone', 'in', phones).execute()).map(r => r.phone),
    ...(await db.selectFrom('bookings').select('contact_phone').where('contact_phone', 'in', phones).execute()).map(r => r.contact_phone),
    ...(await db.selectFrom('bookings').select('booker_phone').where('booker_phone', 'in', phones).execute()).map(r => r.booker_phone)
  ])
  // Stored numbers are E.164; texts know them as MSISDN, the same digits without the +.
  const msisdns = phones.filter(p => !used.has(p)).map(p => p.replace(/^\+/, ''))
  if (msisdns.length === 0) return
  await db.deleteFrom('sms_inbound').where('msisdn', 'in', msisdns).execute()
  await db.deleteFrom('outbox').where('channel', '=', 'sms').where('recipient', 'in', msisdns).where('booking_id', 'is', null).execute()
  await db.deleteFrom('sms_numbers').where('msisdn', 'in', msisdns).execute()
}

/**
 * Interest-list addresses signed up (or unsubscribed) before the cutoff, sign-ups never
 * confirmed whose last confirmation e-mail went before `pendingCutoff`, and the
 * interest-list e-mails sent to them.
 */
export async function deleteOldInterest (db: DbOrTx, cutoff: string, pendingCutoff: string): Promise<number> {
  const old = await db.selectFrom('interest_subscriptions').select(['id', 'email'])
    .where(eb => eb.or([
      eb(sql<string>`coalesce(unsubscribed_at, created_at)`, '<', cutoff),
      eb.and([eb('confirmed_at', 'is', null), eb('confirm_sent_at', '<', pendingCutoff)])
    ])).execute()
  for (let i = 0; i < old.length; i += 500) {
    const chunk = old.slice(i, i + 500)
    await db.deleteFrom('interest_subscriptions').where('id', 'in', chunk.map(o => o.id)).execute()
    const gone = [...new Set(chunk.map(o => o.email))]
    const still = new Set((await db.selectFrom('interest_subscriptions').select('email').where('email', 'in', gone).execute()).map(r => r.email))
    const emails = gone.filter(e => !still.has(e))
    if (emails.length > 0) await db.deleteFrom('outbox').where('kind', 'in', ['interest_confirm', 'interest_signed_up', 'interest_new_classes']).where('recipient', 'in', emails).execute()
  }
  return old.length
}

/** Forgets where online bookings made before the cutoff came from (kept only to limit and flag bursts). */
export async function clearSourceKeysBefore (db: DbOrTx, cutoff: string): Promise<number> {
  const result = await db.updateTable('bookings').set({ source_key: null })
    .where('source_key', 'is not', null).where('created_at', '<', cutoff)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}
