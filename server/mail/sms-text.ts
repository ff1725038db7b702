import { formatCheckinCode } from '../domain/checkin-code.ts'
import { copenhagenDate, formatDateTime, formatTime } from '../domain/time.ts'
import { formatDeadline } from '../domain/seat-offer.ts'
import { SMS_MAX, gsm7Length, shortenWords, toGsm7 } from '../domain/sms.ts'
import { type ClassFacts, type MailMessage, firstMeeting } from './messages.ts'

export interface SmsContext {
  now: Date
  publicUrl: string
  /** The library's phone number, for "ring … hvis du ikke kan komme"; '' when none. */
  contactPhone: string
  /** Put the booking's private link in the text (off by default: operators filter links). */
  includeLink: boolean
}

/** Kinds that also go out as a text; the rest (thank-yous, interest lists, staff mail) are e-mail only. */
export const SMS_KINDS: ReadonlySet<MailMessage['kind']> = new Set([
  'booking_confirmed', 'booking_waitlisted', 'booking_promoted', 'booking_cancelled',
  'class_changed', 'class_cancelled', 'reminder', 'class_message', 'sms_stopped', 'sms_started',
  'coming_request', 'coming_reminder', 'coming_released',
  'seat_offer', 'offer_declined', 'offer_reply'
])

/**
 * A text is made of parts. Title and place are the only ones that may be shortened
 * (at a word boundary); optional parts are left out, last first, when the text would
 * otherwise be longer than one SMS.
 */
type Part = string | { title: string } | { place: string } | { optional: string }

const STOP_HINT = ' Svar STOP for ingen sms.'

function whenOf (cls: ClassFacts, meetingId: number | undefined, now: Date): string {
  const meeting = (meetingId !== undefined ? cls.meetings.find(m => m.id === meetingId) : undefined) ?? firstMeeting(cls)
  return meeting ? formatDateTime(meeting.starts_at, now) : ''
}

/** Room for the first word of a name and "...": a name is never cut inside its first word. */
function firstWordRoom (text: string): number {
  const words = text.trim().split(/\s+/)
  return gsm7Length((words[0] ?? '').replace(/[,;:.]$/, '')) + (words.length > 1 ? 3 : 0)
}

/** Fits the parts into one text: shortens title and place as little as needed, drops optional parts last-first. */
export function fitParts (parts: Part[], max = SMS_MAX): string {
  const optionalCount = parts.filter(p => typeof p === 'object' && 'optional' in p).length
  for (let drop = 0; drop <= optionalCount; drop++) {
    let optionalSeen = 0
    const kept = parts.filter(p => {
      if (typeof p === 'object' && 'optional' in p) {
        optionalSeen++
        return optionalSeen <= optionalCount - drop
      }
      return true
    })
    const fixed = kept.reduce((n, p) => n + (typeof p === 'string' ? gsm7Length(toGsm7(p)) : 'optional' in p ? gsm7Length(toGsm7(p.optional)) : 0), 0)
    const title = kept.find((p): p is { title: string } => typeof p === 'object' && 'title' in p)?.title ?? ''
    const place = kept.find((p): p is { place: string } => typeof p === 'object' && 'place' in p)?.place ?? ''
    const room = max - fixed
    const titleText = toGsm7(title)
    const placeText = toGsm7(place)
    let titleMax = gsm7Length(titleText)
    let placeMax = gsm7Length(placeText)
    const titleNeeds = Math.min(firstWordRoom(titleText), titleMax)
    const placeNeeds = Math.min(firstWordRoom(placeText), placeMax)
    if (titleMax + placeMax > room) {
      // Share the room: the place keeps up to a third (at least its first word), the title the
      // rest; but the title's first word comes before the place's.
      placeMax = Math.min(placeMax, Math.max(placeNeeds, Math.floor(room / 3)), Math.max(0, room - titleNeeds))
      titleMax = room - placeMax
    }
    // A first word that does not fit: leave out an optional part rather than cut inside it.
    // With nothing left to leave out, a name too long for any text is cut (by shortenWords).
    if ((titleMax < titleNeeds || placeMax < placeNeeds) && drop < optionalCount) continue
    const shortTitle = shortenWords(titleText, titleMax)
    const shortPlace = shortenWords(placeText, Math.max(0, room - gsm7Length(shortTitle)))
    // "Hovedbiblioteket..." followed by "." reads better as three dots than four.
    const text = kept.map(p => typeof p === 'string' ? toGsm7(p) : 'title' in p ? shortTitle : 'place' in p ? shortPlace : toGsm7(p.optional)).join('').replace(/\.{4}/g, '...')
    if (gsm7Length(text) <= max) return text
  }
  // Nothing fitted (should not happen with our parts): cut at a word, never mid-word.
  return shortenWords(toGsm7(parts.map(p => typeof p === 'string' ? p : 'title' in p ? p.title : 'place' in p ? p.place : p.optional).join('')), max)
}

/**
 * The text for a message, in plain Danish, at most 160 GSM-7 characters, with date, time,
 * place and the check-in code; null for kinds that are e-mail only.
 */
