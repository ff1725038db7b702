import { LOCATION_KINDS } from './catalogue-vocabulary.ts'

const text = (body: Record<string, unknown>, key: string): string => {
  const value = body[key]
  return typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : ''
}
const clean = (value: string): string => value.normalize('NFC').replace(/[\u0000-\u001F\u007F]/g, ' ').replace(/\s+/g, ' ').trim() // eslint-disable-line no-control-regex

export interface LocationFormValues {
  name: string
  kind: string
  street: string
  postal_code: string
  city: string
  room: string
  access_note: string
  step_free: boolean
  hearing_loop: boolean
}

export interface LocationInput {
  name: string
  kind: keyof typeof LOCATION_KINDS
  street: string
  postalCode: string
  city: string
  room: string | null
  accessNote: string | null
  stepFree: boolean
  hearingLoop: boolean
}

export type LocationErrors = Partial<Record<'name' | 'kind' | 'street' | 'postal_code' | 'city' | 'room' | 'access_note', string>>

export function readLocationForm (body: unknown): LocationFormValues {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  return {
    name: text(b, 'name'),
    kind: text(b, 'kind'),
    street: text(b, 'street'),
    postal_code: text(b, 'postal_code'),
    city: text(b, 'city'),
    room: text(b, 'room'),
    access_note: text(b, 'access_note'),
    step_free: text(b, 'step_free') !== '',
    hearing_loop: text(b, 'hearing_loop') !== ''
  }
}

/** Validates a place (library branch, club premises, Borgerservice office). */
export function validateLocation (v: LocationFormValues): { ok: true, input: LocationInput } | { ok: false, errors: LocationErrors } {
  const errors: LocationErrors = {}
  const name = clean(v.name)
  const street = clean(v.street)
  const postalCode = clean(v.postal_code)
  const city = clean(v.city)
  const room = clean(v.room)
  const accessNote = v.access_note.trim()
  if (name === '' || name.length > 200) errors.name = 'Skriv stedets navn (højst 200 tegn).'
  if (!Object.hasOwn(LOCATION_KINDS, v.kind)) errors.kind = 'Vælg, hvilken slags sted det er.'
  if (street === '' || street.length > 200) errors.street = 'Skriv vejnavn og husnummer.'
  if (!/^\d{4}$/.test(postalCode)) errors.postal_code = 'Skriv et postnummer med 4 cifre, fx 8700.'
  if (city === '' || city.length > 100) errors.city = 'Skriv bynavnet.'
  if (room.length > 200) errors.room = 'Skriv højst 200 tegn.'
  if (accessNote.length > 500) errors.access_note = 'Skriv højst 500 tegn.'
  if (Object.keys(errors).length > 0) return { ok: false, errors }
  return {
    ok: true,
    input: {
      name,
      kind: v.kind as keyof typeof LOCATION_KINDS,
      street,
      postalCode,
      city,
      room: room === '' ? null : room,
      accessNote: accessNote === '' ? null : accessNote,
      stepFree: v.step_free,
      hearingLoop: v.hearing_loop
    }
  }
}

export interface PartnerFormValues { name: string, contact: string, note: string }
export interface PartnerInput { name: string, contact: string | null, note: string | null }
export type PartnerErrors = Partial<Record<keyof PartnerFormValues, string>>

export function readPartnerForm (body: unknown): PartnerFormValues {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  return { name: text(b, 'name'), contact: text(b, 'contact'), note: text(b, 'note') }
}

/** Validates a partner: a club or association that co-hosts classes. */
export function validatePartner (v: PartnerFormValues): { ok: true, input: PartnerInput } | { ok: false, errors: PartnerErrors } {
  const errors: PartnerErrors = {}
  const name = clean(v.name)
  const contact = clean(v.contact)
  const note = v.note.trim()
  if (name === '' || name.length > 200) errors.name = 'Skriv partnerens navn (højst 200 tegn).'
  if (contact.length > 300) errors.contact = 'Skriv højst 300 tegn.'
  if (note.length > 1000) errors.note = 'Skriv højst 1000 tegn.'
  if (Object.keys(errors).length > 0) return { ok: false, errors }
  return { ok: true, input: { name, contact: contact === '' ? null : contact, note: note === '' ? null : note } }
}
