import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../../server/db/connection.ts'
import { bookSeat } from '../../server/services/booking-service.ts'
import { setWalkinsOverCapacity } from '../../server/services/class-service.ts'
import { createCheckinLink } from '../../server/services/checkin-link-service.ts'
import { decideDoorAccess } from '../../server/services/door-access-service.ts'
import { assignStaff } from '../../server/repositories/class-staff-repository.ts'
import { mergeParticipants } from '../../server/services/participant-service.ts'
import { correctAttendance, newCheckinKey, runCheckinAction } from '../../server/services/checkin-service.ts'
import { getCheckinSheet } from '../../server/services/door-view-service.ts'
import { createTestDb } from '../helpers/database.ts'
import { asStaff, bookingInput, createClassToday, createLocation, createStaff, seedEarlierParticipants, staffIdOf } from '../helpers/factories.ts'
import { CITIZEN, SYSTEM } from '../../server/domain/actor.ts'

const earlier = new Date(Date.now() - 3 * 86400_000)

const classToday = createClassToday

async function book (db: Db, classId: number, name: string, phone: string) {
  await bookSeat(db, CITIZEN, classId, bookingInput({ name, phone }), { source: 'phone', now: earlier })
  return await db.selectFrom('bookings').innerJoin('participants', 'participants.id', 'bookings.participant_id').select(['bookings.id', 'bookings.checkin_code', 'bookings.status']).where('participants.name', '=', name).where('bookings.class_id', '=', classId).executeTakeFirstOrThrow()
}

const count = async (db: Db, table: 'attendances' | 'milestones' | 'outbox' | 'bookings', where?: [string, string]) => {
  let q = db.selectFrom(table).select(eb => eb.fn.countAll<number>().as('n'))
  if (where) q = q.where(sql.ref(where[0]), '=', where[1])
  return Number((await q.executeTakeFirstOrThrow()).n)
}

