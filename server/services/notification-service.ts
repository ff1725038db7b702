import type { DbOrTx, Tx } from '../db/connection.ts'
import { DomainError } from '../domain/errors.ts'
import { queueMail, queueSms } from '../mail/outbox.ts'
import { SMS_KINDS } from '../mail/sms-text.ts'
import { mobileMsisdn } from '../domain/sms.ts'
import { findBlockedNumbers } from '../repositories/sms-repository.ts'
import type { BookingFacts, ClassFacts, MailMessage } from '../mail/messages.ts'
import { type BookingWithPerson, findBookingById, listActiveBookings } from '../repositories/booking-repository.ts'
import { findClassSummaries, findClassSummary } from '../repositories/class-repository.ts'
import { findCourse } from '../repositories/course-repository.ts'
import { listActiveSubscriptions, recordNotices } from '../repositories/interest-repository.ts'
import { listLeaderRecipients } from '../repositories/milestone-repository.ts'
import { seatGivenAt } from '../domain/calendar.ts'

/**
 * Turns changes into e-mails in the outbox. Every function here runs inside the
 * transaction of the change, so a message exists exactly when its change does.
 */

/** What e-mails say about a class, read inside the transaction. */
export async function classFacts (tx: Tx, classId: number): Promise<ClassFacts> {
  const summary = await findClassSummary(tx, classId)
  if (!summary) throw new DomainError('class_not_found')
  const course = await findCourse(tx, summary.courseSlug)
  return {
    id: summary.id,
    courseSlug: summary.courseSlug,
    courseTitle: summary.courseTitle,
    locationName: summary.locationName,
    room: summary.room,
    street: summary.street,
    postalCode: summary.postalCode,
    city: summary.city,
    stepFree: summary.stepFree,
    hearingLoop: summary.hearingLoop,
    note: summary.note,
    bring: course?.bring ?? [],
    waitlistMode: summary.waitlistMode,
    meetings: summary.meetings.map(m => ({ id: m.id, starts_at: m.starts_at, ends_at: m.ends_at })),
    calendarSequence: summary.calendarSequence,
    calendarModifiedAt: summary.calendarModifiedAt
  }
}

export interface Recipient { to: BookingFacts['to'], email: string }

/**
 * Who hears about a booking: the participant, and the person who booked for them, each
 * at their own address. Nobody when there is no e-mail: they are on the call list.
 */
export function bookingRecipients (booking: Pick<BookingWithPerson, 'email' | 'booker_email'>): Recipient[] {
  const recipients: Recipient[] = []
  if (booking.email) recipients.push({ to: 'participant', email: booking.email })
  if (booking.booker_email && booking.booker_email.toLowerCase() !== booking.email?.toLowerCase()) {
    recipients.push({ to: 'booker', email: booking.booker_email })
  }
  return recipients
}

export interface SmsRecipient { to: BookingFacts['to'], msisdn: string }

type SmsContact = Pick<BookingWithPerson, 'phone' | 'booker_phone' | 'sms_consent'>

/**
 * The mobile numbers a booking's texts could go to, if the person who booked said yes to
 * texts: the participant's, and that of the person who booked for them. Landline numbers
 * get none.
 */
export function smsCandidates (booking: SmsContact): SmsRecipient[] {
  if (booking.sms_consent !== 1) return []
  const recipients: SmsRecipient[] = []
  const own = mobileMsisdn(booking.phone)
  const booker = mobileMsisdn(booking.booker_phone)
  if (own) recipients.push({ to: 'participant', msisdn: own })
  if (booker && booker !== own) recipients.push({ to: 'booker', msisdn: booker })
  return recipients
}

/** The numbers that take texts about this booking now: candidates that did not say STOP and are no landline. */
export async function smsRecipients (db: DbOrTx, booking: SmsContact): Promise<SmsRecipient[]> {
  const candidates = smsCandidates(booking)
  if (candidates.length === 0) return []
  const blocked = await findBlockedNumbers(db, candidates.map(c => c.msisdn))
  return candidates.filter(c => !blocked.has(c.msisdn))
}

