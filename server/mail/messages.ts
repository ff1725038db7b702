import type { MeetingRow, WaitlistMode } from '../db/schema.ts'
import { formatDateTime, formatMeetingSentence } from '../domain/time.ts'

/**
 * Every e-mail the platform sends, as typed data. A message is written to the outbox as
 * this data (a snapshot taken in the transaction of the change that caused it) and turned
 * into HTML and text only when it is sent or shown to staff.
 */

/** What an e-mail needs to say about a class: when, where, what to bring. */
export interface ClassFacts {
  id: number
  courseSlug: string
  courseTitle: string
  locationName: string
  room: string | null
  street: string
  postalCode: string
  city: string
  stepFree: boolean
  hearingLoop: boolean
  note: string | null
  bring: string[]
  /** 'call': staff phone the waiting list instead of giving seats away automatically. */
  waitlistMode?: WaitlistMode
  meetings: Array<Pick<MeetingRow, 'id' | 'starts_at' | 'ends_at'>>
  /** The calendar events' SEQUENCE and LAST-MODIFIED (absent in messages queued before they were kept). */
  calendarSequence?: number
  calendarModifiedAt?: string
}

/** The booking an e-mail is about, and which of its people the e-mail goes to. */
export interface BookingFacts {
  id: number
  token: string
  /** The participant's name. */
  name: string
  /** Set when someone else booked for the participant. */
  bookerName: string | null
  /** Who this copy is for: the participant, or the person who booked for them. */
  to: 'participant' | 'booker'
  /** The short code shown at the door, also as a QR code (absent in messages from before check-in). */
  checkinCode?: string
  /** When a waiting-list place became a seat; null if it never did (absent in older messages). */
  seatGivenAt?: string | null
}

interface AboutBooking { booking: BookingFacts, cls: ClassFacts }

export type MailMessage =
  | { kind: 'booking_confirmed' } & AboutBooking
  | { kind: 'booking_waitlisted', waitlistNumber: number } & AboutBooking
  | { kind: 'booking_promoted' } & AboutBooking
  | { kind: 'booking_cancelled' } & AboutBooking
  /** The link sent again because the same person tried to book the class again. */
  | { kind: 'booking_link', waitlistNumber: number | null } & AboutBooking
  /** waitlisted: the booking has a place on the waiting list, not a seat (absent in messages queued before it was added). */
  | { kind: 'class_changed', before: ClassFacts, waitlisted?: boolean } & AboutBooking
  | { kind: 'class_cancelled' } & AboutBooking
  | { kind: 'reminder', meetingId: number } & AboutBooking
  | { kind: 'thank_you', next: Array<{ slug: string, title: string }> } & AboutBooking
  | { kind: 'interest_confirm', courseSlug: string, courseTitle: string, confirmToken: string }
  /** The receipt sent before sign-ups were confirmed; kept so older e-mails still show. */
  | { kind: 'interest_signed_up', courseSlug: string, courseTitle: string, unsubscribeToken: string }
  | { kind: 'interest_new_classes', courseSlug: string, courseTitle: string, classes: ClassFacts[], unsubscribeToken: string }
  | { kind: 'milestone', number: number, scope: string, participantName: string, courseTitle: string, locationName: string, at: string }
  | { kind: 'milestone_undone', number: number, scope: string, participantName: string, at: string }
  | { kind: 'staff_invitation', name: string, roleLabel: string, invitedBy: string, inviteToken: string, expiresAt: string }
  /** A short message a leader wrote to everyone on a class ("Lokalet er flyttet til 2. sal"). */
  | { kind: 'class_message', text: string, from: string } & AboutBooking
  /** "Kommer du?" before the first meeting; releaseAt: when an unanswered seat goes on (null: never). */
  | { kind: 'coming_request', releaseAt: string | null } & AboutBooking
  /** The one reminder before an unanswered seat is released at releaseAt. */
  | { kind: 'coming_reminder', releaseAt: string } & AboutBooking
  /** No answer by releaseAt: the seat went on. */
  | { kind: 'coming_released', releaseAt: string } & AboutBooking
  /** Texts only: the last text after STOP, and the first after START. */
  | { kind: 'sms_stopped' }
  | { kind: 'sms_started' }
  /** A freed seat offered with a deadline (waiting-list mode 'offer'); answered on /tilbud/<offerToken> or by JA/NEJ. */
  | { kind: 'seat_offer', offerToken: string, deadline: string } & AboutBooking
  /** The receipt for a NEJ to an offer: off the waiting list. */
  | { kind: 'offer_declined' } & AboutBooking
  /** Texts only: the answer to a JA or NEJ that came too late, twice, or after the offer closed. */
  | { kind: 'offer_reply', outcome: OfferReplyOutcome } & AboutBooking

export type MailKind = MailMessage['kind']

/** 'too_late': the deadline passed; 'already_yours': the seat was taken already; 'closed': the offer ended otherwise. */
export type OfferReplyOutcome = 'too_late' | 'already_yours' | 'closed'

/** Kinds that carry the class's calendar file. */
export const WITH_CALENDAR: ReadonlySet<MailKind> = new Set(['booking_confirmed', 'booking_promoted', 'class_changed', 'class_cancelled'])

