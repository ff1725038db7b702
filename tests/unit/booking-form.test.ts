import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isSamePerson, readBookingForm, validateBookingForm } from '../../server/domain/booking-form.ts'

const form = (fields: Record<string, string>) => readBookingForm(fields)
const now = new Date('2026-11-21T12:00:00Z')

describe('booking form validation', () => {
  it('accepts a name and a phone number', () => {
    const result = validateBookingForm(form({ name: '  Søren   Ærø ', phone: '12 34 56 78' }), now)
    expect(result).toEqual({
      ok: true,
      input: { name: 'Søren Ærø', phone: '+4512345678', email: null, birthYear: null, needsCompanion: false, needsHearingLoop: false, needsOther: null, booker: null }
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