/** Dedupe keys of a message's copies: e-mails keep the old suffix (":participant"), texts add ":sms". */
export function copyKeys (key: string, booking: Pick<BookingWithPerson, 'email' | 'booker_email'> & SmsContact): string[] {
  return [
    ...bookingRecipients(booking).map(r => `${key}:${r.to}`),
    ...smsCandidates(booking).map(r => `${key}:sms:${r.to}`)
  ]
}

function factsOf (booking: BookingWithPerson, to: Recipient['to']): BookingFacts {
  return { id: booking.id, token: booking.token, name: booking.name, bookerName: booking.booker_name, to, checkinCode: booking.checkin_code, seatGivenAt: seatGivenAt(booking) }
}

type BookingKind = Extract<MailMessage, { booking: BookingFacts }>
type Extra<K extends BookingKind['kind']> = Omit<Extract<BookingKind, { kind: K }>, 'kind' | 'booking' | 'cls'>

export interface BookingMailOptions { dedupeKey?: string, expiresAt?: string, cls?: ClassFacts }

/** Queues one kind of message about a booking to each of its recipients. Returns how many were queued. */
export async function notifyBooking<K extends BookingKind['kind']> (
  tx: Tx, booking: BookingWithPerson | number, kind: K, extra: Extra<K>, now: Date, opts: BookingMailOptions = {}
): Promise<number> {
  const row = typeof booking === 'number' ? await findBookingById(tx, booking) : booking
  if (!row) throw new DomainError('booking_not_found')
  const recipients = bookingRecipients(row)
  const texts = SMS_KINDS.has(kind) ? await smsRecipients(tx, row) : []
  if (recipients.length === 0 && texts.length === 0) return 0
  const cls = opts.cls ?? await classFacts(tx, row.class_id)
  // Texts first: a text reaches a phone sooner than an e-mail is read.
  const copies = [
    ...texts.map(r => ({ to: r.to, address: { msisdn: r.msisdn }, key: `sms:${r.to}` })),
    ...recipients.map(r => ({ to: r.to, address: { recipient: r.email }, key: r.to }))
  ]
  let queued = 0
  for (const copy of copies) {
    const message = { kind, booking: factsOf(row, copy.to), cls, ...extra } as unknown as MailMessage
    const where = { bookingId: row.id, classId: row.class_id, dedupeKey: opts.dedupeKey ? `${opts.dedupeKey}:${copy.key}` : undefined, expiresAt: opts.expiresAt }
    const isNew = 'msisdn' in copy.address
      ? await queueSms(tx, message, { ...where, msisdn: copy.address.msisdn }, now)
      : await queueMail(tx, message, { ...where, recipient: copy.address.recipient }, now)
    if (isNew) queued++
  }
  return queued
}

/**
 * Answers one number with a text about a booking (a reply to what that number texted):
 * only that number, not the booking's other contacts, and not after STOP.
 */
export async function textOneNumber<K extends BookingKind['kind']> (
  tx: Tx, booking: BookingWithPerson, msisdn: string, kind: K, extra: Extra<K>, now: Date, dedupeKey: string
): Promise<boolean> {
  if ((await findBlockedNumbers(tx, [msisdn])).has(msisdn)) return false
  const to: Recipient['to'] = mobileMsisdn(booking.phone) === msisdn ? 'participant' : 'booker'
  const message = { kind, booking: factsOf(booking, to), cls: await classFacts(tx, booking.class_id), ...extra } as unknown as MailMessage
  return await queueSms(tx, message, { msisdn, bookingId: booking.id, classId: booking.class_id, dedupeKey }, now)
}

