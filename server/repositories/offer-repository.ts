import type { DbOrTx } from '../db/connection.ts'
import type { OfferState, SeatOfferRow } from '../db/schema.ts'

/** Seat offers: a freed seat offered to someone on the waiting list, with a deadline. */

export async function insertSeatOffer (db: DbOrTx, offer: { class_id: number, booking_id: number, token: string, offered_at: string, deadline: string }): Promise<SeatOfferRow> {
  return await db.insertInto('seat_offers').values({ ...offer, state: 'open', answered_at: null, answered_via: null }).returningAll().executeTakeFirstOrThrow()
}

export async function findSeatOfferByToken (db: DbOrTx, token: string): Promise<SeatOfferRow | undefined> {
  return await db.selectFrom('seat_offers').selectAll().where('token', '=', token).executeTakeFirst()
}

export async function findSeatOfferById (db: DbOrTx, id: number): Promise<SeatOfferRow | undefined> {
  return await db.selectFrom('seat_offers').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Every offer of a class, oldest first. */
export async function listSeatOffers (db: DbOrTx, classId: number): Promise<SeatOfferRow[]> {
  return await db.selectFrom('seat_offers').selectAll().where('class_id', '=', classId).orderBy('id').execute()
}

/** The offers of one booking, newest first. */
export async function listSeatOffersOfBooking (db: DbOrTx, bookingId: number): Promise<SeatOfferRow[]> {
  return await db.selectFrom('seat_offers').selectAll().where('booking_id', '=', bookingId).orderBy('id', 'desc').execute()
}

/**
 * Ends an offer that is still open: one conditional write, so of two answers at once
 * only one changes it. True when this call changed it.
 */
export async function closeSeatOffer (db: DbOrTx, id: number, state: Exclude<OfferState, 'open'>, at: string, via: string): Promise<boolean> {
  const result = await db.updateTable('seat_offers').set({ state, answered_at: at, answered_via: via })
    .where('id', '=', id).where('state', '=', 'open').executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Classes with an open offer whose deadline has passed. */
export async function listClassesWithOverdueOffers (db: DbOrTx, at: string): Promise<number[]> {
  const rows = await db.selectFrom('seat_offers').select('class_id').distinct()
    .where('state', '=', 'open').where('deadline', '<=', at).orderBy('class_id').execute()
  return rows.map(r => r.class_id)
}

/**
 * Offers to the bookings of a number (the participant's or the booker's phone, as
 * "+4512345678"), newest first, with the class they are on.
 */
export async function listSeatOffersForPhone (db: DbOrTx, phone: string, limit = 5): Promise<SeatOfferRow[]> {
  return await db.selectFrom('seat_offers')
    .innerJoin('bookings', 'bookings.id', 'seat_offers.booking_id')
    .selectAll('seat_offers')
    .where(eb => eb.or([eb('bookings.contact_phone', '=', phone), eb('bookings.booker_phone', '=', phone)]))
    .orderBy('seat_offers.id', 'desc')
    .limit(limit)
    .execute()
}
