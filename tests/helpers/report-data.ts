import type { Db } from '../../server/db/connection.ts'
import { insertPartner } from '../../server/repositories/partner-repository.ts'
import { bookSeat } from '../../server/services/booking-service.ts'
import { newCheckinKey, runCheckinAction } from '../../server/services/checkin-service.ts'
import { assignToClass } from '../../server/services/volunteer-service.ts'
import { bookingInput, createClass, createLocation, createStaff, staffIdOf } from './factories.ts'
import { asStaff } from './factories.ts'
import { CITIZEN, SYSTEM } from '../../server/domain/actor.ts'

/**
 * A small history with known numbers, over three places, three topics and two years,
 * with a partner, a walk-in, no-shows, a waiting list that never got seats, volunteers
 * and a milestone. The expected 2025 report is worked out by hand in REPORT_2025.
 */
export async function seedReportData (db: Db): Promise<{ people: Record<string, number> }> {
  const a = await createLocation(db, { name: 'Hovedbiblioteket' })
  const b = await createLocation(db, { name: 'Brædstrup Bibliotek' })
  const c = await createLocation(db, { name: 'Seniorklubben' })
  const partner = await insertPartner(db, { name: 'Seniorklubben Solsikken', contact: null, note: null, archived_at: null, created_at: new Date().toISOString() })
  await db.insertInto('milestone_rules').values({ scope_kind: 'all', location_id: null, topic: null, mode: 'once', number: 3, created_by: null, created_at: new Date().toISOString() }).execute()

  const c3 = await createClass(db, { course: 'spot-svindel-falske-beskeder-og-opkald', locationId: c, capacity: 5, meetings: ['2024-11-05T10:00'] })
  const c1 = await createClass(db, { course: 'mitid-kom-godt-i-gang', locationId: a, capacity: 3, meetings: ['2025-03-04T10:00', '2025-03-11T10:00'] })
  await db.updateTable('classes').set({ partner_id: partner }).where('id', '=', c1).execute()
  const c2 = await createClass(db, { course: 'digital-post-laes-og-svar', locationId: b, capacity: 2, meetings: ['2025-06-10T13:00'] })
  const c4 = await createClass(db, { course: 'mitid-appen', locationId: a, capacity: 4, meetings: ['2025-12-01T10:00'] })
  // Cancelled: counts nowhere.
  await createClass(db, { course: 'mitid-appen', locationId: b, capacity: 10, meetings: ['2025-09-01T10:00'], cancelled: true })

  const earlier = (iso: string) => new Date(Date.parse(iso) - 14 * 86400_000)
  const people: Record<string, number> = {}
  const book = async (classId: number, name: string, phone: string, birthYear: number | null, when: string) => {
    await bookSeat(db, CITIZEN, classId, bookingInput({ name, phone, email: `${name.toLowerCase()}@example.dk`, birthYear }), { source: 'online', now: earlier(when) })
    const row = await db.selectFrom('bookings').innerJoin('participants', 'participants.id', 'bookings.participant_id')
      .select(['bookings.id', 'bookings.participant_id']).where('participants.name', '=', name).where('bookings.class_id', '=', classId).executeTakeFirstOrThrow()
    people[name] = row.participant_id
    return row.id
  }
  const meetingsOf = async (classId: number) => (await db.selectFrom('meetings').select(['id', 'starts_at']).where('class_id', '=', classId).orderBy('starts_at').execute())
  const checkIn = async (classId: number, index: number, bookingId: number) => {
    const m = (await meetingsOf(classId))[index]!
    await runCheckinAction(db, SYSTEM, m.id, { key: newCheckinKey(), type: 'in', bookingId }, { mayOverfill: true, now: new Date(Date.parse(m.starts_at) + 5 * 60000) })
  }

  // 2024, Seniorklubben: Bo and Ida.
  const bo3 = await book(c3, 'Bo', '+4520000002', 1955, '2024-11-05T09:00:00Z')
  const ida = await book(c3, 'Ida', '+4520000009', 1930, '2024-11-05T09:00:00Z')
  await checkIn(c3, 0, bo3)
  await checkIn(c3, 0, ida)

  // 2025, MitID at Hovedbiblioteket with the partner: three seats, one more waits in vain.
  const anna = await book(c1, 'Anna', '+4520000001', 1948, '2025-03-04T09:00:00Z')
  const bo = await book(c1, 'Bo', '+4520000002', 1955, '2025-03-04T09:00:00Z')
  // Carl books and never comes: two no-shows. Dorte waits in vain.
  await book(c1, 'Carl', '+4520000003', null, '2025-03-04T09:00:00Z')
  await book(c1, 'Dorte', '+4520000004', 1950, '2025-03-04T09:00:00Z')
  await checkIn(c1, 0, anna)
  await checkIn(c1, 0, bo)
  const m1 = (await meetingsOf(c1))[0]!
  const erik = await runCheckinAction(db, SYSTEM, m1.id, { key: newCheckinKey(), type: 'walkin', person: { name: 'Erik', phone: '+4520000005', email: null }, overfill: true }, { mayOverfill: true, now: new Date(Date.parse(m1.starts_at) + 10 * 60000) })
  people.Erik = (await db.selectFrom('bookings').select('participant_id').where('id', '=', erik.bookingId).executeTakeFirstOrThrow()).participant_id
  await checkIn(c1, 1, anna)

  // Digital Post at Brædstrup: two seats, two more wait in vain.
  const anna2 = await book(c2, 'Anna', '+4520000001', 1948, '2025-06-10T09:00:00Z')
  const frida = await book(c2, 'Frida', '+4520000006', 1940, '2025-06-10T09:00:00Z')
  await book(c2, 'Gorm', '+4520000007', null, '2025-06-10T09:00:00Z')
  await book(c2, 'Hans', '+4520000008', null, '2025-06-10T09:00:00Z')
  await checkIn(c2, 0, anna2)
  await checkIn(c2, 0, frida)

  // MitID-appen in December.
  const jens = await book(c4, 'Jens', '+4520000010', 1970, '2025-12-01T09:00:00Z')
  await checkIn(c4, 0, jens)

  const instructor = await createStaff(db, 'volunteer', 'inga@bib.dk')
  const helper = await createStaff(db, 'volunteer', 'walter@bib.dk')
  const ingaId = await staffIdOf(db, instructor.email)
  const walterId = await staffIdOf(db, helper.email)
  await assignToClass(db, asStaff(ingaId), c1, ingaId, 'instructor')
  await assignToClass(db, asStaff(walterId), c2, walterId, 'helper')
  return { people }
}

/** The 2025 report of seedReportData, worked out by hand. */
export const REPORT_2025 = {
  totals: { attendances: 7, participants: 5, walkIns: 1, newParticipants: 4, returningParticipants: 1 },
  byMonth: [['marts 2025', 4, 3], ['juni 2025', 2, 2], ['december 2025', 1, 1]],
  byTopic: [['Digital Post', 2, 2], ['MitID', 5, 4]],
  byLocation: [['Brædstrup Bibliotek', 2, 2], ['Hovedbiblioteket', 5, 4]],
  byPartner: [['Seniorklubben Solsikken', 4, 3], ['Uden partner', 3, 3]],
  ageBands: [['Under 60 år', 1], ['60–69 år', 0], ['70–79 år', 2], ['80–89 år', 1], ['90 år og derover', 0], ['Ikke oplyst', 1]],
  // Erik was let in beyond the MitID class's three seats: not a seat taken.
  seats: { classes: 3, capacity: 9, taken: 6 },
  shows: { expected: 9, attended: 6, noShows: 3 },
  unmetDemand: [['Digital Post – læs, svar og få hjælp fra en pårørende', 2], ['Kom godt i gang med MitID', 1]],
  volunteerHours: 6,
  milestones: ['3 i alt']
}
