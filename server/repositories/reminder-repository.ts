import { sql } from 'kysely'
import type { DbOrTx } from '../db/connection.ts'

/** A confirmed booking on a meeting of a class that goes ahead. */
export interface MeetingBooking {
  bookingId: number
  classId: number
  meetingId: number
  startsAt: string
  endsAt: string
  confirmedAt: string | null
  name: string
  phone: string | null
  email: string | null
  bookerName: string | null
  bookerPhone: string | null
  bookerEmail: string | null
  /** 1: the person who booked said yes to texts. */
  smsConsent: number
  needsCompanion: number
  needsHearingLoop: number
  needsOther: string | null
  courseTitle: string
  locationName: string
  calledAt: string | null
  calledBy: string | null
}

/** Bookings on meetings, as the reminders and the call list read them: the person as given in the booking. */
function meetingBookings (db: DbOrTx) {
  return db.selectFrom('meetings')
    .innerJoin('classes', 'classes.id', 'meetings.class_id')
    .innerJoin('bookings', 'bookings.class_id', 'classes.id')
    .innerJoin('participants', 'participants.id', 'bookings.participant_id')
    .innerJoin('courses', 'courses.slug', 'classes.course_slug')
    .innerJoin('locations', 'locations.id', 'classes.location_id')
    .leftJoin('reminder_calls', join => join.onRef('reminder_calls.booking_id', '=', 'bookings.id').onRef('reminder_calls.meeting_id', '=', 'meetings.id'))
    .leftJoin('staff_users', 'staff_users.id', 'reminder_calls.staff_user_id')
    .select([
      'bookings.id as bookingId', 'classes.id as classId', 'meetings.id as meetingId', 'meetings.starts_at as startsAt', 'meetings.ends_at as endsAt',
      'bookings.confirmed_at as confirmedAt', sql<string>`coalesce(bookings.person_name, participants.name)`.as('name'),
      'bookings.contact_phone as phone', 'bookings.contact_email as email',
      'bookings.booker_name as bookerName', 'bookings.booker_phone as bookerPhone', 'bookings.booker_email as bookerEmail',
      'bookings.sms_consent as smsConsent',
      'bookings.needs_companion as needsCompanion', 'bookings.needs_hearing_loop as needsHearingLoop', 'bookings.needs_other as needsOther',
      'courses.title as courseTitle', 'locations.name as locationName',
      'reminder_calls.called_at as calledAt', 'staff_users.name as calledBy'
    ])
}

/**
 * Confirmed bookings on meetings starting in [from, to), of classes not cancelled.
 * `with`: people one can write to (an e-mail of the participant or the person who booked
 * for them, or a yes to texts); `without`: people without e-mail (whether a text reaches
 * them is for the caller to say: it depends on the number). Contacts are the booking's own, as given when it was
 * made, never details another booking brought to the participant record.
 */
export async function findMeetingBookings (db: DbOrTx, from: string, to: string, email: 'with' | 'without'): Promise<MeetingBooking[]> {
  return await meetingBookings(db)
    .where('meetings.starts_at', '>=', from).where('meetings.starts_at', '<', to)
    .where('classes.cancelled_at', 'is', null)
    .where('bookings.status', '=', 'confirmed')
    .where(eb => email === 'with'
      ? eb.or([eb('bookings.contact_email', 'is not', null), eb('bookings.booker_email', 'is not', null), eb('bookings.sms_consent', '=', 1)])
      : eb.and([eb('bookings.contact_email', 'is', null), eb('bookings.booker_email', 'is', null)]))
    .orderBy('meetings.starts_at').orderBy('name').orderBy('bookings.id')
    .execute()
}

/**
 * People without e-mail whose seat a class's cancellation took (cancelled by the
 * organiser), each with the first meeting that had not begun when the class was
 * cancelled: the class was cancelled before `cancelledBefore`, that meeting starts at or
 * after `startsFrom`. They must be phoned to be told.
 */
