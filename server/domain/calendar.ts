import ical, { ICalCalendarMethod, ICalEventStatus } from 'ical-generator'
import { DateTime } from 'luxon'
import { tzlib_get_ical_block as vtimezone } from 'timezones-ical-library'
import type { MeetingRow } from '../db/schema.ts'
import { ZONE } from './time.ts'

/** A person's own booking, as its calendar shows it. */
export interface BookingCalendar {
  id: number
  /** The private link to the booking's page. */
  url: string
  /**
   * The booking only has a place on the waiting list: its events are tentative, say
   * "Venteliste" in the title, and tell the reader not to come until given a seat.
   */
  waitlisted: boolean
  /** When a place on the waiting list became a seat (a new version of the events); null if never. */
  seatGivenAt: string | null
}

export interface CalendarOptions {
  name: string
  publicUrl: string
  /** A person's own booking: its events have UIDs of their own, apart from the public listing's. */
  booking?: BookingCalendar
  /** The class is cancelled: the events are sent again as cancelled (METHOD:CANCEL), same UIDs. */
  cancelled?: boolean
  /** A feed: how often calendar programs should fetch it again, in seconds (REFRESH-INTERVAL). */
  refreshSeconds?: number
}

/** How often subscribers should fetch the public feed again. */
export const FEED_REFRESH_SECONDS = 60 * 60

/**
 * When a booking's waiting-list place became a seat: a booking made with a seat is
 * confirmed the moment it is made, one given a seat later is confirmed after.
 */
export function seatGivenAt (booking: { created_at: string, confirmed_at: string | null }): string | null {
  return booking.confirmed_at !== null && booking.confirmed_at > booking.created_at ? booking.confirmed_at : null
}

/** What a waiting-list calendar event says: a place in the queue is not a seat. */
export const WAITLIST_CALENDAR_NOTE = 'Du er på ventelisten og har endnu ikke en plads. Kom ikke til holdet, før du har fået en plads. Se på din tilmelding, om du har fået en.'

/**
 * The VTIMEZONE block. The library stores Copenhagen under its alias Europe/Berlin (the
 * same EU rules); the block must carry the TZID the events use.
 */
function vtimezoneFor (tz: string): string | null {
  const block = vtimezone(tz)[0]
  if (!block) return null
  return block
    .replace(/^TZID:.*$/m, `TZID:${tz}`)
    .replace(/^X-LIC-LOCATION:.*$/m, `X-LIC-LOCATION:${tz}`)
}

/** What a calendar needs of a class; a class summary or an e-mail's class facts. */
export interface CalendarClass {
  id: number
  courseTitle: string
  locationName: string
  room: string | null
  street: string
  postalCode: string
  city: string
  meetings: Array<Pick<MeetingRow, 'id' | 'starts_at' | 'ends_at'>>
  /** Absent in e-mails queued before calendars carried versions: 0 and no LAST-MODIFIED. */
  calendarSequence?: number
  calendarModifiedAt?: string
}

/** TEXT values escaped (RFC 5545 3.3.11); the generator leaves the calendar's name as given. */
function escapeText (text: string): string {
  return text.replace(/[\\;,]/g, c => `\\${c}`).replace(/\r?\n/g, '\\n')
}

/** SEQUENCE and LAST-MODIFIED: the class's changes, and for a booking, its seat given later. */
function versionOf (c: CalendarClass, booking: BookingCalendar | undefined): { sequence: number, lastModified: DateTime | null } {
  const seatAt = booking?.seatGivenAt ?? null
  const sequence = (c.calendarSequence ?? 0) + (seatAt !== null ? 1 : 0)
  const latest = [c.calendarModifiedAt, seatAt].filter((t): t is string => Boolean(t)).sort().at(-1)
  return { sequence, lastModified: latest ? DateTime.fromISO(latest, { zone: 'utc' }) : null }
}

function address (c: CalendarClass): string {
  return [c.locationName, c.room, c.street, `${c.postalCode} ${c.city}`].filter(Boolean).join(', ')
}

/**
 * An RFC 5545 calendar with one event per meeting, in Europe/Copenhagen time with its
 * VTIMEZONE, so calendars show the right hour on both sides of a daylight-saving change.
 */
export function buildCalendar (classes: CalendarClass[], opts: CalendarOptions): string {
  const calendar = ical({
    name: escapeText(opts.name),
    prodId: { company: 'digikurser', product: 'digikurser', language: 'DA' },
    method: opts.cancelled === true ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.PUBLISH,
    ttl: opts.refreshSeconds ?? null,
    // No calendar-wide zone (that would make DTSTAMP floating); each event names its
    // zone and the generator writes one VTIMEZONE for it.
    timezone: { name: null, generator: vtimezoneFor }
  })
  const host = new URL(opts.publicUrl).host
  const booking = opts.booking
  for (const c of classes) {
    const classUrl = `${opts.publicUrl}/hold/${c.id}`
    const { sequence, lastModified } = versionOf(c, booking)
    c.meetings.forEach((m, index) => {
      const count = c.meetings.length > 1 ? ` (${index + 1}. af ${c.meetings.length} gange)` : ''
      const description = [
        `${c.courseTitle} på ${c.locationName}.`,
        ...(opts.cancelled === true ? ['Holdet er aflyst.'] : booking?.waitlisted === true ? [WAITLIST_CALENDAR_NOTE] : []),
        booking ? `Din tilmelding: ${booking.url}` : `Læs mere og tilmeld dig: ${classUrl}`
      ].join('\n')
      const status = opts.cancelled === true
        ? ICalEventStatus.CANCELLED
        // A booking's own file says whether the seat is certain; the public feed says nothing.
        : booking ? (booking.waitlisted ? ICalEventStatus.TENTATIVE : ICalEventStatus.CONFIRMED) : null
      const prefix = opts.cancelled === true ? 'Aflyst: ' : booking?.waitlisted === true ? 'Venteliste: ' : ''
      calendar.createEvent({
        // A person's booking and the public listing must not share UIDs: importing one
        // would replace the other in the same calendar.
        id: booking ? `booking-${booking.id}-meeting-${m.id}@${host}` : `meeting-${m.id}@${host}`,
        sequence,
        lastModified,
        start: DateTime.fromISO(m.starts_at, { zone: 'utc' }).setZone(ZONE),
        end: DateTime.fromISO(m.ends_at, { zone: 'utc' }).setZone(ZONE),
        timezone: ZONE,
        summary: `${prefix}${c.courseTitle}${count}`,
        location: address(c),
        description,
        url: booking?.url ?? classUrl,
        ...(status ? { status } : {})
      })
    })
  }
  // The grammar ends every content line, the last one too, with CRLF; the generator stops short.
  return `${calendar.toString().replace(/(\r\n)?$/, '')}\r\n`
}
