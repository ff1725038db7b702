import { normalizePhone } from './phone.ts'
import { cleanText, nameKey } from './text.ts'

/** What a booking form submits, as strings from the browser. */
export interface BookingFormValues {
  name: string
  phone: string
  email: string
  birth_year: string
  needs_companion: boolean
  needs_hearing_loop: boolean
  needs_other: string
  for_someone_else: boolean
  booker_name: string
  booker_phone: string
  booker_email: string
  /** "Må vi sende dig en sms?": true only for an explicit "ja". */
  sms_consent: boolean
}

export interface BookingInput {
  name: string
  phone: string | null
  email: string | null
  birthYear: number | null
  needsCompanion: boolean
  needsHearingLoop: boolean
  needsOther: string | null
  booker: { name: string, phone: string | null, email: string | null } | null
  /** Yes to text messages about this booking, to the mobile numbers in it (the participant's and the booker's). */
  smsConsent: boolean
}

export type BookingField = Exclude<keyof BookingFormValues, 'needs_companion' | 'needs_hearing_loop' | 'for_someone_else'>
export type BookingFormErrors = Partial<Record<BookingField, string>>

export type BookingFormResult =
  | { ok: true, input: BookingInput }
  | { ok: false, errors: BookingFormErrors }

export const EMPTY_BOOKING_FORM: BookingFormValues = {
  name: '',
  phone: '',
  email: '',
  birth_year: '',
  needs_companion: false,
  needs_hearing_loop: false,
  needs_other: '',
  for_someone_else: false,
  booker_name: '',
  booker_phone: '',
  booker_email: '',
  sms_consent: false
}

/** Field order for an error summary, so its links follow the form from top to bottom. */
export const BOOKING_FIELD_ORDER: BookingField[] = ['name', 'phone', 'email', 'birth_year', 'needs_other', 'booker_name', 'booker_phone', 'booker_email', 'sms_consent']

export const LIMITS = { name: 100, email: 254, phone: 30, needsOther: 500 } as const

