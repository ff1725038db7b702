import type { Db, DbOrTx } from '../db/connection.ts'
import { type Actor, actingStaffId } from '../domain/actor.ts'
import type { ClassMessageInput } from '../domain/class-message.ts'
import { DomainError } from '../domain/errors.ts'
import { copenhagenDate } from '../domain/time.ts'
import type { ClassFacts, MailMessage } from '../mail/messages.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { type BookingWithPerson, listActiveBookings } from '../repositories/booking-repository.ts'
import { findClassSummary } from '../repositories/class-repository.ts'
import { insertCallTask } from '../repositories/sms-repository.ts'
import { bookingRecipients, classFacts, notifyBooking, smsRecipients } from './notification-service.ts'

/**
 * "Skriv til holdet": a leader's short message to everyone on a class. It goes out as an
 * e-mail and a text through the outbox, like any other message about a booking; those
 * who can get neither are put on the day's call list with the words to read to them.
 */

/** How many get a message: e-mails and texts (one per address or number), and the bookings to phone. */
export interface ClassMessageReach {
  bookings: number
  emails: number
  texts: number
  calls: number
}

export interface ClassMessagePreview {
  reach: ClassMessageReach
  /** The message as a participant gets it, to show the text and the e-mail's subject. */
  message: Extract<MailMessage, { kind: 'class_message' }>
}

export interface ClassMessageSent extends ClassMessageReach {
  /** The same form was sent before (a double click): nothing was sent again. */
  alreadySent: boolean
}

const audienceOf = (bookings: BookingWithPerson[], includeWaitlist: boolean) =>
  bookings.filter(b => b.status === 'confirmed' || (includeWaitlist && b.status === 'waitlisted'))

/** Per booking: its e-mail addresses and text numbers, by the same rules the notifications use. */
async function channelsOf (db: DbOrTx, booking: BookingWithPerson): Promise<{ emails: number, texts: number }> {
  return { emails: bookingRecipients(booking).length, texts: (await smsRecipients(db, booking)).length }
}

/** The staff member writing, as the message names them; anyone else is refused (actingStaffId). */
function senderName (actor: Actor): string {
  actingStaffId(actor)
  return actor.kind === 'staff' ? actor.name : ''
}

async function openClass (db: DbOrTx, classId: number): Promise<void> {
  const summary = await findClassSummary(db, classId)
  if (!summary) throw new DomainError('class_not_found')
  if (summary.cancelledAt !== null) throw new DomainError('class_cancelled')
}

function sample (cls: ClassFacts, text: string, from: string): ClassMessagePreview['message'] {
  return { kind: 'class_message', text, from, cls, booking: { id: 0, token: 'x'.repeat(32), name: '', bookerName: null, to: 'participant' } }
}

/** What sending would do: the message as it looks, and how many get it by e-mail, by text, or by phone. */
export async function previewClassMessage (db: Db, actor: Actor, classId: number, input: Pick<ClassMessageInput, 'text' | 'includeWaitlist'>): Promise<ClassMessagePreview> {
  const from = senderName(actor)
  return await db.transaction().execute(async tx => {
    await openClass(tx, classId)
    const cls = await classFacts(tx, classId)
    const reach: ClassMessageReach = { bookings: 0, emails: 0, texts: 0, calls: 0 }
    for (const booking of audienceOf(await listActiveBookings(tx, classId), input.includeWaitlist)) {
      const { emails, texts } = await channelsOf(tx, booking)
      reach.bookings++
      reach.emails += emails
      reach.texts += texts
      if (emails + texts === 0) reach.calls++
    }
    return { reach, message: sample(cls, input.text, from) }
  })
}

/**
 * Sends a message to a class in one transaction: e-mails and texts queued in the outbox,
 * a call task for today for each booking that can get neither, and an audit line with the
 * counts. Every row is keyed by the form's one-time key, so the same form sent twice
 * sends once (and writes no second audit line).
 */
export async function sendClassMessage (db: Db, actor: Actor, classId: number, input: ClassMessageInput, now: Date = new Date()): Promise<ClassMessageSent> {
  const staffId = actingStaffId(actor)
  const from = senderName(actor)
  const at = now.toISOString()
  const day = copenhagenDate(now)
  return await db.transaction().execute(async tx => {
    await openClass(tx, classId)
    const cls = await classFacts(tx, classId)
    const sent: ClassMessageSent = { bookings: 0, emails: 0, texts: 0, calls: 0, alreadySent: false }
    let fresh = 0
    for (const booking of audienceOf(await listActiveBookings(tx, classId), input.includeWaitlist)) {
      const key = `class-message:${input.key}:${booking.id}`
      const { emails, texts } = await channelsOf(tx, booking)
      sent.bookings++
      sent.emails += emails
      sent.texts += texts
      if (emails + texts > 0) {
        fresh += await notifyBooking(tx, booking, 'class_message', { text: input.text, from }, now, { cls, dedupeKey: key })
      } else {
        sent.calls++
        if (await insertCallTask(tx, { booking_id: booking.id, day, reason: 'class_message', text: input.text, dedupe_key: `${key}:call`, created_at: at })) fresh++
      }
    }
    sent.alreadySent = sent.bookings > 0 && fresh === 0
    if (fresh > 0) {
      await insertAuditEntry(tx, {
        at,
        staff_user_id: staffId,
        action: 'class_message_sent',
        subject_type: 'class',
        subject_id: classId,
        detail: `emails=${sent.emails} sms=${sent.texts} calls=${sent.calls} waitlist=${input.includeWaitlist ? 'yes' : 'no'}`
      })
    }
    return sent
  })
}