describe('check-in at the door', () => {
  let db: Db
  beforeEach(async () => { db = await createTestDb() })
  afterEach(async () => { await db.destroy() })

  it('checks in, undoes, and answers a replayed key with the stored result, changing nothing', async () => {
    const { classId, meetingId } = await classToday(db)
    const grethe = await book(db, classId, 'Grethe Hansen', '+4512345678')
    const key = newCheckinKey()
    const first = await runCheckinAction(db, SYSTEM, meetingId, { key, type: 'in', bookingId: grethe.id })
    expect(first).toMatchObject({ outcome: 'checked_in', name: 'Grethe Hansen', replayed: false })
    const again = await runCheckinAction(db, SYSTEM, meetingId, { key, type: 'in', bookingId: grethe.id })
    expect(again).toMatchObject({ outcome: 'checked_in', replayed: true })
    expect(await count(db, 'attendances')).toBe(1)
    // A second tablet taps the same person: no second attendance.
    expect((await runCheckinAction(db, SYSTEM, meetingId, { key: newCheckinKey(), type: 'in', bookingId: grethe.id })).outcome).toBe('already_checked_in')
    expect(await count(db, 'attendances')).toBe(1)

    const undoKey = newCheckinKey()
    expect((await runCheckinAction(db, SYSTEM, meetingId, { key: undoKey, type: 'out', bookingId: grethe.id })).outcome).toBe('undone')
    expect(await count(db, 'attendances')).toBe(0)
    // Replaying the whole batch (check in, undo) once more changes nothing.
    await runCheckinAction(db, SYSTEM, meetingId, { key, type: 'in', bookingId: grethe.id })
    await runCheckinAction(db, SYSTEM, meetingId, { key: undoKey, type: 'out', bookingId: grethe.id })
    expect(await count(db, 'attendances')).toBe(0)
    const sheet = await getCheckinSheet(db, meetingId)
    expect(sheet?.people.map(p => [p.name, p.attended])).toEqual([['Grethe Hansen', false]])
  })

  it('checks in by the short code only on its own class, whatever the spacing and case', async () => {
    const { classId, meetingId } = await classToday(db)
    const other = await classToday(db)
    const grethe = await book(db, classId, 'Grethe Hansen', '+4512345678')
    const stranger = await book(db, other.classId, 'Bent Olsen', '+4587654321')
    await expect(runCheckinAction(db, SYSTEM, meetingId, { key: newCheckinKey(), type: 'code', code: stranger.checkin_code })).rejects.toMatchObject({ code: 'code_not_found' })
    await expect(runCheckinAction(db, SYSTEM, meetingId, { key: newCheckinKey(), type: 'in', bookingId: stranger.id })).rejects.toMatchObject({ code: 'booking_not_on_class' })
    const r = await runCheckinAction(db, SYSTEM, meetingId, { key: newCheckinKey(), type: 'code', code: grethe.checkin_code })
    expect(r).toMatchObject({ outcome: 'checked_in', bookingId: grethe.id })
    expect(grethe.checkin_code).toMatch(/^[ACDEFHJKLMNPRTUVWXY34679]{6}$/)
  })

  it('only checks in on the meeting\'s own day; a leader corrects afterwards from a paper list', async () => {
    const staff = await createStaff(db, 'leader')
    const staffId = (await db.selectFrom('staff_users').select('id').where('email', '=', staff.email).executeTakeFirstOrThrow()).id
    const { classId, meetingId } = await classToday(db)
    const grethe = await book(db, classId, 'Grethe Hansen', '+4512345678')
    const tomorrow = new Date(Date.now() + 86400_000)
    await expect(runCheckinAction(db, SYSTEM, meetingId, { key: newCheckinKey(), type: 'in', bookingId: grethe.id }, { now: tomorrow })).rejects.toMatchObject({ code: 'not_checkin_day' })
    const secondMeeting = (await db.selectFrom('meetings').select('id').where('class_id', '=', classId).orderBy('starts_at', 'desc').executeTakeFirstOrThrow()).id
    // The next week's meeting has not begun: no paper corrections for it yet.
    await expect(correctAttendance(db, asStaff(staffId), classId, [{ bookingId: grethe.id, meetingId: secondMeeting, attended: true }])).rejects.toMatchObject({ code: 'meeting_not_started' })
    const r = await correctAttendance(db, asStaff(staffId), classId, [{ bookingId: grethe.id, meetingId, attended: true }], tomorrow)
    expect(r).toMatchObject({ added: 1, removed: 0 })
    const row = await db.selectFrom('attendances').selectAll().executeTakeFirstOrThrow()
    expect(row).toMatchObject({ via: 'paper', staff_user_id: staffId })
    expect(await correctAttendance(db, asStaff(staffId), classId, [{ bookingId: grethe.id, meetingId, attended: false }], tomorrow)).toMatchObject({ added: 0, removed: 1 })
    expect((await db.selectFrom('audit_log').select(['action', 'detail']).where('action', '=', 'attendance_corrected').execute()).map(a => a.detail)).toEqual(['added=1 removed=0', 'added=0 removed=1'])
  })

  it('gives a walk-in a free seat, refuses a full class to a volunteer, and records a leader\'s seat beyond capacity', async () => {
    const { classId, meetingId } = await classToday(db, { capacity: 2 })
    await book(db, classId, 'Grethe Hansen', '+4512345678')
    const walk = await runCheckinAction(db, SYSTEM, meetingId, { key: newCheckinKey(), type: 'walkin', person: { name: 'Søren Ærø', phone: null, email: null }, overfill: false })
    expect(walk).toMatchObject({ outcome: 'checked_in', name: 'Søren Ærø', seated: true, overCapacity: false })
    const booking = await db.selectFrom('bookings').selectAll().where('id', '=', walk.bookingId).executeTakeFirstOrThrow()
    expect(booking).toMatchObject({ source: 'walkin', status: 'confirmed', over_capacity: 0 })

    const full = { key: newCheckinKey(), type: 'walkin' as const, person: { name: 'Ali Hassan', phone: '+4522222222', email: null }, overfill: true }
    // A volunteer cannot overfill, even when asking to.
    await expect(runCheckinAction(db, SYSTEM, meetingId, full)).rejects.toMatchObject({ code: 'walkin_class_full' })
    const over = await runCheckinAction(db, SYSTEM, meetingId, full, { mayOverfill: true })
    expect(over).toMatchObject({ seated: true, overCapacity: true })
    expect(await db.selectFrom('bookings').select('over_capacity').where('id', '=', over.bookingId).executeTakeFirstOrThrow()).toEqual({ over_capacity: 1 })

    // The same person again is found on the class, not booked twice.
    const again = await runCheckinAction(db, SYSTEM, meetingId, { key: newCheckinKey(), type: 'walkin', person: { name: 'ali hassan', phone: '+4522222222', email: null }, overfill: false })
    expect(again).toMatchObject({ bookingId: over.bookingId, outcome: 'already_checked_in', seated: false })
    expect(await count(db, 'bookings')).toBe(3)

    // With the class set to allow it, a volunteer may seat walk-ins beyond capacity too.
    const leaderId = await staffIdOf(db, (await createStaff(db, 'leader')).email)
    await setWalkinsOverCapacity(db, asStaff(leaderId, 'leader'), classId, true)
    expect(await db.selectFrom('audit_log').select(['action', 'subject_id']).where('action', 'like', 'walkins_over_capacity%').execute()).toEqual([{ action: 'walkins_over_capacity_allowed', subject_id: classId }])
    expect(await runCheckinAction(db, SYSTEM, meetingId, { key: newCheckinKey(), type: 'walkin', person: { name: 'Lise Berg', phone: null, email: null }, overfill: false })).toMatchObject({ overCapacity: true })
    const sheet = await getCheckinSheet(db, meetingId)
    expect(sheet).toMatchObject({ attendedCount: 3, confirmedCount: 4 })
    // A walk-in taken back (typed by mistake) gives the seat back.
    await runCheckinAction(db, SYSTEM, meetingId, { key: newCheckinKey(), type: 'out', bookingId: walk.bookingId })
    expect((await db.selectFrom('bookings').select('status').where('id', '=', walk.bookingId).executeTakeFirstOrThrow()).status).toBe('cancelled')
    expect(await getCheckinSheet(db, meetingId)).toMatchObject({ attendedCount: 2, confirmedCount: 3 })
  })

  it('seats someone from the waiting list who comes to the door when a seat is free', async () => {
    const { classId, meetingId } = await classToday(db, { capacity: 1 })
    const first = await book(db, classId, 'Grethe Hansen', '+4512345678')
    const waiting = await book(db, classId, 'Bent Olsen', '+4587654321')
    expect(waiting.status).toBe('waitlisted')
    await expect(runCheckinAction(db, SYSTEM, meetingId, { key: newCheckinKey(), type: 'in', bookingId: waiting.id })).rejects.toMatchObject({ code: 'walkin_class_full' })
    await db.updateTable('bookings').set({ status: 'cancelled' }).where('id', '=', first.id).execute()
    expect(await runCheckinAction(db, SYSTEM, meetingId, { key: newCheckinKey(), type: 'in', bookingId: waiting.id })).toMatchObject({ outcome: 'checked_in', seated: true })
    expect((await db.selectFrom('bookings').select('status').where('id', '=', waiting.id).executeTakeFirstOrThrow()).status).toBe('confirmed')
  })
})

