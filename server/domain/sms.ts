import { DateTime } from 'luxon'
import { ZONE } from './time.ts'

/**
 * Text messages as the phone network carries them: the GSM 03.38 alphabet (GSM-7),
 * mobile numbers as MSISDN, the hours we stay quiet, and the replies we understand.
 */

/** The GSM-7 basic character set: one septet each. Æ, Ø, Å, æ, ø, å are in it. */
const GSM7_BASIC = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'
/** The extension table: two septets each (an escape, then the character). */
const GSM7_EXTENDED = '^{}\\[~]|€\f'

const BASIC = new Set(GSM7_BASIC)
const EXTENDED = new Set(GSM7_EXTENDED)

/** Characters people type that GSM-7 lacks, and what we send instead (accents are dropped below). */
const REPLACEMENTS = new Map<string, string>([
  ...[...'–—‒−‐•·'].map(ch => [ch, '-'] as const),
  ...[...'‘’‚´`'].map(ch => [ch, "'"] as const),
  ...[...'“”„«»'].map(ch => [ch, '"'] as const),
  ['…', '...'], ['×', 'x'], ['ł', 'l'], ['Ł', 'L'],
  ...[...'\u00a0\u2009\u202f\t'].map(ch => [ch, ' '] as const)
])

const isGsm7Char = (ch: string) => BASIC.has(ch) || EXTENDED.has(ch)
/** Marks, invisible format characters (zero-width space, soft hyphen, joiners) and skin tones. */
const NOT_SHOWN = /[\p{M}\p{Cf}\u{1F3FB}-\u{1F3FF}]/gu
const graphemes = new Intl.Segmenter('da', { granularity: 'grapheme' })

/**
 * The text as GSM-7 can carry it: known look-alikes replaced (a dash for –, plain quotes
 * for curly ones, an accent dropped), invisible characters left out, anything else
 * outside the alphabet (an emoji, however many code points it is made of) replaced by
 * one "?". Never sent as UCS-2, which would halve the length of a text.
 */
export function toGsm7 (text: string): string {
  let out = ''
  let other = ''
  for (const ch of text.normalize('NFC')) {
    if (isGsm7Char(ch)) {
      if (other !== '') out += replaceOther(other)
      out += ch
      other = ''
    } else {
      other += ch
    }
  }
  return other === '' ? out : out + replaceOther(other)
}

/** Characters outside GSM-7, taken a grapheme (what a reader sees as one sign) at a time. */
function replaceOther (run: string): string {
  let out = ''
  for (const { segment } of graphemes.segment(run)) {
    const known = REPLACEMENTS.get(segment)
    if (known !== undefined) {
      out += known
      continue
    }
    // A letter with a mark we do not know: the letter without it, if that is GSM-7.
    const bare = segment.normalize('NFD').replace(NOT_SHOWN, '')
    out += bare === '' ? '' : [...bare].every(isGsm7Char) ? bare : REPLACEMENTS.get(bare) ?? '?'
  }
  return out
}

/** Septets the text takes in GSM-7 (extension characters count two). The text must be GSM-7 already. */
export function gsm7Length (text: string): number {
  let n = 0
  for (const ch of text) n += EXTENDED.has(ch) ? 2 : 1
  return n
}

export function isGsm7 (text: string): boolean {
  for (const ch of text) if (!isGsm7Char(ch)) return false
  return true
}

/** One text: 160 GSM-7 septets. */
export const SMS_MAX = 160

/**
 * Shortens a name to at most `max` septets at a word boundary, with "..." where it was
 * cut ("Digital Post og borger.dk for..."): never in the middle of a word, never a
 * lone trailing comma or dash. Only a first word longer than `max` is cut inside it;
 * with room for less than "x..." the answer is empty.
 */
export function shortenWords (text: string, max: number): string {
  const clean = text.replace(/\s+/g, ' ').trim()
  if (gsm7Length(clean) <= max) return clean
  const words = clean.split(' ')
  let kept = ''
  for (const word of words) {
    const next = kept === '' ? word : `${kept} ${word}`
    if (gsm7Length(next) + 3 > max) break
    kept = next
  }
  kept = kept.replace(/[\s,;:.\-–(]+$/u, '')
  if (kept === '') {
    // One long word: the start of it is better than nothing, counted in septets (€ takes two).
    if (max < 4) return ''
    let start = ''
    for (const ch of clean) {
      if (gsm7Length(start + ch) + 3 > max) break
      start += ch
    }
    return `${start}...`
  }
  return `${kept}...`
}

/**
 * A phone number as stored ("+4512345678") to the MSISDN a text goes to ("4512345678"),
 * or null when it cannot take a text. Danish mobile numbers begin with 2, 30, 31, 40–42,
 * 50–53, 60, 61, 71, 81, 91–93: numbers from the other series are landlines (or special
 * services) and get no text. Foreign numbers are taken as they are.
 */
export function mobileMsisdn (e164: string | null | undefined): string | null {
  if (!e164) return null
  const dk = /^\+45(\d{8})$/.exec(e164)
  if (dk) {
    const n = dk[1] as string
    return /^(2\d|3[01]|4[0-2]|5[0-3]|6[01]|71|81|9[1-3])/.test(n) ? `45${n}` : null
  }
  // A Danish number without eight digits is no number (normalizePhone refuses it too).
  if (e164.startsWith('+45')) return null
  return /^\+[1-9]\d{6,14}$/.test(e164) ? e164.slice(1) : null
}

export interface QuietHours { from: number, to: number }

/** True when `at` falls in the quiet hours (Copenhagen time). */
export function inQuietHours (at: Date, quiet: QuietHours | null): boolean {
  if (!quiet) return false
  const hour = DateTime.fromJSDate(at, { zone: ZONE }).hour
  return quiet.from > quiet.to ? hour >= quiet.from || hour < quiet.to : hour >= quiet.from && hour < quiet.to
}

/**
 * When a text due at `due` may go out: at once outside the quiet hours; in them, when
 * they end (08.00 the next morning). But a text about something that begins before the
 * quiet hours end (a meeting at 07.30) goes at once: it is no use after that.
 */
export function smsSendMoment (due: Date, quiet: QuietHours | null, useless?: Date | null): Date {
  if (!inQuietHours(due, quiet) || !quiet) return due
  const local = DateTime.fromJSDate(due, { zone: ZONE })
  let end = local.set({ hour: quiet.to, minute: 0, second: 0, millisecond: 0 })
  if (end <= local) end = end.plus({ days: 1 })
  const morning = end.toJSDate()
  if (useless && useless.getTime() <= morning.getTime()) return due
  return morning
}

export type SmsReply = 'stop' | 'start' | 'yes' | 'no' | 'reply'

/**
 * "STOP", "stop", " S T O P ", "Stop." → 'stop'; "START" → 'start'; "JA", "Ja tak",
 * "ja!" → 'yes'; "NEJ", "Nej tak" → 'no' (answers to a seat offer or to "Kommer du?");
 * anything else is a reply for staff to read.
 */
export function classifyReply (text: string): SmsReply {
  const compact = text.normalize('NFKC').replace(/[\s.!,]+/g, '').toUpperCase()
  if (compact === 'STOP' || compact === 'STOPSMS') return 'stop'
  if (compact === 'START' || compact === 'STARTSMS') return 'start'
  if (['JA', 'JATAK', 'JAJEGKOMMER', 'JEGKOMMER', 'YES'].includes(compact)) return 'yes'
  if (['NEJ', 'NEJTAK', 'NEJJEGKOMMERIKKE', 'JEGKOMMERIKKE', 'NO'].includes(compact)) return 'no'
  return 'reply'
}
