import { describe, expect, it } from 'vitest'
import { CITIZEN, SYSTEM } from '../../server/domain/actor.ts'
import { newCheckinKey, runCheckinAction } from '../../server/services/checkin-service.ts'
import { bookingInput, bookNew, countBookings, createClass, createStaff } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, signedInAgent } from '../helpers/http.ts'

const NOTE = 'Kom ikke de sidste 2 gange uden at melde afbud (Digital Post – læs, svar og få hjælp fra en pårørende, mandag 10. februar; Kom godt i gang med MitID, mandag 3. februar).'

describe('missed meetings on the staff pages', () => {
  it('shows attended and missed meetings on the participant page, and the note there, on the booking page and on the phone form', async () => {
    const t = await buildTestApp()
    const x = await createClass(t.db, { capacity: 10, meetings: ['2025-02-03T10:00'] })
    const y = await createClass(t.db, { course: 'digital-post-laes-og-svar', capacity: 10, meetings: ['2025-02-10T10:00', '2025-02-17T10:00'] })
    const later = await createClass(t.db, { course: 'mitid-appen', capacity: 10 })
    const book = async (classId: number, name: string, phone: string) => {
      const { token } = await bookNew(t.db, CITIZEN, classId, bookingInput({ name, phone }), { source: 'online', now: new Date('2025-01-10T10:00:00Z') })
      return await t.db.selectFrom('bookings').select(['id', 'participant_id']).where('token', '=', token).executeTakeFirstOrThrow()
    }
    // Sofie came to neither class; Thomas came to Y's first meeting, not to X.
    const sofieX = await book(x, 'Sofie Holm', '+4550000001')
    await book(y, 'Sofie Holm', '+4550000001')
    await book(x, 'Thomas Berg', '+4550000002')
    const thomasY = await book(y, 'Thomas Berg', '+4550000002')
    const yFirst = await t.db.selectFrom('meetings').select(['id', 'starts_at']).where('class_id', '=', y).orderBy('starts_at').executeTakeFirstOrThrow()
    await runCheckinAction(t.db, SYSTEM, yFirst.id, { key: newCheckinKey(), type: 'in', bookingId: thomasY.id }, { now: new Date('2025-02-10T09:05:00Z') })
    const leader = await signedInAgent(t.app, await createStaff(t.db, 'leader'))

    const sofie = await leader.get(`/personale/deltagere/${sofieX.participant_id}`).expect(200)
    expect(sofie.text).toContain(NOTE)
    const rows = (html: string) => {
      const table = /<h2 id="moedegange">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? ''
      return [...table.matchAll(/<tr><td>([^<]*)<\/td><td>[\s\S]*?<\/td><td>([^<]*)<\/td><\/tr>/g)].map(m => [m[1], m[2]])
    }
    // Newest first: Y's two meetings, then X.
    expect(rows(sofie.text)).toEqual([
      ['mandag 17. februar 2025 kl. 10.00', 'Kom ikke'], ['mandag 10. februar 2025 kl. 10.00', 'Kom ikke'], ['mandag 3. februar 2025 kl. 10.00', 'Kom ikke']
    ])
    const thomas = await leader.get(`/personale/deltagere/${thomasY.participant_id}`).expect(200)
    expect(rows(thomas.text)).toEqual([
      ['mandag 17. februar 2025 kl. 10.00', 'Kom ikke'], ['mandag 10. februar 2025 kl. 10.00', 'Kom'], ['mandag 3. februar 2025 kl. 10.00', 'Kom ikke']
    ])
    expect(thomas.text).not.toContain('Kom ikke de sidste')

    const bookingPage = await leader.get(`/personale/tilmeldinger/${sofieX.id}`).expect(200)
    expect(bookingPage.text).toContain(NOTE)

    // The phone form: looking the person up books nothing, keeps the values and shows the note.
    const form = await leader.get(`/personale/hold/${later}/tilmeld`).expect(200)
    expect(form.text).not.toContain('Kom ikke de sidste')
    const lookUp = async (name: string, phone: string) => await leader.post(`/personale/hold/${later}/tilmeld`).type('form')
      .send({ _csrf: csrfOf(form.text), name, phone, email: '', birth_year: '', slaa_op: '1' }).expect(200)
    const found = await lookUp('Sofie Holm', '50 00 00 01')
    expect(found.text).toContain(NOTE)
    expect(found.text).toContain(`href="/personale/deltagere/${sofieX.participant_id}"`)
    expect(found.text).toContain('value="50 00 00 01"')
    const other = await lookUp('Thomas Berg', '50000002')
    expect(other.text).toContain('Vi kender personen')
    expect(other.text).not.toContain('Kom ikke de sidste')
    const stranger = await lookUp('Ukendt Person', '50000009')
    expect(stranger.text).toContain('Vi kender ikke nogen')
    expect(await countBookings(t.db, later)).toBe(0)
    await t.app.close()
  })
})
