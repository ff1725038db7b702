import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../server/config.ts'
import { formatCheckinCode } from '../../server/domain/checkin-code.ts'
import { SMS_MAX, classifyReply, gsm7Length, inQuietHours, isGsm7, mobileMsisdn, shortenWords, smsSendMoment, toGsm7 } from '../../server/domain/sms.ts'
import { formatDateTime, fromLocal } from '../../server/domain/time.ts'
import type { BookingFacts, ClassFacts, MailMessage } from '../../server/mail/messages.ts'
import { SMS_KINDS, renderSms } from '../../server/mail/sms-text.ts'
import { loadCatalogue } from '../../server/services/catalogue-service.ts'
import { coursesDir } from '../helpers/database.ts'

const QUIET = { from: 21, to: 8 }

describe('GSM-7', () => {
  it('keeps the Danish letters and replaces what the alphabet lacks', () => {
    expect(toGsm7('Æble, øl og ål: æøåÆØÅ')).toBe('Æble, øl og ål: æøåÆØÅ')
    expect(toGsm7('10–12 “Digital Post” … ’s')).toBe('10-12 "Digital Post" ... \'s')
    expect(toGsm7('Vi ses 😊')).toBe('Vi ses ?')
    // An emoji made of several code points (a skin tone, a family, a flag, a heart with its
    // variation selector) is one "?", and invisible characters leave nothing behind.
    expect(toGsm7('👍🏽 👨‍👩‍👧 🇩🇰 ❤️')).toBe('? ? ? ?')
    expect(toGsm7('Hej\u200b med\u00ad dig')).toBe('Hej med dig')
    expect(toGsm7('Łódź, ç, é')).toBe('Lodz, c, é')
    for (const text of ['Vi ses 😊', '👍🏽 👨‍👩‍👧 🇩🇰 ❤️', '10–12 “x” …', '\u0007\u200d']) expect(isGsm7(toGsm7(text))).toBe(true)
  })

  it('never produces anything outside GSM-7, whatever it is given', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), text => isGsm7(toGsm7(text))), { numRuns: 500 })
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), text => isGsm7(toGsm7(text))), { numRuns: 500 })
  })

  it('counts the extension characters € [ ] { } as two septets', () => {
    expect(gsm7Length('abc')).toBe(3)
    expect(gsm7Length('æøå')).toBe(3)
    expect(gsm7Length('€')).toBe(2)
    expect(gsm7Length('[]{}')).toBe(8)
    expect(gsm7Length('Pris: 20 €')).toBe(11)
    expect(isGsm7('Pris: 20 €')).toBe(true)
    expect(isGsm7('“x”')).toBe(false)
  })
})

describe('shortenWords', () => {
  it('cuts at a word with "..." and leaves no trailing comma or dash', () => {
    expect(shortenWords('Digital Post – læs, svar og få hjælp', 100)).toBe('Digital Post – læs, svar og få hjælp')
    expect(shortenWords('Digital Post - læs, svar og få hjælp', 22)).toBe('Digital Post - læs...')
    expect(shortenWords('Digital Post - læs, svar og få hjælp', 21)).toBe('Digital Post...')
    expect(shortenWords('Digital Post - læs, svar og få hjælp', 17)).toBe('Digital Post...')
    expect(shortenWords('  Digital   Post  ', 20)).toBe('Digital Post')
  })

  it('counts € as two septets when it cuts, also inside one long word', () => {
    expect(gsm7Length(shortenWords('€€€€€€ €€€€€€', 15))).toBeLessThanOrEqual(15)
    expect(shortenWords('€€€€€€€€€€€€€€€€', 11)).toBe('€€€€...')
    expect(shortenWords('Sundhedsplatformen', 2)).toBe('')
  })

  it('never cuts inside a word that fits', () => {
    const word = fc.string({ unit: fc.constantFrom(...'abcæøåXYZ€{'), minLength: 1, maxLength: 14 })
    fc.assert(fc.property(fc.array(word, { minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 120 }), (words, extra) => {
      const text = words.join(' ')
      const max = gsm7Length(words[0] as string) + 3 + extra
      const short = shortenWords(text, max)
      expect(gsm7Length(short)).toBeLessThanOrEqual(max)
      if (short === text) return
      expect(short.endsWith('...')).toBe(true)
      const kept = short.slice(0, -3).split(' ')
      // The words kept are the first words of the text, each whole.
      expect(kept).toEqual(words.slice(0, kept.length))
    }), { numRuns: 1000 })
  })
})