describe('milestones', () => {
  let db: Db
  beforeEach(async () => { db = await createTestDb() })
  afterEach(async () => { await db.destroy() })

  it('makes exactly one of 100 simultaneous check-ins the 3,000th, and queues exactly one e-mail', async () => {
    await createStaff(db, 'leader', 'leder@bib.dk')
    await seedEarlierParticipants(db, 2999)
    const { classId, meetingId } = await classToday(db, { capacity: 100 })
    const ids: number[] = []
    for (let i = 0; i < 100; i++) ids.push((await book(db, classId, `Deltager ${i}`, `+45200000${String(i).padStart(2, '0')}`)).id)
    const results = await Promise.all(ids.map(id => runCheckinAction(db, SYSTEM, meetingId, { key: newCheckinKey(), type: 'in', bookingId: id })))
    const winners = results.filter(r => r.milestones.some(m => m.number === 3000 && m.scope === 'all'))
    expect(winners).toHaveLength(1)
    expect(winners[0]?.milestones[0]?.scopeLabel).toBe('i alt')
    expect(await count(db, 'milestones')).toBe(1)
    const mails = await db.selectFrom('outbox').select(['recipient', 'subject']).where('kind', '=', 'milestone').execute()
    expect(mails).toEqual([{ recipient: 'leder@bib.dk', subject: 'Milepæl: deltager nr. 3.000 er kommet (i alt)' }])
    expect(Number((await db.selectFrom('participant_firsts').select(eb => eb.fn.countAll<number>().as('n')).where('scope', '=', 'all').executeTakeFirstOrThrow()).n)).toBe(3099)
  })

  it('counts a participant once, at their first attended meeting, per place and topic, by the leaders\' rules', async () => {
    await db.deleteFrom('milestone_rules').execute()
    await db.insertInto('milestone_rules').values([
      { scope_kind: 'location', location_id: null, topic: null, mode: 'every', number: 2, created_by: null, created_at: new Date().toISOString() },
      { scope_kind: 'topic', location_id: null, topic: 'mitid', mode: 'once', number: 3, created_by: null, created_at: new Date().toISOString() }
    ]).execute()
    const a = await createLocation(db, { name: 'Hovedbiblioteket' })
    const b = await createLocation(db, { name: 'Seniorklubben' })
    const onA = await classToday(db, { locationId: a })
    const onB = await classToday(db, { locationId: b })
    const hits: string[] = []
    const checkIn = async (cls: { classId: number, meetingId: number }, name: string, phone: string) => {
      const booking = await book(db, cls.classId, name, phone)
      const r = await runCheckinAction(db, SYSTEM, cls.meetingId, { key: newCheckinKey(), type: 'in', bookingId: booking.id })
      hits.push(...r.milestones.map(m => `${name}: nr. ${m.number} ${m.scopeLabel}`))
    }
    await checkIn(onA, 'Anna', '+4511111111')
    await checkIn(onA, 'Bo', '+4511111112')
    // Anna again, at another place: counts at Seniorklubben, not twice in the topic.
    await checkIn(onB, 'Anna', '+4511111111')
    await checkIn(onB, 'Carl', '+4511111113')
    expect(hits).toEqual([
      'Bo: nr. 2 på Hovedbiblioteket',
      'Carl: nr. 2 på Seniorklubben',
      'Carl: nr. 3 i emnet MitID'
    ])
  })

  it('releases a milestone whose check-in is undone, tells the leaders, and gives it to the next new participant', async () => {
    await createStaff(db, 'leader', 'leder@bib.dk')
    await seedEarlierParticipants(db, 2999)
    const { classId, meetingId } = await classToday(db)
    const wrong = await book(db, classId, 'Forkert Tryk', '+4530000001')
    const right = await book(db, classId, 'Rigtig Person', '+4530000002')
    const tap = await runCheckinAction(db, SYSTEM, meetingId, { key: newCheckinKey(), type: 'in', bookingId: wrong.id })
    expect(tap.milestones.map(m => m.number)).toEqual([3000])
    await runCheckinAction(db, SYSTEM, meetingId, { key: newCheckinKey(), type: 'out', bookingId: wrong.id })
    expect(await count(db, 'milestones')).toBe(0)
    const next = await runCheckinAction(db, SYSTEM, meetingId, { key: newCheckinKey(), type: 'in', bookingId: right.id })
    expect(next.milestones.map(m => m.number)).toEqual([3000])
    const kinds = (await db.selectFrom('outbox').select(['kind']).where('kind', 'like', 'milestone%').orderBy('id').execute()).map(r => r.kind)
    expect(kinds).toEqual(['milestone', 'milestone_undone', 'milestone'])
    const holder = await db.selectFrom('milestones').innerJoin('participants', 'participants.id', 'milestones.participant_id').select('participants.name').executeTakeFirstOrThrow()
    expect(holder.name).toBe('Rigtig Person')
  })
})