export async function findCancelledMeetingBookings (db: DbOrTx, startsFrom: string, cancelledBefore: string): Promise<Array<MeetingBooking & { classCancelledAt: string }>> {
  const rows = await meetingBookings(db)
    .select('classes.cancelled_at as classCancelledAt')
    .where('classes.cancelled_at', 'is not', null)
    .where('classes.cancelled_at', '<', cancelledBefore)
    .where('meetings.starts_at', '>=', startsFrom)
    .where(eb => eb('meetings.starts_at', '=', eb.selectFrom('meetings as first')
      .whereRef('first.class_id', '=', 'classes.id').whereRef('first.starts_at', '>', 'classes.cancelled_at')
      .select(e => e.fn.min('first.starts_at').as('v'))))
    .where('bookings.status', '=', 'cancelled')
    .where('bookings.cancelled_by', '=', 'organiser')
    // Those who had a seat; a place on the waiting list was no promise to come.
    .where('bookings.confirmed_at', 'is not', null)
    .where('bookings.contact_email', 'is', null).where('bookings.booker_email', 'is', null)
    .orderBy('meetings.starts_at').orderBy('name').orderBy('bookings.id')
    .execute()
  return rows.map(r => ({ ...r, classCancelledAt: r.classCancelledAt as string }))
}

/** Confirmed bookings with e-mail on classes whose last meeting ended in [from, to). */
export async function findBookingsOfClassesEndedBetween (db: DbOrTx, from: string, to: string): Promise<Array<{ bookingId: number, classId: number, lastEndsAt: string }>> {
  const ended = db.selectFrom('meetings').select(eb => ['class_id', eb.fn.max('ends_at').as('last_ends_at')]).groupBy('class_id')
  return await db.selectFrom('bookings')
    .innerJoin(ended.as('ended'), 'ended.class_id', 'bookings.class_id')
    .innerJoin('classes', 'classes.id', 'bookings.class_id')
    .innerJoin('participants', 'participants.id', 'bookings.participant_id')
    .select(['bookings.id as bookingId', 'bookings.class_id as classId', 'ended.last_ends_at as lastEndsAt'])
    .where('ended.last_ends_at', '>=', from).where('ended.last_ends_at', '<', to)
    .where('classes.cancelled_at', 'is', null)
    .where('bookings.status', '=', 'confirmed')
    .where(eb => eb.or([eb('bookings.contact_email', 'is not', null), eb('bookings.booker_email', 'is not', null)]))
    // Only those who came: checked in at one meeting at least.
    .where(eb => eb.exists(eb.selectFrom('attendances').select('attendances.id').whereRef('attendances.booking_id', '=', 'bookings.id')))
    .orderBy('bookings.id')
    .execute()
}

export async function existingDedupeKeys (db: DbOrTx, keys: string[]): Promise<Set<string>> {
  const found = new Set<string>()
  for (let i = 0; i < keys.length; i += 500) {
    const chunk = keys.slice(i, i + 500)
    const rows = await db.selectFrom('outbox').select('dedupe_key').where('dedupe_key', 'in', chunk).execute()
    for (const r of rows) if (r.dedupe_key) found.add(r.dedupe_key)
  }
  return found
}

export async function setReminderCalled (db: DbOrTx, bookingId: number, meetingId: number, staffUserId: number, at: string | null): Promise<void> {
  if (at === null) {
    await db.deleteFrom('reminder_calls').where('booking_id', '=', bookingId).where('meeting_id', '=', meetingId).execute()
    return
  }
  await db.insertInto('reminder_calls').values({ booking_id: bookingId, meeting_id: meetingId, staff_user_id: staffUserId, called_at: at })
    .onConflict(oc => oc.columns(['booking_id', 'meeting_id']).doUpdateSet({ staff_user_id: staffUserId, called_at: at }))
    .execute()
}
