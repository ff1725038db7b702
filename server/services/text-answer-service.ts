import type { Tx } from '../db/connection.ts'
import { answerOfferByText } from './offer-service.ts'
import { answerComingByText } from './coming-service.ts'

/** What a JA or NEJ by text answered: the booking it was about, or null when it answered nothing. */
export interface TextAnswer { bookingId: number | null }

/**
 * A JA or NEJ from a number: first an open seat offer to that number (the newest), then
 * an open "Kommer du?" question. Runs in the transaction that stores the text, so a text
 * delivered twice by the provider answers once. Each answer is given under its class's
 * lock by the service that owns it.
 */
export async function answerByText (tx: Tx, msisdn: string, answer: 'yes' | 'no', providerId: string | null, now: Date): Promise<TextAnswer> {
  const offer = await answerOfferByText(tx, msisdn, answer, providerId, now)
  if (offer !== null) return { bookingId: offer }
  const coming = await answerComingByText(tx, msisdn, answer, providerId, now)
  return { bookingId: coming }
}