describe('texts', () => {
  // Next year, so that the date has its year: the longest date there is.
  const now = new Date('2026-12-01T10:00:00Z')
  const startsAt = fromLocal('2027-09-30', '10:00')
  const when = formatDateTime(startsAt, now)
  const context = { now, publicUrl: 'https://kurser.horsens.dk', contactPhone: '70 10 20 30' }
  const token = 'a'.repeat(43)
  const longWords = (length: number, word: string) => {
    let text = word
    while (text.length < length) text += ` ${word}`
    return text.slice(0, length).trim()
  }
  const artificialTitle = longWords(200, 'Sikkerhedsindstillinger')
  const artificialPlace = longWords(200, 'Kulturhuset')
  let catalogueTitle = ''
  let demoPlace = ''

  beforeAll(async () => {
    const titles = (await loadCatalogue(coursesDir)).map(c => c.title)
    catalogueTitle = titles.reduce((a, b) => gsm7Length(toGsm7(b)) > gsm7Length(toGsm7(a)) ? b : a)
    // The places the demo data creates, read from its source (running it books a few hundred
    // people, seconds a unit test should not take): every insertLocation call must be read.
    const demo = await readFile(resolve(import.meta.dirname, '../../server/cli/demo-data.ts'), 'utf8')
    const places = [...demo.matchAll(/insertLocation\(db, \{ name: '([^']+)'/g)].map(m => m[1] as string)
    expect(places.length).toBe(demo.split('await insertLocation(').length - 1)
    expect(places.length).toBeGreaterThanOrEqual(3)
    expect(titles.length).toBeGreaterThan(5)
    demoPlace = places.reduce((a, b) => gsm7Length(toGsm7(b)) > gsm7Length(toGsm7(a)) ? b : a)
  })

  /** The name is in the text whole, or its first words (at least one) and "...". */
  function keptWhole (text: string, name: string): boolean {
    const words = toGsm7(name).replace(/\s+/g, ' ').trim().split(' ')
    if (text.includes(words.join(' '))) return true
    for (let k = words.length - 1; k >= 1; k--) {
      if (text.includes(`${words.slice(0, k).join(' ').replace(/[\s,;:.\-–(]+$/u, '')}...`)) return true
    }
    return false
  }

  function classOf (title: string, place: string): ClassFacts {
    const meetings = [{ id: 7, starts_at: startsAt, ends_at: fromLocal('2027-09-30', '12:00') }]
    return { id: 1, courseSlug: 'kursus', courseTitle: title, locationName: place, room: 'Mødelokale 2', street: 'Tobaksgården 12', postalCode: '8700', city: 'Horsens', stepFree: true, hearingLoop: true, note: null, bring: [], meetings }
  }

  /** Every message a text is made for, with whether it carries the date and the check-in code. */
  function everyKind (cls: ClassFacts, booking: BookingFacts): Array<{ message: MailMessage, date: boolean, code: boolean }> {
    const about = { booking, cls }
    return [
      { message: { kind: 'booking_confirmed', ...about }, date: true, code: true },
      { message: { kind: 'booking_waitlisted', waitlistNumber: 12, ...about }, date: true, code: false },
      { message: { kind: 'booking_promoted', ...about }, date: true, code: true },
      { message: { kind: 'booking_cancelled', ...about }, date: true, code: false },
      { message: { kind: 'class_changed', before: cls, waitlisted: false, ...about }, date: true, code: true },
      { message: { kind: 'class_changed', before: cls, waitlisted: true, ...about }, date: true, code: false },
      { message: { kind: 'class_cancelled', ...about }, date: true, code: false },
      { message: { kind: 'reminder', meetingId: 7, ...about }, date: true, code: true },
      { message: { kind: 'class_message', text: longWords(120, 'Lokalet er flyttet til 2. sal.'), from: 'Mette', ...about }, date: false, code: false },
      // Unanswered seats released the evening before, or three days before (the longest wording).
      { message: { kind: 'coming_request', releaseAt: null, ...about }, date: true, code: false },
      { message: { kind: 'coming_request', releaseAt: fromLocal('2027-09-27', '10:00'), ...about }, date: true, code: false },
      { message: { kind: 'coming_reminder', releaseAt: fromLocal('2027-09-29', '22:00'), ...about }, date: true, code: false },
      { message: { kind: 'coming_released', releaseAt: fromLocal('2027-09-29', '22:00'), ...about }, date: true, code: false },
      { message: { kind: 'sms_stopped' }, date: false, code: false },
      { message: { kind: 'sms_started' }, date: false, code: false },
      { message: { kind: 'seat_offer', offerToken: token, deadline: new Date(now.getTime() + 24 * 3600_000).toISOString(), ...about }, date: true, code: false },
      { message: { kind: 'offer_declined', ...about }, date: true, code: false },
      { message: { kind: 'offer_reply', outcome: 'too_late', ...about }, date: true, code: false },
      { message: { kind: 'offer_reply', outcome: 'already_yours', ...about }, date: true, code: false },
      { message: { kind: 'offer_reply', outcome: 'closed', ...about }, date: true, code: false }
    ]
  }

  it('covers every kind that goes out as a text', () => {
    const kinds = new Set(everyKind(classOf('X', 'Y'), { id: 1, token, name: 'A', bookerName: null, to: 'participant', checkinCode: 'K7M4PX' }).map(k => k.message.kind))
    expect(kinds).toEqual(new Set(SMS_KINDS))
  })

  it('fits every kind in one text with the longest title and place, for participant and booker', () => {
    expect(catalogueTitle.length).toBeGreaterThan(40)
    const cases = [
      { title: catalogueTitle, place: demoPlace },
      { title: artificialTitle, place: demoPlace },
      { title: catalogueTitle, place: artificialPlace },
      { title: artificialTitle, place: artificialPlace }
    ]
    let checked = 0
    for (const { title, place } of cases) {
      for (const to of ['participant', 'booker'] as const) {
        const booking: BookingFacts = { id: 1, token, name: 'Karen Margrethe Østergaard-Christensen', bookerName: to === 'booker' ? 'Hans Jensen' : null, to, checkinCode: 'K7M4PX' }
        for (const { message, date, code } of everyKind(classOf(title, place), booking)) {
          for (const includeLink of [false, true]) {
            const text = renderSms(message, { ...context, includeLink })
            const what = `${message.kind} to ${to} (${title.slice(0, 20)}…, ${place.slice(0, 20)}…, link ${includeLink}): ${text}`
            expect(text, what).not.toBeNull()
            if (text === null) continue
            expect(gsm7Length(text), what).toBeLessThanOrEqual(SMS_MAX)
            expect(isGsm7(text), what).toBe(true)
            if (date) expect(text, what).toContain(when)
            if (code) expect(text, what).toContain(formatCheckinCode('K7M4PX'))
            if (!includeLink) expect(text, what).not.toMatch(/https?:|www\.|\/tilmelding\//)
            else if (text.includes('http')) expect(text, what).toContain(`https://kurser.horsens.dk/tilmelding/${token}`)
            // Title and place are shortened at a word, and keep at least their first word.
            if ('cls' in message) expect(keptWhole(text, title), what).toBe(true)
            // A cancellation and "Kommer du?" name the course and the time, not the place.
            if ('cls' in message && date && message.kind !== 'booking_cancelled' && !message.kind.startsWith('coming_')) expect(keptWhole(text, place), what).toBe(true)
            // The first question says that an unanswered seat goes on.
            if (message.kind === 'coming_request' && message.releaseAt !== null) expect(text, what).toContain('ellers går pladsen videre')
            if (message.kind === 'class_message') expect(text, what).toContain(message.text)
            // The person who booked reads whom a booking text is about.
            if (to === 'booker' && message.kind.startsWith('booking_')) expect(text, what).toMatch(/^Karen /)
            // Never a word cut in two: whatever was shortened ends in "...".
            expect(text, what).not.toMatch(/\.{4}/)
            checked++
          }
        }
      }
    }
    expect(checked).toBe(4 * 2 * 20 * 2)
  })

  it('asks "Kommer du?" with JA or NEJ and, where seats are released, says until when', () => {
    const booking: BookingFacts = { id: 1, token, name: 'Grethe Hansen', bookerName: 'Hans', to: 'participant', checkinCode: 'K7M4PX' }
    const cls = classOf('MitID-appen', 'Hovedbiblioteket')
    const releaseAt = fromLocal('2027-09-29', '22:00')
    const ctx = { ...context, includeLink: false }
    expect(renderSms({ kind: 'coming_request', releaseAt: null, booking, cls }, ctx)).toBe(`Kommer du til MitID-appen, ${when}? Svar JA eller NEJ.`)
    expect(renderSms({ kind: 'coming_request', releaseAt, booking, cls }, ctx)).toBe(`Kommer du til MitID-appen, ${when}? Svar JA eller NEJ inden dagen før kl. 22.00, ellers går pladsen videre.`)
    expect(renderSms({ kind: 'coming_reminder', releaseAt: fromLocal('2027-09-30', '08:00'), booking: { ...booking, to: 'booker' }, cls }, ctx)).toBe(`Husk svar: kommer Grethe til MitID-appen, ${when}? Svar JA eller NEJ inden kl. 08.00. Ellers går pladsen videre.`)
  })

  it('keeps the whole title and place when they fit, and puts the link in when asked and there is room', () => {
    const booking: BookingFacts = { id: 1, token, name: 'Grethe', bookerName: null, to: 'participant', checkinCode: 'K7M4PX' }
    const message: MailMessage = { kind: 'booking_cancelled', booking, cls: classOf('MitID-appen', 'Hovedbiblioteket') }
    expect(renderSms(message, { ...context, includeLink: false })).toBe(`Du er afmeldt: MitID-appen, ${when}.`)
    expect(renderSms(message, { ...context, includeLink: true })).toBe(`Du er afmeldt: MitID-appen, ${when}. https://kurser.horsens.dk/tilmelding/${token}`)
    expect(renderSms({ kind: 'booking_link', waitlistNumber: null, booking, cls: classOf('X', 'Y') }, { ...context, includeLink: false })).toBeNull()
  })

  it('is one GSM-7 text with date and code whatever the title, place and name are', () => {
    const name = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 250 }), fc.string({ unit: fc.constantFrom('€', '{', 'x', ' ', 'æ', '–', '😀'), maxLength: 250 }))
    fc.assert(fc.property(name, name, name, fc.boolean(), fc.constantFrom('participant' as const, 'booker' as const), (title, place, person, includeLink, to) => {
      const booking: BookingFacts = { id: 1, token, name: person, bookerName: 'Hans', to, checkinCode: 'K7M4PX' }
      for (const { message, date, code } of everyKind(classOf(title, place), booking)) {
        const text = renderSms(message, { ...context, includeLink }) as string
        expect(gsm7Length(text)).toBeLessThanOrEqual(SMS_MAX)
        expect(isGsm7(text)).toBe(true)
        if (date) expect(text).toContain(when)
        if (code) expect(text).toContain('K7M 4PX')
      }
    }), { numRuns: 200 })
  })
})