export function renderSms (message: MailMessage, ctx: SmsContext): string | null {
  if (!SMS_KINDS.has(message.kind)) return null
  if (message.kind === 'sms_stopped') return toGsm7('Du får ikke flere sms\'er fra os. Skriv START, hvis du vil have dem igen.')
  if (message.kind === 'sms_started') return toGsm7('Du får sms\'er fra os igen. Skriv STOP, hvis du vil stoppe dem.')
  if (!('booking' in message)) return null
  const { booking, cls } = message
  const who = booking.to === 'booker' ? shortenWords(toGsm7(booking.name), 24) : 'Du'
  const when = whenOf(cls, message.kind === 'reminder' ? message.meetingId : undefined, ctx.now)
  const code = booking.checkinCode ? ` Kode: ${formatCheckinCode(booking.checkinCode)}.` : ''
  const link = ctx.includeLink ? { optional: ` ${ctx.publicUrl}/tilmelding/${booking.token}` } : null
  const phone = ctx.contactPhone ? { optional: ` Afbud: ring ${ctx.contactPhone}.` } : null
  const parts: Part[] = (() => {
    switch (message.kind) {
      case 'booking_confirmed':
        return [`${who} har en plads: `, { title: cls.courseTitle }, `, ${when}, `, { place: cls.locationName }, `.${code}`, { optional: STOP_HINT }]
      case 'booking_waitlisted':
        return [`${who} er nr. ${message.waitlistNumber} på ventelisten: `, { title: cls.courseTitle }, `, ${when}, `, { place: cls.locationName }, '.', { optional: ' Vi skriver, hvis der bliver plads.' }, { optional: STOP_HINT }]
      case 'booking_promoted':
        return [`${who} har fået en plads: `, { title: cls.courseTitle }, `, ${when}, `, { place: cls.locationName }, `.${code}`, ...(phone ? [phone] : [])]
      case 'booking_cancelled':
        return [`${who} er afmeldt: `, { title: cls.courseTitle }, `, ${when}.`]
      case 'class_changed':
        return ['Vigtigt: ', { title: cls.courseTitle }, ` er ændret. Nu: ${when}, `, { place: cls.locationName }, message.waitlisted ? '. (Venteliste.)' : `.${code}`]
      case 'class_cancelled':
        return ['Aflyst: ', { title: cls.courseTitle }, `, ${when}, `, { place: cls.locationName }, '. Vi beklager.']
      case 'reminder':
        return ['Husk: ', { title: cls.courseTitle }, `, ${when}, `, { place: cls.locationName }, `.${code}`, ...(phone ? [phone] : [])]
      case 'coming_request':
      case 'coming_reminder': {
        // The person who booked reads the participant's first name: a question must fit whole.
        const whom = booking.to === 'booker' ? toGsm7(booking.name).trim().split(/\s+/)[0]?.slice(0, 10) ?? '' : 'du'
        const first = firstMeeting(cls)
        const until = message.releaseAt && first ? ` inden ${beforeStart(message.releaseAt, first.starts_at)}` : ''
        const start = message.kind === 'coming_reminder' ? `Husk svar: kommer ${whom} til ` : `Kommer ${whom} til `
        const answer = `? Svar JA eller NEJ${until}`
        // The first message must say that the seat goes on; the reminder drops it before the title.
        if (!until) return [start, { title: cls.courseTitle }, `, ${when}${answer}.`]
        return message.kind === 'coming_request'
          ? [start, { title: cls.courseTitle }, `, ${when}${answer}, ellers går pladsen videre.`]
          : [start, { title: cls.courseTitle }, `, ${when}${answer}.`, { optional: ' Ellers går pladsen videre.' }]
      }
      case 'coming_released':
        return [`${who === 'Du' ? 'Din' : `${who}s`} plads på `, { title: cls.courseTitle }, `, ${when}, er gået videre. Vi fik ikke svar.`, ...(phone ? [{ optional: ` Spørgsmål: ring ${ctx.contactPhone}.` }] : [])]
      case 'class_message':
        return [{ title: cls.courseTitle }, ': ', message.text]
      case 'seat_offer': {
        // For the person who booked: the participant's first name, so they know whom it is about.
        const opening = booking.to === 'booker' ? `Plads til ${shortenWords(toGsm7(booking.name.trim().split(/\s+/)[0] ?? ''), 16)}: ` : 'Der er en plads på '
        return [opening, { title: cls.courseTitle }, `, ${when}, `, { place: cls.locationName }, `. Svar JA inden ${formatDeadline(message.deadline, ctx.now)}, ellers går den videre.`, { optional: ' Svar NEJ, hvis du ikke vil have den.' }]
      }
      case 'offer_declined':
        return ['Tak for svaret. ', booking.to === 'booker' ? `${who} er` : 'Du er', ' taget af ventelisten til ', { title: cls.courseTitle }, `, ${when}, `, { place: cls.locationName }, '.']
      case 'offer_reply':
        return [message.outcome === 'too_late' ? 'Fristen er gået, og pladsen er gået videre. Du er stadig på ventelisten til ' : message.outcome === 'already_yours' ? 'Du har allerede pladsen på ' : 'Tilbuddet er ikke længere åbent: ', { title: cls.courseTitle }, `, ${when}, `, { place: cls.locationName }, '.']
      default:
        return []
    }
  })()
  if (parts.length === 0) return null
  if (link) parts.push(link)
  return fitParts(parts)
}

/**
 * When an unanswered seat goes, said from the first meeting in the same text: "kl. 08.00"
 * (that day), "dagen før kl. 22.00", "3 dage før kl. 10.00" (Copenhagen calendar days).
 */
export function beforeStart (releaseAt: string, startsAt: string): string {
  const days = Math.round((Date.parse(copenhagenDate(startsAt)) - Date.parse(copenhagenDate(releaseAt))) / 86400_000)
  const time = `kl. ${formatTime(releaseAt)}`
  return days <= 0 ? time : days === 1 ? `dagen før ${time}` : `${days} dage før ${time}`
}

/** The room a leader's message to a class has in one text, after the course title prefix. */
export function classMessageRoom (courseTitle: string): number {
  const prefix = Math.min(gsm7Length(toGsm7(courseTitle)), 40) + 2
  return SMS_MAX - prefix
}
