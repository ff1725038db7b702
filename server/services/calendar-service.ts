import ical, { ICalCalendarMethod, ICalEventStatus } from 'ical-generator'
import { DateTime } from 'luxon'
import { tzlib_get_ical_block as vtimezone } from 'timezones-ical-library'
import type { MeetingRow } from '../db/schema.ts'
import type { ClassSummary } from '../repositories/class-repository.ts'
import { ZONE } from '../domain/time.ts'

export interface CalendarOptions {
  name: string
  publicUrl: string
  /** A private link for a booking's own calendar file. */
  bookingUrl?: string
  /**
   * The booking only has a place on the waiting list: its events are tentative, say
   * "Venteliste" in the title, and tell the reader not to come until given a seat.
   */
  waitlisted?: boolean
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
export type CalendarClass = Pick<ClassSummary, 'id' | 'courseTitle' | 'locationName' | 'room' | 'street' | 'postalCode' | 'city'> & {
  meetings: Array<Pick<MeetingRow, 'id' | 'starts_at' | 'ends_at'>>
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
    name: opts.name,
    prodId: { company: 'digikurser', product: 'digikurser', language: 'DA' },
    method: ICalCalendarMethod.PUBLISH,
    // No calendar-wide zone (that would make DTSTAMP floating); each event names its
    // zone and the generator writes one VTIMEZONE for it.
    timezone: { name: null, generator: vtimezoneFor }
  })
  const host = new URL(opts.publicUrl).host
  for (const c of classes) {
    const classUrl = `${opts.publicUrl}/hold/${c.id}`
    c.meetings.forEach((m, index) => {
      const count = c.meetings.length > 1 ? ` (${index + 1}. af ${c.meetings.length} gange)` : ''
      const description = [
        `${c.courseTitle} på ${c.locationName}.`,
        ...(opts.waitlisted ? [WAITLIST_CALENDAR_NOTE] : []),
        opts.bookingUrl ? `Din tilmelding: ${opts.bookingUrl}` : `Læs mere og tilmeld dig: ${classUrl}`
      ].join('\n')
      calendar.createEvent({
        id: `meeting-${m.id}@${host}`,
        start: DateTime.fromISO(m.starts_at, { zone: 'utc' }).setZone(ZONE),
        end: DateTime.fromISO(m.ends_at, { zone: 'utc' }).setZone(ZONE),
        timezone: ZONE,
        summary: `${opts.waitlisted ? 'Venteliste: ' : ''}${c.courseTitle}${count}`,
        location: address(c),
        description,
        url: opts.bookingUrl ?? classUrl,
        // A booking's own file says whether the seat is certain; the public feed says nothing.
        ...(opts.bookingUrl ? { status: opts.waitlisted ? ICalEventStatus.TENTATIVE : ICalEventStatus.CONFIRMED } : {})
      })
    })
  }
  return calendar.toString()
}
