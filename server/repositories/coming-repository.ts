import { sql } from 'kysely'
import type { DbOrTx, Tx } from '../db/connection.ts'
import type { ComingAnswer, ConfirmMode } from '../db/schema.ts'
import { prepare } from '../db/prepared.ts'

/** "Kommer du?": the queries behind asking, answering and releasing unanswered seats. */

export interface ClassToAsk {
  classId: number
  confirmMode: ConfirmMode
  confirmDays: number
  releaseHours: number | null
  firstStartsAt: string
  /** People on the waiting list now. */
  waiting: number
}

/** The first meeting's start of each class. */
function firstStarts (db: DbOrTx) {
  return db.selectFrom('meetings').select(['class_id', sql<string>`min(starts_at)`.as('first_starts_at')]).groupBy('class_id')
}

/**
 * Classes that go ahead, with "Kommer du?" on ('auto' or 'always'), whose first meeting
 * starts after `now` and no later than `until`.
 */
export async function findClassesBeforeStart (db: DbOrTx, now: string, until: string): Promise<ClassToAsk[]> {
  const rows = await db.selectFrom('classes')
    .innerJoin(firstStarts(db).as('first'), 'first.class_id', 'classes.id')
    .select(eb => [
      'classes.id', 'classes.confirm_mode', 'classes.confirm_days', 'classes.release_hours', 'first.first_starts_at',
      eb.selectFrom('bookings').select(e => e.fn.countAll().as('n')).whereRef('bookings.class_id', '=', 'classes.id').where('bookings.status', '=', 'waitlisted').as('waiting')
    ])
    .where('classes.cancelled_at', 'is', null)
    .where('classes.confirm_mode', 'in', ['auto', 'always'])
    .where('first.first_starts_at', '>', now)
    .where('first.first_starts_at', '<=', until)
    .orderBy('classes.id')
    .execute()
  return rows.map(r => ({
    classId: r.id,
    confirmMode: r.confirm_mode,
    confirmDays: r.confirm_days,
    releaseHours: r.release_hours,
    firstStartsAt: r.first_starts_at,
    waiting: Number(r.waiting ?? 0)
  }))
}

/** Confirmed bookings of a class not yet asked, that had their seat at `seatedBy`. */
export async function listBookingsToAsk (db: DbOrTx, classId: number, seatedBy: string): Promise<number[]> {
  const rows = await db.selectFrom('bookings').select('id')
    .where('class_id', '=', classId).where('status', '=', 'confirmed')
    .where('coming', 'is', null).where('coming_asked_at', 'is', null)
    .where('confirmed_at', '<=', seatedBy)
    .orderBy('id').execute()
  return rows.map(r => r.id)
}

/** Marks a booking asked, once: false when it was asked already, answered, or lost its seat meanwhile. */
export async function markComingAsked (tx: Tx, bookingId: number, at: string): Promise<boolean> {
  const result = await tx.updateTable('bookings').set({ coming_asked_at: at })
    .where('id', '=', bookingId).where('status', '=', 'confirmed')
    .where('coming', 'is', null).where('coming_asked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Confirmed bookings of a class asked and not answered, with when they were asked. */
export async function listOpenQuestions (db: DbOrTx, classId: number): Promise<Array<{ id: number, askedAt: string }>> {
  const rows = await db.selectFrom('bookings').select(['id', 'coming_asked_at'])
    .where('class_id', '=', classId).where('status', '=', 'confirmed')
    .where('coming', 'is', null).where('coming_asked_at', 'is not', null)
    .orderBy('id').execute()
  return rows.map(r => ({ id: r.id, askedAt: r.coming_asked_at as string }))
}

export async function setComing (tx: Tx, bookingId: number, answer: ComingAnswer, at: string): Promise<void> {
  await tx.updateTable('bookings').set({ coming: answer, coming_at: at }).where('id', '=', bookingId).execute()
}

/**
 * The booking with an open question (asked, unanswered, confirmed) for a phone number,
 * the participant's or the booker's, whose class starts soonest after `now`.
 */
export async function findOpenQuestionOfNumber (db: DbOrTx, e164: string, now: string): Promise<{ id: number, token: string } | undefined> {
  return await db.selectFrom('bookings')
    .innerJoin(firstStarts(db).as('first'), 'first.class_id', 'bookings.class_id')
    .select(['bookings.id', 'bookings.token'])
    .where(eb => eb.or([eb('bookings.contact_phone', '=', e164), eb('bookings.booker_phone', '=', e164)]))
    .where('bookings.status', '=', 'confirmed')
    .where('bookings.coming', 'is', null).where('bookings.coming_asked_at', 'is not', null)
    .where('first.first_starts_at', '>', now)
    .orderBy('first.first_starts_at').orderBy('bookings.id')
    .executeTakeFirst()
}

/** How many on a class said NEJ (and so are cancelled). */
export async function countSaidNo (db: DbOrTx, classId: number): Promise<number> {
  const row = await saidNo.first(db, { classId })
  return Number(row?.n ?? 0)
}

// The door asks after every tap: prepared once.
const saidNo = prepare((db, v: { classId: number }) => db.selectFrom('bookings').select(e => e.fn.countAll().as('n'))
  .where('class_id', '=', v.classId).where('coming', '=', 'no'))
