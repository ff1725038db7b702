import { DateTime } from 'luxon'
import type { Db } from '../db/connection.ts'
import { SYSTEM } from '../domain/actor.ts'
import { ZONE, toStoredIso } from '../domain/time.ts'
import { insertClass } from '../repositories/class-repository.ts'
import { listCourses } from '../repositories/course-repository.ts'
import { insertLocation } from '../repositories/location-repository.ts'
import { bookSeat } from '../services/booking-service.ts'
import { seedPastHistory } from '../repositories/demo-history-repository.ts'
import { insertStaffUser } from '../repositories/staff-repository.ts'

/** A small seeded random generator, so the demo looks the same every time. */
function random (seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6D2B79F5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const FIRST_NAMES = ['Grethe', 'Hans', 'Inger', 'Jørgen', 'Kirsten', 'Bent', 'Lis', 'Poul', 'Birthe', 'Erik', 'Hanne', 'Ole', 'Karen', 'Niels', 'Ruth', 'Svend', 'Bodil', 'Henning', 'Aase', 'Mogens', 'Fatima', 'Ahmed', 'Susanne', 'Leif', 'Ingrid', 'Preben', 'Else', 'Arne', 'Jytte', 'Finn']
const LAST_NAMES = ['Hansen', 'Jensen', 'Nielsen', 'Pedersen', 'Andersen', 'Christensen', 'Larsen', 'Sørensen', 'Rasmussen', 'Jørgensen', 'Madsen', 'Kristensen', 'Olsen', 'Thomsen', 'Poulsen', 'Østergaard', 'Ali', 'Møller', 'Lund', 'Holm']

interface ClassPlan { course: string, location: number, day: number, slot: 'morning' | 'afternoon' | 'evening', meetings: number, capacity: number, fill: number, isPublic?: boolean }

export async function seedDemoData (db: Db, now: Date = new Date()): Promise<{ locations: number, classes: number, bookings: number }> {
  const rand = random(3000)
  const at = now.toISOString()
  const locations = [
    await insertLocation(db, { name: 'Hovedbiblioteket', kind: 'library', street: 'Tobaksgården 12', postal_code: '8700', city: 'Horsens', room: 'Mødelokale 2, 1. sal (elevator ved indgangen)', step_free: 1, hearing_loop: 1, access_note: null, created_at: at }),
    await insertLocation(db, { name: 'Brædstrup Bibliotek', kind: 'branch', street: 'Søndergade 8', postal_code: '8740', city: 'Brædstrup', room: 'Studierummet', step_free: 1, hearing_loop: 0, access_note: null, created_at: at }),
    await insertLocation(db, { name: 'Seniorklubben Solsikken', kind: 'club', street: 'Fælledvej 3', postal_code: '8700', city: 'Horsens', room: 'Klubstuen i kælderen', step_free: 0, hearing_loop: 0, access_note: 'Trappe med gelænder ned til klubstuen.', created_at: at }),
    await insertLocation(db, { name: 'Borgerservice Horsens', kind: 'citizen_service', street: 'Rådhustorvet 4', postal_code: '8700', city: 'Horsens', room: 'Kursuslokalet i stueetagen', step_free: 1, hearing_loop: 1, access_note: null, created_at: at })
  ]
  const courses = new Set((await listCourses(db)).map(c => c.slug))
  const [main, branch, club, service] = locations as [number, number, number, number]
  const plans: ClassPlan[] = [
    { course: 'mitid-kom-godt-i-gang', location: main, day: 2, slot: 'morning', meetings: 1, capacity: 12, fill: 1.3 },
    { course: 'mitid-appen', location: main, day: 3, slot: 'afternoon', meetings: 2, capacity: 10, fill: 0.9 },
    { course: 'digital-post-laes-og-svar', location: branch, day: 5, slot: 'morning', meetings: 2, capacity: 8, fill: 0.5 },
    { course: 'spot-svindel-falske-beskeder-og-opkald', location: club, day: 6, slot: 'afternoon', meetings: 1, capacity: 15, fill: 1.2 },
    { course: 'smartphone-foerste-skridt', location: main, day: 8, slot: 'morning', meetings: 3, capacity: 10, fill: 0.8 },
    { course: 'borger-dk-selvbetjening', location: service, day: 10, slot: 'morning', meetings: 1, capacity: 12, fill: 0.25 },
    { course: 'sundhed-dk-minsundhed-og-min-laege', location: main, day: 12, slot: 'afternoon', meetings: 1, capacity: 14, fill: 0.6 },
    { course: 'mitid-kom-godt-i-gang', location: club, day: 13, slot: 'morning', meetings: 1, capacity: 10, fill: 0.95 },
    { course: 'netbank-og-mobilepay-sikkert', location: branch, day: 16, slot: 'evening', meetings: 2, capacity: 10, fill: 0.4 },
    { course: 'tablet-og-ipad-for-begyndere', location: main, day: 19, slot: 'morning', meetings: 3, capacity: 8, fill: 1 },
    { course: 'digital-post-laes-og-svar', location: main, day: 22, slot: 'afternoon', meetings: 1, capacity: 16, fill: 0.3 },
    { course: 'videoopkald-med-familien', location: club, day: 26, slot: 'afternoon', meetings: 1, capacity: 12, fill: 0.2, isPublic: false },
    { course: 'mitid-appen', location: service, day: 30, slot: 'morning', meetings: 1, capacity: 12, fill: 0.1 },
    { course: 'digital-fuldmagt-hjaelp-en-paaroerende', location: main, day: 33, slot: 'evening', meetings: 1, capacity: 14, fill: 0 },
    { course: 'fotos-paa-telefonen', location: branch, day: 37, slot: 'morning', meetings: 2, capacity: 10, fill: 0.15 },
    { course: 'spot-svindel-falske-beskeder-og-opkald', location: main, day: 40, slot: 'afternoon', meetings: 1, capacity: 20, fill: 0.05 }
  ]
  const slots = { morning: [10, 0, 12, 0], afternoon: [13, 30, 15, 30], evening: [17, 0, 19, 0] } as const
  const today = DateTime.fromJSDate(now).setZone(ZONE).startOf('day')

  let classes = 0
  let bookings = 0
  for (const plan of plans) {
    if (!courses.has(plan.course)) continue
    let day = today.plus({ days: plan.day })
    while (day.weekday > 5) day = day.plus({ days: 1 })
    const [sh, sm, eh, em] = slots[plan.slot]
    const meetings = Array.from({ length: plan.meetings }, (_, i) => {
      const date = day.plus({ weeks: i })
      return {
        startsAt: toStoredIso(date.set({ hour: sh, minute: sm })),
        endsAt: toStoredIso(date.set({ hour: eh, minute: em }))
      }
    })
    const classId = await insertClass(db, {
      course_slug: plan.course,
      location_id: plan.location,
      capacity: plan.capacity,
      is_public: plan.isPublic === false ? 0 : 1,
      note: plan.location === club ? 'Holdet holdes sammen med Seniorklubben Solsikken. Alle er velkomne.' : null,
      created_at: at,
      updated_at: at
    }, meetings)
    classes++
    const wanted = plan.fill >= 1 && plan.fill < 1.05 ? plan.capacity : Math.round(plan.capacity * plan.fill)
    for (let i = 0; i < wanted; i++) {
      const first = FIRST_NAMES[Math.floor(rand() * FIRST_NAMES.length)] ?? 'Grethe'
      const last = LAST_NAMES[Math.floor(rand() * LAST_NAMES.length)] ?? 'Hansen'
      const phone = `+452${String(Math.floor(rand() * 10_000_000)).padStart(7, '0')}`
      const withEmail = rand() < 0.55
      await bookSeat(db, SYSTEM, classId, {
        name: `${first} ${last}`,
        phone: rand() < 0.9 || !withEmail ? phone : null,
        email: withEmail ? `${first}.${last}${i}@example.dk`.toLowerCase().replace(/ø/g, 'oe').replace(/æ/g, 'ae').replace(/å/g, 'aa') : null,
        birthYear: rand() < 0.7 ? 1935 + Math.floor(rand() * 40) : null,
        needsCompanion: rand() < 0.08,
        needsHearingLoop: rand() < 0.12,
        needsOther: rand() < 0.05 ? 'Jeg kommer med rollator.' : null,
        booker: null,
        // Every third with only a phone said yes to texts, so the outbox shows kept texts
        // (without drawing from the random numbers, so the rest of the demo stays the same).
        smsConsent: !withEmail && i % 3 === 0
      }, { source: plan.isPublic === false || rand() < 0.3 ? 'phone' : 'online', now })
      bookings++
    }
  }
  bookings += await seedTodayAndHistory(db, { main, branch, club }, courses, rand, now)
  return { locations: locations.length, classes: classes + 1, bookings }
}

/** Earlier participants counted toward milestones in the demo: the 3,000th is 5 check-ins away. */
export const DEMO_EARLIER_PARTICIPANTS = 2995

/**
 * A class today at the main library, so the door can be tried at once, and three years
 * of past classes as a library has them (seasons, people who come back, volunteers' hours,
 * no-shows and cancellations), so that the reports and the milestones page have a history
 * and the 3,000th participant is a few check-ins away.
 */
async function seedTodayAndHistory (db: Db, places: { main: number, branch: number, club: number }, courses: Set<string>, rand: () => number, now: Date): Promise<number> {
  const at = now.toISOString()
  const local = DateTime.fromJSDate(now).setZone(ZONE)
  const start = local.hour >= 22 ? local.startOf('minute') : local.plus({ hours: 1 }).startOf('hour')
  const todayClass = await insertClass(db, { course_slug: 'mitid-kom-godt-i-gang', location_id: places.main, capacity: 12, is_public: 1, note: null, created_at: at, updated_at: at }, [
    { startsAt: toStoredIso(start), endsAt: toStoredIso(start.plus({ hours: 2 })) }
  ])
  const yesterday = new Date(now.getTime() - 86400_000)
  for (let i = 0; i < 10; i++) {
    const first = FIRST_NAMES[Math.floor(rand() * FIRST_NAMES.length)] ?? 'Grethe'
    const last = LAST_NAMES[Math.floor(rand() * LAST_NAMES.length)] ?? 'Hansen'
    // Half of them said yes to texts; a number from the 32–39 series is a landline, phoned instead.
    await bookSeat(db, SYSTEM, todayClass, { name: `${first} ${last}`, phone: `+453${String(Math.floor(rand() * 10_000_000)).padStart(7, '0')}`, email: null, birthYear: null, needsCompanion: false, needsHearingLoop: rand() < 0.2, needsOther: null, booker: null, smsConsent: i % 2 === 0 }, { source: 'phone', now: yesterday })
  }
  const pastCourses = ['mitid-kom-godt-i-gang', 'digital-post-laes-og-svar', 'mitid-appen', 'spot-svindel-falske-beskeder-og-opkald', 'borger-dk-selvbetjening'].filter(c => courses.has(c))
  const names = random(1941)
  const nameOf = () => `${FIRST_NAMES[Math.floor(names() * FIRST_NAMES.length)] ?? 'Grethe'} ${LAST_NAMES[Math.floor(names() * LAST_NAMES.length)] ?? 'Hansen'}`
  await db.transaction().execute(async tx => {
    // Instructors and volunteers of earlier seasons, for the hours in the reports. They are
    // records without a password or an invitation, so the first visit still creates the administrator.
    const person = async (name: string, role: 'leader' | 'volunteer') => await insertStaffUser(tx, {
      email: `${name.toLowerCase().replace(/\s+/g, '.').replace(/ø/g, 'oe').replace(/æ/g, 'ae').replace(/å/g, 'aa')}@demo.invalid`,
      name,
      role,
      password_hash: null,
      active: 1,
      created_at: at
    })
    const instructors = [await person('Sofie Winther', 'leader'), await person('Jonas Holt', 'leader')]
    const helpers = [await person('Birgit Skov', 'volunteer'), await person('Torben Lauridsen', 'volunteer'), await person('Mette Kjær', 'volunteer'), await person('Anders Bach', 'volunteer')]
    await seedPastHistory(tx, { places: [places.main, places.branch, places.club], courses: pastCourses, participants: DEMO_EARLIER_PARTICIPANTS, now, rand, nameOf, instructors, helpers })
  })
  return 10
}