/** Danish names of the kinds, for the staff outbox page. */
export const KIND_LABELS: Record<MailKind, string> = {
  booking_confirmed: 'Tilmelding bekræftet',
  booking_waitlisted: 'Skrevet på venteliste',
  booking_promoted: 'Fået plads fra venteliste',
  booking_cancelled: 'Afmelding',
  booking_link: 'Link sendt igen',
  class_changed: 'Hold ændret',
  class_cancelled: 'Hold aflyst',
  reminder: 'Påmindelse',
  thank_you: 'Tak for i dag',
  interest_confirm: 'Interesseliste: bekræft e-mail',
  interest_signed_up: 'Interesseliste: tilmeldt',
  interest_new_classes: 'Interesseliste: nyt hold',
  milestone: 'Milepæl',
  milestone_undone: 'Milepæl fortrudt',
  staff_invitation: 'Invitation til personale',
  class_message: 'Besked til holdet',
  coming_request: 'Kommer du?',
  coming_reminder: 'Kommer du? (påmindelse)',
  coming_released: 'Plads gået videre (intet svar)',
  sms_stopped: 'Sms stoppet (STOP)',
  sms_started: 'Sms startet igen (START)',
  seat_offer: 'Tilbud om plads',
  offer_declined: 'Sagt nej tak til tilbud',
  offer_reply: 'Svar på sent eller dobbelt svar'
}

export function firstMeeting (cls: ClassFacts): ClassFacts['meetings'][number] | undefined {
  return cls.meetings[0]
}

function whenOf (cls: ClassFacts, now: Date): string {
  const first = firstMeeting(cls)
  return first ? formatDateTime(first.starts_at, now) : ''
}

/** "dig" for the participant, their name for the person who booked for them. */
function youIn (booking: BookingFacts): string {
  return booking.to === 'booker' ? booking.name : 'dig'
}

/** "Du" for the participant, their name for the person who booked for them. */
export function you (booking: BookingFacts): string {
  return booking.to === 'booker' ? booking.name : 'Du'
}

/** "du" for the participant, their name for the person who booked for them, inside a question. */
function comingWho (booking: BookingFacts): string {
  return booking.to === 'booker' ? booking.name : 'du'
}

/** The subject line; stored with the message so the outbox can be listed and searched. */
export function subjectOf (message: MailMessage, now: Date = new Date()): string {
  switch (message.kind) {
    case 'booking_confirmed': return `${you(message.booking)} har en plads: ${message.cls.courseTitle}, ${whenOf(message.cls, now)}`
    case 'booking_waitlisted': return `${you(message.booking)} er nr. ${message.waitlistNumber} på ventelisten: ${message.cls.courseTitle}`
    case 'booking_promoted': return `${you(message.booking)} har fået en plads: ${message.cls.courseTitle}, ${whenOf(message.cls, now)}`
    case 'booking_cancelled': return `${you(message.booking)} er afmeldt: ${message.cls.courseTitle}, ${whenOf(message.cls, now)}`
    case 'booking_link': return `Linket til ${message.booking.to === 'booker' ? `${message.booking.name}s` : 'din'} tilmelding: ${message.cls.courseTitle}, ${whenOf(message.cls, now)}`
    case 'class_changed': return `Vigtigt – holdet er ændret: ${message.cls.courseTitle}`
    case 'class_cancelled': return `Aflyst: ${message.cls.courseTitle}, ${whenOf(message.cls, now)}`
    case 'reminder': {
      const meeting = message.cls.meetings.find(m => m.id === message.meetingId)
      return `Påmindelse: ${message.cls.courseTitle}, ${meeting ? formatDateTime(meeting.starts_at, now) : ''}`
    }
    case 'thank_you': return `Tak fordi ${you(message.booking).replace(/^Du$/, 'du')} var med: ${message.cls.courseTitle}`
    case 'interest_confirm': return `Bekræft, at du vil have besked om nye hold: ${message.courseTitle}`
    case 'interest_signed_up': return `Du får besked om nye hold: ${message.courseTitle}`
    case 'interest_new_classes': return message.classes.length === 1
      ? `Nyt hold: ${message.courseTitle}, ${whenOf(message.classes[0] as ClassFacts, now)}`
      : `${message.classes.length} nye hold: ${message.courseTitle}`
    case 'milestone': return `Milepæl: deltager nr. ${message.number.toLocaleString('da-DK')} er kommet (${message.scope})`
    case 'milestone_undone': return `Rettelse: deltager nr. ${message.number.toLocaleString('da-DK')} (${message.scope}) blev tjekket ind ved en fejl`
    case 'staff_invitation': return 'Du er inviteret som personale i kursussystemet'
    case 'class_message': return `Besked om ${message.cls.courseTitle}, ${whenOf(message.cls, now)}`
    case 'coming_request': return `Kommer ${comingWho(message.booking)} til ${message.cls.courseTitle}, ${whenOf(message.cls, now)}? Svar ja eller nej`
    case 'coming_reminder': return `Husk at svare: kommer ${comingWho(message.booking)} til ${message.cls.courseTitle}, ${whenOf(message.cls, now)}?`
    case 'coming_released': return `Pladsen er gået videre: ${message.cls.courseTitle}, ${whenOf(message.cls, now)}`
    case 'sms_stopped': return 'Du får ikke flere sms\'er'
    case 'sms_started': return 'Du får sms\'er igen'
    case 'seat_offer': return `Der er en plads til ${youIn(message.booking)}: ${message.cls.courseTitle}, ${whenOf(message.cls, now)}. Svar inden ${formatDateTime(message.deadline, now)}`
    case 'offer_declined': return `Tak for svaret: ${you(message.booking)} er taget af ventelisten til ${message.cls.courseTitle}`
    case 'offer_reply': return `Om pladsen på ${message.cls.courseTitle}, ${whenOf(message.cls, now)}`
  }
}

/** "Tirsdag 3. marts kl. 10.00–11.30", one line per meeting. */
export function meetingLines (cls: ClassFacts, now: Date): string[] {
  return cls.meetings.map(m => formatMeetingSentence(m.starts_at, m.ends_at, now))
}

export function addressLines (cls: ClassFacts): string[] {
  return [cls.locationName, cls.room, cls.street, `${cls.postalCode} ${cls.city}`].filter((l): l is string => Boolean(l))
}