const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u2028\u2029]/ // eslint-disable-line no-control-regex
const EMAIL = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[^\s@<>()[\],;:".]{2,}$/

const text = (v: unknown): string => (typeof v === 'string' ? v : Array.isArray(v) ? String(v[0] ?? '') : '')
const checked = (v: unknown): boolean => text(v) !== ''

/**
 * Reads a posted form body into strings, whatever shape it came in. Filling in the
 * booker's fields counts as booking for someone else, also when the box was not ticked
 * (without JavaScript the fields are always visible).
 */
export function readBookingForm (body: unknown): BookingFormValues {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const hasBooker = ['booker_name', 'booker_phone', 'booker_email'].some(key => text(b[key]).trim() !== '')
  return {
    name: text(b.name),
    phone: text(b.phone),
    email: text(b.email),
    birth_year: text(b.birth_year),
    needs_companion: checked(b.needs_companion),
    needs_hearing_loop: checked(b.needs_hearing_loop),
    needs_other: text(b.needs_other),
    // A radio ("nej" = the person at the keyboard takes part) or, from older pages, a tick.
    for_someone_else: (checked(b.for_someone_else) && text(b.for_someone_else) !== 'nej') || hasBooker,
    booker_name: text(b.booker_name),
    booker_phone: text(b.booker_phone),
    booker_email: text(b.booker_email),
    // Consent is never assumed: only the answer "ja" counts.
    sms_consent: text(b.sms_consent) === 'ja'
  }
}

export function cleanName (value: string): string {
  return cleanText(value).replace(/\s+/g, ' ').trim()
}

function checkName (value: string, errors: BookingFormErrors, field: 'name' | 'booker_name', missing: string): string {
  const name = cleanName(value)
  if (name === '') errors[field] = missing
  else if (CONTROL_CHARS.test(value)) errors[field] = 'Navnet indeholder tegn, vi ikke kan bruge. Skriv det igen.'
  else if (name.length > LIMITS.name) errors[field] = `Navnet er for langt. Skriv højst ${LIMITS.name} tegn.`
  else if (!/\p{L}/u.test(name)) errors[field] = 'Skriv et navn med bogstaver.'
  return name
}

function checkPhone (value: string, errors: BookingFormErrors, field: 'phone' | 'booker_phone'): string | null {
  if (value.trim() === '') return null
  if (value.length > LIMITS.phone) {
    errors[field] = 'Telefonnummeret er for langt. Skriv 8 cifre, fx 12 34 56 78.'
    return null
  }
  const result = normalizePhone(value)
  if (!result.ok) {
    errors[field] = 'Telefonnummeret ser forkert ud. Skriv 8 cifre, fx 12 34 56 78. Et udenlandsk nummer skal starte med + og landekoden.'
    return null
  }
  return result.e164
}

export const EMAIL_MESSAGE = 'E-mailadressen ser forkert ud. Den skal se sådan ud: navn@eksempel.dk.'

/** A trimmed, lower-case e-mail address, or null when it is not one. */
export function normaliseEmail (value: string): string | null {
  const email = value.trim()
  return email.length <= LIMITS.email && EMAIL.test(email) ? email.toLowerCase() : null
}

function checkEmail (value: string, errors: BookingFormErrors, field: 'email' | 'booker_email'): string | null {
  if (value.trim() === '') return null
  const email = normaliseEmail(value)
  if (email === null) errors[field] = EMAIL_MESSAGE
  return email
}

/** Validates a booking form. Every message is plain Danish and belongs to one field. */
export function validateBookingForm (values: BookingFormValues, now: Date = new Date()): BookingFormResult {
  const errors: BookingFormErrors = {}
  const forOther = values.for_someone_else

  const name = checkName(values.name, errors, 'name',
    forOther ? 'Skriv navnet på den person, du tilmelder.' : 'Skriv dit navn.')
  const phone = checkPhone(values.phone, errors, 'phone')
  const email = checkEmail(values.email, errors, 'email')
  if (!forOther && values.phone.trim() === '' && values.email.trim() === '') {
    errors.phone = 'Skriv dit telefonnummer eller din e-mailadresse, så vi kan kontakte dig.'
  }

  let birthYear: number | null = null
  const birth = values.birth_year.trim()
  if (birth !== '') {
    const thisYear = now.getFullYear()
    if (!/^\d{4}$/.test(birth)) errors.birth_year = 'Skriv fødselsåret med 4 cifre, fx 1948. Du kan også lade feltet være tomt.'
    else if (Number(birth) < thisYear - 110 || Number(birth) > thisYear - 5) errors.birth_year = `Fødselsåret skal være mellem ${thisYear - 110} og ${thisYear - 5}. Du kan også lade feltet være tomt.`
    else birthYear = Number(birth)
  }

  const needsOther = cleanText(values.needs_other).trim()
  if (needsOther.length > LIMITS.needsOther) errors.needs_other = `Skriv højst ${LIMITS.needsOther} tegn. Du har skrevet ${needsOther.length}.`
  else if (CONTROL_CHARS.test(needsOther.replace(/[\r\n\t]/g, ' '))) errors.needs_other = 'Teksten indeholder tegn, vi ikke kan bruge. Skriv den igen.'

  let booker: BookingInput['booker'] = null
  if (forOther) {
    const bookerName = checkName(values.booker_name, errors, 'booker_name', 'Skriv dit eget navn, når du tilmelder en anden.')
    const bookerPhone = checkPhone(values.booker_phone, errors, 'booker_phone')
    const bookerEmail = checkEmail(values.booker_email, errors, 'booker_email')
    if (values.booker_phone.trim() === '' && values.booker_email.trim() === '') {
      errors.booker_phone = 'Skriv dit eget telefonnummer eller din e-mailadresse, så vi kan kontakte dig.'
    }
    booker = { name: bookerName, phone: bookerPhone, email: bookerEmail }
  }

  // Yes to texts needs a number to send them to. A number typed wrong already has its own
  // message; a landline is taken (the booking page says we phone instead).
  const typedPhones = [values.phone, forOther ? values.booker_phone : ''].filter(p => p.trim() !== '')
  if (values.sms_consent && typedPhones.length === 0) {
    errors.sms_consent = forOther
      ? 'Skriv deltagerens eller dit eget mobilnummer, hvis I vil have sms.'
      : 'Skriv dit mobilnummer, hvis du vil have sms.'
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors }
  return {
    ok: true,
    input: {
      name,
      phone,
      email,
      birthYear,
      needsCompanion: values.needs_companion,
      needsHearingLoop: values.needs_hearing_loop,
      needsOther: needsOther === '' ? null : needsOther,
      booker,
      smsConsent: values.sms_consent
    }
  }
}

/** A person as far as duplicate bookings go: a name and every phone and e-mail we have. */
export interface PersonKey { name: string, contacts: Array<string | null> }

/**
 * The same person: the same name (after compatibility normalisation, case folding and
 * with invisible characters and extra spacing removed, so neither a zero-width space nor
 * full-width letters make a name look new) and at least one phone number or e-mail
 * address in common (e-mail without regard to case). Two people sharing a phone (a
 * couple, or a carer booking for two residents) are not the same person.
 */
export function isSamePerson (a: PersonKey, b: PersonKey): boolean {
  if (nameKey(a.name) !== nameKey(b.name)) return false
  const contact = (c: string) => c.trim().toLowerCase()
  const theirs = new Set(b.contacts.filter(c => c !== null).map(contact))
  return a.contacts.some(c => c !== null && theirs.has(contact(c)))
}

export interface WalkInValues { name: string, phone: string, email: string }
export type WalkInResult =
  | { ok: true, person: { name: string, phone: string | null, email: string | null } }
  | { ok: false, errors: Partial<Record<keyof WalkInValues, string>> }

/** Someone added at the door: a name, and a phone or e-mail only if they want to give one. */
export function validateWalkIn (values: WalkInValues): WalkInResult {
  const errors: BookingFormErrors = {}
  const name = checkName(values.name, errors, 'name', 'Skriv personens navn.')
  const phone = checkPhone(values.phone, errors, 'phone')
  const email = checkEmail(values.email, errors, 'email')
  if (Object.keys(errors).length > 0) return { ok: false, errors: { name: errors.name, phone: errors.phone, email: errors.email } }
  return { ok: true, person: { name, phone, email } }
}

export interface ParticipantValues { name: string, phone: string, email: string, birth_year: string }
export type ParticipantErrors = Partial<Record<keyof ParticipantValues, string>>
export interface ParticipantDetails { name: string, phone: string | null, email: string | null, birthYear: number | null }
export type ParticipantResult = { ok: true, person: ParticipantDetails } | { ok: false, errors: ParticipantErrors }

/** A leader's correction of a participant's name and contact details. */
export function validateParticipantDetails (values: ParticipantValues, now: Date = new Date()): ParticipantResult {
  const errors: BookingFormErrors = {}
  const name = checkName(values.name, errors, 'name', 'Skriv deltagerens navn.')
  const phone = checkPhone(values.phone, errors, 'phone')
  const email = checkEmail(values.email, errors, 'email')
  let birthYear: number | null = null
  const birth = values.birth_year.trim()
  if (birth !== '') {
    const thisYear = now.getFullYear()
    if (!/^\d{4}$/.test(birth) || Number(birth) < thisYear - 110 || Number(birth) > thisYear - 5) {
      errors.birth_year = `Skriv fødselsåret med 4 cifre, mellem ${thisYear - 110} og ${thisYear - 5}, eller lad feltet være tomt.`
    } else birthYear = Number(birth)
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors: { name: errors.name, phone: errors.phone, email: errors.email, birth_year: errors.birth_year } }
  return { ok: true, person: { name, phone, email, birthYear } }
}
