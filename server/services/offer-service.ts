import type { Tx } from '../db/connection.ts'

/**
 * Seat offers with a deadline (classes in 'offer' mode). TO BE BUILT (issue 19): this
 * placeholder answers no text.
 *
 * A JA or NEJ by text from `msisdn` to its newest open offer. Returns the booking id it
 * answered, or null when the number has no open offer.
 */
export async function answerOfferByText (_tx: Tx, _msisdn: string, _answer: 'yes' | 'no', _providerId: string | null, _now: Date): Promise<number | null> {
  return null
}