describe('merging two records of one person', () => {
  it('counts them once toward milestones, keeping the earlier first attendance', async () => {
    const db = await createTestDb()
    const staff = await createStaff(db, 'leader', 'leder@bib.dk')
    const staffId = (await db.selectFrom('staff_users').select('id').where('email', '=', staff.email).executeTakeFirstOrThrow()).id
    const a = await createClassToday(db)
    const b = await createClassToday(db)
    await bookSeat(db, CITIZEN, a.classId, bookingInput({ name: 'Grethe Hansen', phone: '+4512345678' }), { source: 'phone', now: earlier })
    await bookSeat(db, CITIZEN, b.classId, bookingInput({ name: 'Grethe Hansen', email: 'grethe@example.dk' }), { source: 'phone', now: earlier })
    const bookings = await db.selectFrom('bookings').select(['id', 'participant_id', 'class_id']).orderBy('id').execute()
    expect(new Set(bookings.map(x => x.participant_id)).size).toBe(2)
    await runCheckinAction(db, SYSTEM, a.meetingId, { key: newCheckinKey(), type: 'in', bookingId: bookings[0]!.id })
    await runCheckinAction(db, SYSTEM, b.meetingId, { key: newCheckinKey(), type: 'in', bookingId: bookings[1]!.id }, { now: new Date(Date.now() + 1000) })
    expect(Number((await db.selectFrom('participant_firsts').select(eb => eb.fn.countAll<number>().as('n')).where('scope', '=', 'all').executeTakeFirstOrThrow()).n)).toBe(2)
    await mergeParticipants(db, asStaff(staffId), bookings[1]!.participant_id, bookings[0]!.participant_id)
    const firsts = await db.selectFrom('participant_firsts').selectAll().where('scope', '=', 'all').execute()
    expect(firsts).toHaveLength(1)
    const firstAttendance = await db.selectFrom('attendances').select(['id', 'participant_id']).where('booking_id', '=', bookings[0]!.id).executeTakeFirstOrThrow()
    expect(firsts[0]).toMatchObject({ participant_id: bookings[1]!.participant_id, attendance_id: firstAttendance.id })
    expect(firstAttendance.participant_id).toBe(bookings[1]!.participant_id)
    await db.destroy()
  })
})

