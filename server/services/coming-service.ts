import type { Tx } from '../db/connection.ts'

/**
 * "Kommer du?" before the first meeting. TO BE BUILT (issue 19): this placeholder answers
 * no text.
 *
 * A JA or NEJ by text from `msisdn` to an open "Kommer du?" question. Returns the booking
 * id it answered, or null when the number has no open question.
 */
export async function answerComingByText (_tx: Tx, _msisdn: string, _answer: 'yes' | 'no', _providerId: string | null, _now: Date): Promise<number | null> {
  return null
}
