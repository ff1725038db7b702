import { mobileMsisdn } from './sms.ts'

/**
 * Where a booking's texts go, as its private page tells the citizen: each phone number in
 * the booking (the participant's, and that of the person who booked for them) and whether
 * a text reaches it.
 */

/**
 * - `texts`: a mobile number that gets our texts (when the booking says yes to them);
 * - `stopped`: the number answered STOP;
 * - `landline`: a landline (by its number series, or marked by staff): we phone instead.
 */
export type SmsReach = 'texts' | 'stopped' | 'landline'

export interface SmsNumber {
  who: 'participant' | 'booker'
  /** As stored: "+4512345678". */
  phone: string
  reach: SmsReach
}

/** What we know of a number (sms_numbers), by its MSISDN. */
export interface KnownNumber { stopped_at: string | null, landline_at: string | null }

/** The MSISDNs a booking's phone numbers would take texts at (landlines left out). */
export function bookingMsisdns (booking: { phone: string | null, booker_phone: string | null }): string[] {
  return [booking.phone, booking.booker_phone].map(p => mobileMsisdn(p)).filter((m): m is string => m !== null)
}

/** Each distinct phone number of a booking and whether a text reaches it. */
export function smsNumbers (booking: { phone: string | null, booker_phone: string | null }, known: Map<string, KnownNumber>): SmsNumber[] {
  const numbers: SmsNumber[] = []
  const given = [['participant', booking.phone], ['booker', booking.booker_phone]] as const
  for (const [who, phone] of given) {
    if (phone === null || numbers.some(n => n.phone === phone)) continue
    const msisdn = mobileMsisdn(phone)
    const state = msisdn === null ? undefined : known.get(msisdn)
    const reach: SmsReach = msisdn === null || (state?.landline_at ?? null) !== null ? 'landline' : (state?.stopped_at ?? null) !== null ? 'stopped' : 'texts'
    numbers.push({ who, phone, reach })
  }
  return numbers
}
