import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isSamePerson, readBookingForm, validateBookingForm } from '../../server/domain/booking-form.ts'
import { bookingMsisdns, smsNumbers } from '../../server/domain/sms-consent.ts'

const form = (fields: Record<string, string>) => readBookingForm(fields)
const now = new Date('2026-11-21T12:00:00Z')

describe('booking form validation', () => {
  it('accepts a name and a phone number', () => {
    const result = validateBookingForm(form({ name: '  Søren   Ærø ', phone: '12 34 56 78' }), now)
    expect(result).toEqual({
      ok: true,
      input: { name: 'Søren Ærø', phone: '+4512345678', email: null, birthYear: null, needsCompanion: false, needsHearingLoop: false, needsOther: null, booker: null, smsConsent: false }
    })
  })

  it('needs a name and at least one way to reach the participant', () => {
    const result = validateBookingForm(form({}), now)
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.errors.name).toBe('Skriv dit navn.')
      expect(result.errors.phone).toMatch(/telefonnummer eller din e-mailadresse/)
    }
  })

  it('explains a wrong phone number, e-mail and birth year in Danish', () => {
    const result = validateBookingForm(form({ name: 'Inger', phone: '1234', email: 'inger@', birth_year: '48' }), now)
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.errors.phone).toMatch(/Skriv 8 cifre/)
      expect(result.errors.email).toMatch(/navn@eksempel.dk/)
      expect(result.errors.birth_year).toMatch(/4 cifre/)
    }
  })

  it('rejects birth years that cannot be right', () => {
    expect(validateBookingForm(form({ name: 'A B', phone: '12345678', birth_year: '1890' }), now).ok).toBe(false)
    expect(validateBookingForm(form({ name: 'A B', phone: '12345678', birth_year: '2025' }), now).ok).toBe(false)
    expect(validateBookingForm(form({ name: 'A B', phone: '12345678', birth_year: '1930' }), now).ok).toBe(true)
  })

  it('rejects control characters and over-long text', () => {
    expect(validateBookingForm(form({ name: 'Bent\u0000', phone: '12345678' }), now).ok).toBe(false)
    expect(validateBookingForm(form({ name: 'x'.repeat(101), phone: '12345678' }), now).ok).toBe(false)
    expect(validateBookingForm(form({ name: 'Bent', phone: '12345678', needs_other: 'y'.repeat(501) }), now).ok).toBe(false)
  })

  it('lets a relative book without the participant having phone or e-mail, but then needs the relative\'s contact', () => {
    const missing = validateBookingForm(form({ name: 'Ruth Holm', for_someone_else: '1', booker_name: 'Lone Holm' }), now)
    expect(missing.ok).toBe(false)
    if (!missing.ok) expect(missing.errors.booker_phone).toMatch(/dit eget telefonnummer/)

    const ok = validateBookingForm(form({ name: 'Ruth Holm', for_someone_else: '1', booker_name: 'Lone Holm', booker_email: 'Lone@Example.dk' }), now)
    expect(ok.ok && ok.input.booker).toEqual({ name: 'Lone Holm', phone: null, email: 'lone@example.dk' })
  })

  it('counts filled-in booker fields as booking for someone else, also without the tick', () => {
    expect(readBookingForm({ name: 'Ruth Holm', booker_name: 'Lone Holm' }).for_someone_else).toBe(true)
    expect(readBookingForm({ name: 'Ruth Holm', booker_phone: '  ' }).for_someone_else).toBe(false)
    expect(readBookingForm({ name: 'Ruth Holm', for_someone_else: '1' }).for_someone_else).toBe(true)
    // The form's first question: "Mig selv" (nej) or "En anden" (ja); the booker's fields still win.
    expect(readBookingForm({ name: 'Ruth Holm', for_someone_else: 'nej' }).for_someone_else).toBe(false)
    expect(readBookingForm({ name: 'Ruth Holm', for_someone_else: 'ja' }).for_someone_else).toBe(true)
    expect(readBookingForm({ name: 'Ruth Holm', for_someone_else: 'nej', booker_name: 'Lone Holm' }).for_someone_else).toBe(true)
  })

  it('reads any body shape without throwing', () => {
    expect(readBookingForm(null).name).toBe('')
    expect(readBookingForm({ name: ['a', 'b'], phone: 42 }).name).toBe('a')
    expect(readBookingForm({ phone: { x: 1 } }).phone).toBe('')
  })
})

