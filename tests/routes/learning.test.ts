import { describe, expect, it } from 'vitest'
import { bookSeat } from '../../server/services/booking-service.ts'
import { correctAttendance, newCheckinKey, runCheckinAction } from '../../server/services/checkin-service.ts'
import { assignToClass } from '../../server/services/volunteer-service.ts'
import { bookingInput, createClass, createClassToday, createStaff, staffIdOf, asStaff } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, signedInAgent } from '../helpers/http.ts'
import { CITIZEN, SYSTEM } from '../../server/domain/actor.ts'

const earlier = new Date(Date.now() - 3 * 86400_000)

async function setUp () {
  const t = await buildTestApp()
  const { classId, meetingId } = await createClassToday(t.db, { capacity: 5 })
  await bookSeat(t.db, CITIZEN, classId, bookingInput({ name: 'Grethe Hansen', phone: '+4522223333' }), { source: 'phone', now: earlier })
  await bookSeat(t.db, CITIZEN, classId, bookingInput({ name: 'Bent Olsen', phone: '+4566667777' }), { source: 'phone', now: earlier })
  const rows = await t.db.selectFrom('bookings').select(['id', 'participant_id']).where('class_id', '=', classId).orderBy('id').execute()
  const secondMeeting = (await t.db.selectFrom('meetings').select('id').where('class_id', '=', classId).orderBy('starts_at', 'desc').executeTakeFirstOrThrow()).id
  return { ...t, classId, meetingId, secondMeeting, grethe: rows[0]!, bent: rows[1]! }
}