describe('quiet hours', () => {
  const at = (date: string, time: string) => new Date(fromLocal(date, time))

  it.each([
    ['an ordinary day', '2027-06-15', '2027-06-16'],
    ['the night summer time begins', '2027-03-27', '2027-03-28'],
    ['the night summer time ends', '2027-10-30', '2027-10-31']
  ])('are 21.00 to 08.00 Copenhagen time on %s', (_, evening, morning) => {
    expect(inQuietHours(at(evening, '20:59'), QUIET)).toBe(false)
    expect(inQuietHours(at(evening, '21:00'), QUIET)).toBe(true)
    expect(inQuietHours(at(morning, '03:00'), QUIET)).toBe(true)
    expect(inQuietHours(at(morning, '07:59'), QUIET)).toBe(true)
    expect(inQuietHours(at(morning, '08:00'), QUIET)).toBe(false)
    expect(inQuietHours(at(evening, '21:00'), null)).toBe(false)
    // A text due at night waits until 08.00 Copenhagen time, whatever the offset is then.
    expect(smsSendMoment(at(evening, '22:00'), QUIET)).toEqual(at(morning, '08:00'))
    expect(smsSendMoment(at(morning, '03:00'), QUIET)).toEqual(at(morning, '08:00'))
    expect(smsSendMoment(at(evening, '20:59'), QUIET)).toEqual(at(evening, '20:59'))
    expect(smsSendMoment(at(evening, '22:00'), null)).toEqual(at(evening, '22:00'))
  })

  it('changes offset in the night they wait over', () => {
    // 22.00 CET is 21.00 UTC; 08.00 CEST the next morning is 06.00 UTC (nine hours later, not ten).
    expect(smsSendMoment(new Date('2027-03-27T21:00:00Z'), QUIET).toISOString()).toBe('2027-03-28T06:00:00.000Z')
    expect(smsSendMoment(new Date('2027-10-30T20:00:00Z'), QUIET).toISOString()).toBe('2027-10-31T07:00:00.000Z')
  })

  it('let a text about a meeting before 08.00 go at once', () => {
    const due = at('2027-06-15', '22:00')
    expect(smsSendMoment(due, QUIET, at('2027-06-16', '07:30'))).toEqual(due)
    expect(smsSendMoment(due, QUIET, at('2027-06-16', '08:00'))).toEqual(due)
    expect(smsSendMoment(due, QUIET, at('2027-06-16', '09:00'))).toEqual(at('2027-06-16', '08:00'))
    expect(smsSendMoment(due, QUIET, null)).toEqual(at('2027-06-16', '08:00'))
  })

  it('may be hours that do not cross midnight', () => {
    const early = { from: 1, to: 6 }
    expect(inQuietHours(at('2027-06-15', '00:59'), early)).toBe(false)
    expect(inQuietHours(at('2027-06-15', '01:00'), early)).toBe(true)
    expect(inQuietHours(at('2027-06-15', '06:00'), early)).toBe(false)
    expect(smsSendMoment(at('2027-06-15', '02:00'), early)).toEqual(at('2027-06-15', '06:00'))
  })
})