describe('the question about texts', () => {
  const consent = (fields: Record<string, string>) => validateBookingForm(form(fields), now)

  it('reads yes only from an explicit "ja"; no, missing or anything else is no', () => {
    expect(form({ sms_consent: 'ja' }).sms_consent).toBe(true)
    expect(form({ sms_consent: 'nej' }).sms_consent).toBe(false)
    expect(form({}).sms_consent).toBe(false)
    expect(form({ sms_consent: 'on' }).sms_consent).toBe(false)
    expect(readBookingForm({ sms_consent: ['ja', 'nej'] }).sms_consent).toBe(true)
    expect(readBookingForm({ sms_consent: true }).sms_consent).toBe(false)
  })

  it('stores the answer with the booking', () => {
    const yes = consent({ name: 'Grethe Hansen', phone: '22 33 44 55', sms_consent: 'ja' })
    expect(yes.ok && yes.input.smsConsent).toBe(true)
    const no = consent({ name: 'Grethe Hansen', phone: '22 33 44 55', sms_consent: 'nej' })
    expect(no.ok && no.input.smsConsent).toBe(false)
    const missing = consent({ name: 'Grethe Hansen', phone: '22 33 44 55' })
    expect(missing.ok && missing.input.smsConsent).toBe(false)
  })

  it('asks for a mobile number when the answer is yes and there is none, next to the question', () => {
    const result = consent({ name: 'Grethe Hansen', email: 'grethe@example.dk', sms_consent: 'ja' })
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.errors).toEqual({ sms_consent: 'Skriv dit mobilnummer, hvis du vil have sms.' })
    // No says nothing about the phone.
    expect(consent({ name: 'Grethe Hansen', email: 'grethe@example.dk', sms_consent: 'nej' }).ok).toBe(true)
  })

  it('leaves a wrongly typed number to its own message', () => {
    const result = consent({ name: 'Grethe Hansen', phone: '1234', sms_consent: 'ja' })
    expect(result.ok).toBe(false)
    if (!result.ok) expect(Object.keys(result.errors)).toEqual(['phone'])
  })

  it('covers both numbers when someone books for another: either one will do', () => {
    const bookerOnly = consent({ name: 'Ruth Holm', for_someone_else: 'ja', booker_name: 'Lone Holm', booker_phone: '22 33 44 55', sms_consent: 'ja' })
    expect(bookerOnly.ok && bookerOnly.input.smsConsent).toBe(true)
    const none = consent({ name: 'Ruth Holm', for_someone_else: 'ja', booker_name: 'Lone Holm', booker_email: 'lone@example.dk', sms_consent: 'ja' })
    expect(none.ok).toBe(false)
    if (!none.ok) expect(none.errors.sms_consent).toBe('Skriv deltagerens eller dit eget mobilnummer, hvis I vil have sms.')
  })

  it('takes a yes with a landline: the booking stands, and the number is known to take no texts', () => {
    const result = consent({ name: 'Grethe Hansen', phone: '75 61 22 33', sms_consent: 'ja' })
    expect(result.ok && result.input).toMatchObject({ phone: '+4575612233', smsConsent: true })
    expect(smsNumbers({ phone: '+4575612233', booker_phone: null }, new Map())).toEqual([{ who: 'participant', phone: '+4575612233', reach: 'landline' }])
  })
})

describe('where texts reach', () => {
  it('tells each number of a booking apart: texts, STOP, landline (by series or marked by staff)', () => {
    const known = new Map([
      ['4522222222', { stopped_at: '2030-01-01T10:00:00.000Z', landline_at: null }],
      ['4540404040', { stopped_at: null, landline_at: '2030-01-01T10:00:00.000Z' }]
    ])
    expect(smsNumbers({ phone: '+4520202020', booker_phone: '+4522222222' }, known)).toEqual([
      { who: 'participant', phone: '+4520202020', reach: 'texts' },
      { who: 'booker', phone: '+4522222222', reach: 'stopped' }
    ])
    expect(smsNumbers({ phone: '+4540404040', booker_phone: '+4540404040' }, known)).toEqual([{ who: 'participant', phone: '+4540404040', reach: 'landline' }])
    expect(smsNumbers({ phone: null, booker_phone: null }, known)).toEqual([])
    expect(bookingMsisdns({ phone: '+4520202020', booker_phone: '+4575612233' })).toEqual(['4520202020'])
  })
})

describe('same person', () => {
  it('is the same name with a contact in common', () => {
    expect(isSamePerson({ name: 'Grethe Hansen', contacts: ['+4512345678'] }, { name: ' grethe  hansen', contacts: ['+4512345678', null] })).toBe(true)
  })
  it('is not a spouse sharing the phone', () => {
    expect(isSamePerson({ name: 'Grethe Hansen', contacts: ['+4512345678'] }, { name: 'Hans Hansen', contacts: ['+4512345678'] })).toBe(false)
  })
  it('is not a namesake with other contacts', () => {
    expect(isSamePerson({ name: 'Hans Jensen', contacts: ['a@b.dk'] }, { name: 'Hans Jensen', contacts: ['c@d.dk', null] })).toBe(false)
  })
  it('sees through invisible characters and full-width letters put anywhere in a name, and only through them', () => {
    const invisible = fc.constantFrom('\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD', '\u202E', '\u2066', '\u2069', '\u200F', '\u061C')
    const name = fc.stringMatching(/^[A-Za-zÆØÅæøå]{1,8}( [A-Za-zÆØÅæøå]{1,8}){0,2}$/)
    const fullWidth = (s: string) => s.replace(/[A-Za-z]/g, c => String.fromCodePoint(c.codePointAt(0)! + 0xFEE0))
    fc.assert(fc.property(name, fc.array(fc.tuple(fc.nat(), invisible), { maxLength: 5 }), fc.boolean(), (n, inserts, wide) => {
      let typed = wide ? fullWidth(n) : n
      for (const [at, ch] of inserts) typed = typed.slice(0, at % (typed.length + 1)) + ch + typed.slice(at % (typed.length + 1))
      expect(isSamePerson({ name: typed, contacts: ['+4512345678'] }, { name: n, contacts: ['+4512345678'] })).toBe(true)
      expect(isSamePerson({ name: typed, contacts: ['+4512345678'] }, { name: `${n}x`, contacts: ['+4512345678'] })).toBe(false)
    }))
  })
})