/** Tells everyone on a class (seat or waiting list) that its time or place changed. */
export async function notifyClassChanged (tx: Tx, classId: number, before: ClassFacts, now: Date): Promise<void> {
  const cls = await classFacts(tx, classId)
  for (const booking of await listActiveBookings(tx, classId)) {
    await notifyBooking(tx, booking, 'class_changed', { before, waitlisted: booking.status === 'waitlisted' }, now, { cls })
  }
}

/** True when the time, the number of meetings or the place differ. */
export function classChanged (before: ClassFacts, after: ClassFacts): boolean {
  const times = (c: ClassFacts) => c.meetings.map(m => `${m.starts_at}/${m.ends_at}`).join(',')
  const place = (c: ClassFacts) => [c.locationName, c.room, c.street, c.postalCode, c.city].join('|')
  return times(before) !== times(after) || place(before) !== place(after)
}

/**
 * Tells interested citizens about classes that are now open for booking: one e-mail per
 * subscriber listing the classes they have not heard about, never the same class twice.
 */
export async function notifyInterest (tx: Tx, classIds: number[], now: Date): Promise<number> {
  const classes = (await findClassSummaries(tx, { ids: classIds, publicOnly: true, startsAfter: now.toISOString() }))
  const byCourse = new Map<string, number[]>()
  for (const c of classes) byCourse.set(c.courseSlug, [...(byCourse.get(c.courseSlug) ?? []), c.id])
  let queued = 0
  for (const [courseSlug, ids] of byCourse) {
    const subscriptions = await listActiveSubscriptions(tx, courseSlug)
    if (subscriptions.length === 0) continue
    const facts = new Map<number, ClassFacts>()
    for (const id of ids) facts.set(id, await classFacts(tx, id))
    for (const sub of subscriptions) {
      const fresh = await recordNotices(tx, sub.id, ids, now.toISOString())
      if (fresh.length === 0) continue
      const first = facts.get(fresh[0] as number) as ClassFacts
      await queueMail(tx, {
        kind: 'interest_new_classes',
        courseSlug,
        courseTitle: first.courseTitle,
        classes: fresh.map(id => facts.get(id) as ClassFacts),
        unsubscribeToken: sub.token
      }, { recipient: sub.email, classId: first.id }, now)
      queued++
    }
  }
  return queued
}

/** A milestone as the leaders hear of it: who, which number, where ("i alt", a place or a topic). */
export interface MilestoneNews {
  number: number
  scopeLabel: string
  participantName: string
  courseTitle: string
  locationName: string
  bookingId: number
  classId: number
}

/** Tells every leader that a participant has become number N, so they can bring flowers. */
export async function notifyMilestoneReached (tx: Tx, m: MilestoneNews, now: Date): Promise<void> {
  const at = now.toISOString()
  for (const leader of await listLeaderRecipients(tx)) {
    await queueMail(tx, { kind: 'milestone', number: m.number, scope: m.scopeLabel, participantName: m.participantName, courseTitle: m.courseTitle, locationName: m.locationName, at },
      { recipient: leader.email, dedupeKey: `milestone:${m.scopeLabel}:${m.number}:${m.bookingId}:${at}:${leader.id}`, bookingId: m.bookingId, classId: m.classId }, now)
  }
}

/** Tells every leader that a milestone was released: the check-in that reached it was taken back. */
export async function notifyMilestoneUndone (tx: Tx, m: Pick<MilestoneNews, 'number' | 'scopeLabel' | 'participantName' | 'bookingId' | 'classId'> & { scope: string }, now: Date): Promise<void> {
  const at = now.toISOString()
  for (const leader of await listLeaderRecipients(tx)) {
    await queueMail(tx, { kind: 'milestone_undone', number: m.number, scope: m.scopeLabel, participantName: m.participantName, at },
      { recipient: leader.email, dedupeKey: `milestone-undone:${m.scope}:${m.number}:${m.bookingId}:${at}:${leader.id}`, bookingId: m.bookingId, classId: m.classId }, now)
  }
}