describe('replies', () => {
  it.each([
    ['STOP', 'stop'], ['stop', 'stop'], [' S T O P ', 'stop'], ['Stop.', 'stop'], ['STOP!', 'stop'], ['stop sms', 'stop'],
    ['start', 'start'], ['START', 'start'], ['Start.', 'start'],
    ['Hej', 'reply'], ['Jeg kan ikke komme på tirsdag', 'reply'], ['stop venligst med at skrive', 'reply'], ['', 'reply']
  ])('"%s" is %s', (text, kind) => {
    expect(classifyReply(text)).toBe(kind)
  })
})

describe('mobile numbers', () => {
  it.each([
    ['+4520123456', '4520123456'], ['+4530123456', '4530123456'], ['+4531123456', '4531123456'],
    ['+4540123456', '4540123456'], ['+4542123456', '4542123456'], ['+4550123456', '4550123456'],
    ['+4553123456', '4553123456'], ['+4560123456', '4560123456'], ['+4561123456', '4561123456'],
    ['+4571123456', '4571123456'], ['+4581123456', '4581123456'], ['+4591123456', '4591123456'],
    ['+4593123456', '4593123456'],
    ['+46701234567', '46701234567'], ['+4915123456789', '4915123456789']
  ])('%s takes texts as %s', (e164, msisdn) => {
    expect(mobileMsisdn(e164)).toBe(msisdn)
  })

  it.each([
    ['+4533123456', 'a landline in Copenhagen'], ['+4586123456', 'a landline in Aarhus'], ['+4575123456', 'a landline in Horsens'],
    ['+4570102030', 'a 70 business number'], ['+4580123456', 'an 80 free number'], ['+4590123456', 'a 90 premium number'],
    ['+4543123456', 'a landline (43)'], ['+4532123456', 'a landline (32)'], ['+452012345', 'too short'],
    ['4520123456', 'no plus'], ['+45 20 12 34 56', 'with spaces'], ['', 'empty']
  ])('%s gets no text (%s)', e164 => {
    expect(mobileMsisdn(e164)).toBeNull()
  })

  it('gets no text without a number', () => {
    expect(mobileMsisdn(null)).toBeNull()
    expect(mobileMsisdn(undefined)).toBeNull()
  })
})