describe('a released milestone', () => {
  it('goes to whoever now holds the number when others were counted after the holder', async () => {
    const db = await createTestDb()
    await createStaff(db, 'leader', 'leder@bib.dk')
    await seedEarlierParticipants(db, 2999)
    const { classId, meetingId } = await createClassToday(db)
    const a = await book(db, classId, 'Anna Først', '+4540000001')
    const b = await book(db, classId, 'Bo Næst', '+4540000002')
    const c = await book(db, classId, 'Carl Sidst', '+4540000003')
    expect((await runCheckinAction(db, SYSTEM, meetingId, { key: newCheckinKey(), type: 'in', bookingId: a.id })).milestones.map(m => m.number)).toEqual([3000])
    await runCheckinAction(db, SYSTEM, meetingId, { key: newCheckinKey(), type: 'in', bookingId: b.id }, { now: new Date(Date.now() + 1000) })
    // Anna was a mistaken tap. Bo is now the 3,000th, and the leaders hear so.
    await runCheckinAction(db, SYSTEM, meetingId, { key: newCheckinKey(), type: 'out', bookingId: a.id }, { now: new Date(Date.now() + 2000) })
    const holder = await db.selectFrom('milestones').innerJoin('participants', 'participants.id', 'milestones.participant_id').select(['participants.name', 'milestones.number']).execute()
    expect(holder).toEqual([{ name: 'Bo Næst', number: 3000 }])
    expect((await runCheckinAction(db, SYSTEM, meetingId, { key: newCheckinKey(), type: 'in', bookingId: c.id }, { now: new Date(Date.now() + 3000) })).milestones).toEqual([])
    const mails = await db.selectFrom('outbox').select(['kind', 'payload_json']).where('kind', 'like', 'milestone%').orderBy('id').execute()
    expect(mails.map(m => `${m.kind} ${(JSON.parse(m.payload_json) as { participantName: string }).participantName}`)).toEqual(['milestone Anna Først', 'milestone_undone Anna Først', 'milestone Bo Næst'])
    await db.destroy()
  })

  it('refuses a key sent again for another meeting or action instead of replaying it', async () => {
    const db = await createTestDb()
    const one = await createClassToday(db)
    const two = await createClassToday(db)
    const a = await book(db, one.classId, 'Anna Først', '+4540000001')
    const b = await book(db, two.classId, 'Bo Næst', '+4540000002')
    const key = newCheckinKey()
    await runCheckinAction(db, SYSTEM, one.meetingId, { key, type: 'in', bookingId: a.id })
    await expect(runCheckinAction(db, SYSTEM, two.meetingId, { key, type: 'in', bookingId: b.id })).rejects.toMatchObject({ code: 'checkin_key_reused' })
    await expect(runCheckinAction(db, SYSTEM, one.meetingId, { key, type: 'out', bookingId: a.id })).rejects.toMatchObject({ code: 'checkin_key_reused' })
    // No names are kept with the key.
    expect((await db.selectFrom('checkin_actions').select('result_json').executeTakeFirstOrThrow()).result_json).not.toContain('Anna')
    await db.destroy()
  })
})