describe('after the meeting', () => {
  it('lets the instructor on the class tick learning goals and a device for each learner', async () => {
    const t = await setUp()
    await runCheckinAction(t.db, SYSTEM, t.meetingId, { key: newCheckinKey(), type: 'in', bookingId: t.grethe.id })
    const login = await createStaff(t.db, 'volunteer', 'inga@bib.dk')
    const outsider = await signedInAgent(t.app, await createStaff(t.db, 'volunteer'))
    await outsider.get(`/personale/hold/${t.classId}/laeringsmaal`).expect(403)
    const id = await staffIdOf(t.db, 'inga@bib.dk')
    await assignToClass(t.db, asStaff(id), t.classId, id, 'instructor')
    const inga = await signedInAgent(t.app, login)
    const page = await inga.get(`/personale/hold/${t.classId}/laeringsmaal`).expect(200)
    expect(page.text).toContain('<legend class="h3">Grethe Hansen</legend>')
    expect(page.text).toContain('Kan logge på borger.dk med MitID')
    expect(page.text).toContain('1 af 2 gange')
    expect(page.text).not.toContain('22 22 33 33')
    await inga.post(`/personale/hold/${t.classId}/laeringsmaal`).type('form')
      .send(`_csrf=${encodeURIComponent(csrfOf(page.text))}&goals_${t.grethe.id}=2&goals_${t.grethe.id}=3&goals_${t.grethe.id}=99&device_${t.grethe.id}=iphone&device_${t.bent.id}=toaster`)
      .expect(303)
    const ticks = await t.db.selectFrom('learning_goal_ticks').select(['booking_id', 'goal']).orderBy('goal').execute()
    expect(ticks).toEqual([
      { booking_id: t.grethe.id, goal: 'Kan hente MitID-appen i App Store eller Google Play' },
      { booking_id: t.grethe.id, goal: 'Kan logge på borger.dk med MitID' }
    ])
    const devices = await t.db.selectFrom('bookings').select(['id', 'device']).orderBy('id').execute()
    expect(devices).toEqual([{ id: t.grethe.id, device: 'iphone' }, { id: t.bent.id, device: null }])
    const again = await inga.get(`/personale/hold/${t.classId}/laeringsmaal?gemt=1`)
    expect(again.text).toContain('Læringsmålene er gemt.')
    expect(again.text).toMatch(new RegExp(`id="g-${t.grethe.id}-3"[^>]*checked`))
    // Unticking removes a goal again.
    await inga.post(`/personale/hold/${t.classId}/laeringsmaal`).type('form').send(`_csrf=${encodeURIComponent(csrfOf(page.text))}&goals_${t.grethe.id}=3`).expect(303)
    expect(await t.db.selectFrom('learning_goal_ticks').select('goal').execute()).toEqual([{ goal: 'Kan logge på borger.dk med MitID' }])
  })

  it('lets a leader correct attendance from a paper list; a learner at every meeting has completed the class', async () => {
    const t = await setUp()
    const volunteer = await signedInAgent(t.app, await createStaff(t.db, 'volunteer'))
    await volunteer.get(`/personale/hold/${t.classId}/fremmoede`).expect(403)
    const leaderLogin = await createStaff(t.db, 'leader')
    const leader = await signedInAgent(t.app, leaderLogin)
    const page = await leader.get(`/personale/hold/${t.classId}/fremmoede`).expect(200)
    // Today's meeting can be ticked; the one a week from now cannot yet.
    expect(page.text).toContain(`value="${t.grethe.id}:${t.meetingId}"`)
    expect(page.text).not.toContain(`value="${t.grethe.id}:${t.secondMeeting}"`)
    await leader.post(`/personale/hold/${t.classId}/fremmoede`).type('form')
      .send(`_csrf=${encodeURIComponent(csrfOf(page.text))}&here=${t.grethe.id}:${t.meetingId}&here=${t.bent.id}:${t.secondMeeting}`)
      .expect(303)
    expect(await t.db.selectFrom('attendances').select(['booking_id', 'via']).execute()).toEqual([{ booking_id: t.grethe.id, via: 'paper' }])
    // A week later the second meeting can be ticked, and Grethe has completed the class.
    await t.db.updateTable('meetings').set({ starts_at: '2020-01-08T09:00:00.000Z', ends_at: '2020-01-08T11:00:00.000Z' }).where('id', '=', t.secondMeeting).execute()
    await t.db.updateTable('meetings').set({ starts_at: '2020-01-01T09:00:00.000Z', ends_at: '2020-01-01T11:00:00.000Z' }).where('id', '=', t.meetingId).execute()
    const later = await leader.get(`/personale/hold/${t.classId}/fremmoede`)
    // Bent is checked in at the door after the leader opened the page: saving it must not undo that.
    await correctAttendance(t.db, asStaff(await staffIdOf(t.db, leaderLogin.email)), t.classId, [{ bookingId: t.bent.id, meetingId: t.meetingId, attended: true }])
    await leader.post(`/personale/hold/${t.classId}/fremmoede`).type('form')
      .send(`_csrf=${encodeURIComponent(csrfOf(later.text))}&was=${t.grethe.id}:${t.meetingId}&here=${t.grethe.id}:${t.meetingId}&here=${t.grethe.id}:${t.secondMeeting}`)
      .expect(303)
    expect((await t.db.selectFrom('attendances').select('booking_id').where('booking_id', '=', t.bent.id).execute())).toHaveLength(1)
    const done = await leader.get(`/personale/hold/${t.classId}/fremmoede?gemt=1`)
    expect(done.text).toContain('Fremmødet er gemt.')
    expect(done.text).toMatch(/Grethe Hansen<\/th>[\s\S]*?<td>Ja<\/td>/)
    expect(done.text).toMatch(/Bent Olsen<\/th>[\s\S]*?<td>Nej<\/td>/)
    // One hidden list of what the page showed as attended (Bent's check-in at the door among them).
    expect(/name="was" value="([^"]*)"/.exec(done.text)?.[1]?.split(',')).toContain(`${t.bent.id}:${t.meetingId}`)
  })

  it('shows a participant\'s history and books them onto the suggested next course', async () => {
    const t = await setUp()
    await runCheckinAction(t.db, SYSTEM, t.meetingId, { key: newCheckinKey(), type: 'in', bookingId: t.grethe.id })
    await t.db.insertInto('learning_goal_ticks').values({ booking_id: t.grethe.id, goal: 'Kan logge på borger.dk med MitID', staff_user_id: null, ticked_at: new Date().toISOString() }).execute()
    const next = await createClass(t.db, { course: 'mitid-appen', capacity: 4, meetings: ['2030-03-05T10:00'] })
    const leader = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const page = await leader.get(`/personale/deltagere/${t.grethe.participant_id}`).expect(200)
    expect(page.text).toContain('1 fremmøde · 0 hold gennemført')
    expect(page.text).toContain('1 af 2')
    expect(page.text).toContain('<li>Kan logge på borger.dk med MitID</li>')
    expect(page.text).toContain('MitID-appen')
    expect(page.text).toContain(`name="class_id" value="${next}"`)
    // Bent never came: no suggestion for him.
    const bent = await leader.get(`/personale/deltagere/${t.bent.participant_id}`)
    expect(bent.text).toContain('Når deltageren har været på et kursus, foreslår vi her det næste.')

    const booked = await leader.post(`/personale/deltagere/${t.grethe.participant_id}/tilmeld`).type('form').send({ _csrf: csrfOf(page.text), class_id: String(next) }).expect(303)
    expect(booked.headers.location).toBe(`/personale/deltagere/${t.grethe.participant_id}?tilmeldt=plads#naeste`)
    const booking = await t.db.selectFrom('bookings').select(['participant_id', 'source']).where('class_id', '=', next).executeTakeFirstOrThrow()
    expect(booking).toEqual({ participant_id: t.grethe.participant_id, source: 'phone' })
    expect(await t.db.selectFrom('participants').select('id').where('name', '=', 'Grethe Hansen').execute()).toHaveLength(1)
    const after = await leader.get(`/personale/deltagere/${t.grethe.participant_id}?tilmeldt=plads`)
    expect(after.text).toContain('Deltageren har fået en plads.')
    // Now booked, the course is no longer suggested.
    expect(after.text).not.toContain(`name="class_id" value="${next}"`)
  })

  it('shows milestone progress and history, and lets leaders set the rules', async () => {
    const t = await setUp()
    const leader = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const page = await leader.get('/personale/milepaele').expect(200)
    expect(page.text).toContain('Hver 1.000. deltager i alt')
    expect(page.text).toContain('0 deltagere i alt</strong> – 1.000 til 1.000')
    const bad = await leader.post('/personale/milepaele/regler').type('form').send({ _csrf: csrfOf(page.text), scope: 'location:*', mode: 'every', number: 'mange' }).expect(400)
    expect(bad.text).toContain('Skriv et helt tal større end 0, fx 1000.')
    expect(bad.text).toContain('value="mange"')
    await leader.post('/personale/milepaele/regler').type('form').send({ _csrf: csrfOf(page.text), scope: 'location:*', mode: 'once', number: '1' }).expect(303)
    await runCheckinAction(t.db, SYSTEM, t.meetingId, { key: newCheckinKey(), type: 'in', bookingId: t.grethe.id })
    const after = await leader.get('/personale/milepaele')
    expect(after.text).toContain('Deltager nr. 1 på hvert sted')
    expect(after.text).toContain('1 deltagere i alt</strong> – 999 til 1.000')
    expect(after.text).toMatch(/<td>1 på [^<]+<\/td><td><a href="\/personale\/deltagere\/\d+">Grethe Hansen<\/a>/)
    const volunteer = await signedInAgent(t.app, await createStaff(t.db, 'volunteer'))
    await volunteer.get('/personale/milepaele').expect(403)
  })
})