describe('SMS settings', () => {
  const base = { DATABASE_FILE: ':memory:' }

  it('has safe defaults: no provider, quiet from 21 to 8, no link', () => {
    const { sms } = loadConfig({ ...base })
    expect(sms.provider).toBe('none')
    expect(sms.quietHours).toEqual({ from: 21, to: 8 })
    expect(sms.includeLink).toBe(false)
    expect(sms.apiToken).toBeNull()
    expect(sms.sender.length).toBeLessThanOrEqual(11)
  })

  it('reads every SMS variable', () => {
    const env = { SMS_PROVIDER: 'gatewayapi', SMS_API_TOKEN: 'token-0123456789', SMS_API_URL: 'https://gatewayapi.eu/', SMS_SENDER: 'Horsens1234', SMS_MONTHLY_LIMIT: '500', SMS_WEBHOOK_SECRET: 'x'.repeat(32), SMS_QUIET_HOURS: '22-7', SMS_INCLUDE_LINK: 'true' }
    expect(loadConfig({ ...base, ...env }).sms).toEqual({ provider: 'gatewayapi', apiToken: 'token-0123456789', apiUrl: 'https://gatewayapi.eu', sender: 'Horsens1234', monthlyLimit: 500, webhookSecret: 'x'.repeat(32), quietHours: { from: 22, to: 7 }, includeLink: true })
    expect(loadConfig({ ...base, SMS_QUIET_HOURS: 'off' }).sms.quietHours).toBeNull()
    expect(loadConfig({ ...base, SMS_QUIET_HOURS: ' 21 - 8 ' }).sms.quietHours).toEqual({ from: 21, to: 8 })
  })

  it.each([
    ['SMS_SENDER', 'Biblioteket1'],
    ['SMS_SENDER', 'Horsens Bib'],
    ['SMS_SENDER', 'Bibliotek!'],
    ['SMS_QUIET_HOURS', '25-3'],
    ['SMS_QUIET_HOURS', '21-21'],
    ['SMS_QUIET_HOURS', 'night'],
    ['SMS_MONTHLY_LIMIT', '-1'],
    ['SMS_MONTHLY_LIMIT', 'many'],
    ['SMS_PROVIDER', 'twilio'],
    ['SMS_API_URL', 'gatewayapi.com'],
    ['SMS_WEBHOOK_SECRET', 'short'],
    ['SMS_INCLUDE_LINK', 'maybe']
  ])('stops on a bad %s ("%s") and names it', (name, value) => {
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(ConfigError)
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(name)
  })

  it('needs the API token when GatewayAPI sends the texts', () => {
    expect(() => loadConfig({ ...base, SMS_PROVIDER: 'gatewayapi' })).toThrow(/SMS_API_TOKEN/)
    expect(loadConfig({ ...base, SMS_PROVIDER: 'gatewayapi', SMS_API_TOKEN: 'token-0123456789' }).sms.provider).toBe('gatewayapi')
    // A token is never echoed in the message.
    const wrong = (() => { try { loadConfig({ ...base, SMS_API_TOKEN: 'kort' }); return '' } catch (e) { return (e as Error).message } })()
    expect(wrong).toContain('SMS_API_TOKEN')
    expect(wrong).not.toContain('kort')
  })
})