describe('who may open the door', () => {
  let db: Db
  beforeEach(async () => { db = await createTestDb() })
  afterEach(async () => { await db.destroy() })

  it('lets a leader open any meeting, a volunteer only their classes, and a PIN link only its meeting on its day', async () => {
    const { classId, meetingId } = await classToday(db)
    const other = await classToday(db)
    const leaderId = await staffIdOf(db, (await createStaff(db, 'leader')).email)
    const volunteerId = await staffIdOf(db, (await createStaff(db, 'volunteer')).email)
    await assignStaff(db, classId, volunteerId, 'helper')
    const lead = { actor: asStaff(leaderId, 'leader'), linkId: undefined }
    const helper = { actor: asStaff(volunteerId, 'volunteer'), linkId: undefined }

    expect(await decideDoorAccess(db, lead, other.meetingId)).toMatchObject({ isLeader: true, viaLink: false, mayOverfill: true, actor: { kind: 'staff', staffId: leaderId } })
    expect(await decideDoorAccess(db, helper, meetingId)).toMatchObject({ isLeader: false, viaLink: false, mayOverfill: false, actor: { kind: 'staff', staffId: volunteerId } })
    expect(await decideDoorAccess(db, helper, other.meetingId)).toBe('forbidden')
    expect(await decideDoorAccess(db, { actor: CITIZEN, linkId: undefined }, meetingId)).toBe('signin')
    expect(await decideDoorAccess(db, lead, 999_999)).toBe('missing')

    const link = await createCheckinLink(db, asStaff(leaderId), meetingId)
    const tablet = { actor: CITIZEN, linkId: link.id }
    expect(await decideDoorAccess(db, tablet, meetingId)).toMatchObject({ viaLink: true, mayOverfill: false, actor: { kind: 'door', linkId: link.id, staffId: null } })
    expect(await decideDoorAccess(db, tablet, other.meetingId)).toBe('forbidden')
    expect(await decideDoorAccess(db, tablet, meetingId, new Date(Date.now() + 2 * 86400_000))).toBe('forbidden')
  })
})
