import { describe, expect, it } from 'vitest'
import { bookSeat } from '../../server/services/booking-service.ts'
import { assignToClass } from '../../server/services/volunteer-service.ts'
import { replaceStaffLocations } from '../../server/repositories/staff-repository.ts'
import { bookingInput, createClass, createClassToday, createLocation, createStaff, seedEarlierParticipants, staffIdOf, asStaff } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, signedInAgent } from '../helpers/http.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

const earlier = new Date(Date.now() - 3 * 86400_000)

async function setUp (opts: { capacity?: number, config?: Parameters<typeof buildTestApp>[0] } = {}) {
  const t = await buildTestApp(opts.config)
  const { classId, meetingId } = await createClassToday(t.db, { capacity: opts.capacity ?? 5 })
  for (const [name, phone] of [['Grethe Hansen', '+4522223333'], ['Bent Olsen', '+4566667777']] as const) {
    await bookSeat(t.db, CITIZEN, classId, bookingInput({ name, phone }), { source: 'phone', now: earlier })
  }
  const bookings = await t.db.selectFrom('bookings').innerJoin('participants', 'participants.id', 'bookings.participant_id').select(['bookings.id', 'participants.name', 'bookings.checkin_code']).where('class_id', '=', classId).orderBy('bookings.id').execute()
  const login = await createStaff(t.db, 'volunteer', 'frida@bib.dk')
  const fridaId = await staffIdOf(t.db, 'frida@bib.dk')
  await assignToClass(t.db, asStaff(fridaId), classId, fridaId, 'helper')
  const frida = await signedInAgent(t.app, login)
  return { ...t, classId, meetingId, grethe: bookings[0]!, bent: bookings[1]!, frida }
}

const isHere = async (t: Awaited<ReturnType<typeof setUp>>, bookingId: number) =>
  (await t.db.selectFrom('attendances').select('id').where('booking_id', '=', bookingId).where('meeting_id', '=', t.meetingId).executeTakeFirst()) !== undefined

describe('the door, as a tired volunteer uses it', () => {
  it('never undoes a check-in with one tap: "Fortryd" asks first, with and without JavaScript', async () => {
    const t = await setUp()
    const url = `/tjek-ind/${t.meetingId}`
    let page = await t.frida.get(url).expect(200)
    await t.frida.post(`${url}/handling`).type('form').send({ _csrf: csrfOf(page.text), key: 'in-key-000001', type: 'in', booking_id: String(t.bent.id) }).expect(303)
    page = await t.frida.get(url).expect(200)
    // The checked-in row has no form that undoes at once: "Fortryd" only opens a question.
    const row = /<li[^>]*data-booking-id="(\d+)"[^>]*>[\s\S]*?<\/li>/g
    const bentRow = [...page.text.matchAll(row)].find(m => m[1] === String(t.bent.id))?.[0] ?? ''
    expect(bentRow).toContain('Fortryd<span class="sr-only"> tjek ind af Bent Olsen</span>')
    expect(bentRow).not.toContain('name="type" value="out"')

    // An old page's (or a replayed) undo without the confirmation asks instead of undoing.
    const asked = await t.frida.post(`${url}/handling`).type('form').send({ _csrf: csrfOf(page.text), key: 'out-key-00001', type: 'out', booking_id: String(t.bent.id) }).expect(303)
    expect(asked.headers.location).toBe(`${url}?fortryd=${t.bent.id}#p-${t.bent.id}`)
    expect(await isHere(t, t.bent.id)).toBe(true)

    const question = await t.frida.get(`${url}?fortryd=${t.bent.id}`).expect(200)
    expect(question.text).toContain('Skal Bent Olsen ikke være tjekket ind?')
    expect(question.text).toContain(`href="${url}#p-${t.bent.id}"`) // "Nej, behold"
    await t.frida.post(`${url}/handling`).type('form').send({ _csrf: csrfOf(question.text), key: 'out-key-00002', type: 'out', confirm: '1', booking_id: String(t.bent.id) }).expect(303)
    expect(await isHere(t, t.bent.id)).toBe(false)
  })

  it('clears the search after a check-in without JavaScript, and shows the message where the volunteer looks', async () => {
    const t = await setUp()
    const url = `/tjek-ind/${t.meetingId}`
    const page = await t.frida.get(`${url}?q=bent`).expect(200)
    const done = await t.frida.post(`${url}/handling?q=bent`).type('form').send({ _csrf: csrfOf(page.text), key: 'in-key-000002', type: 'in', booking_id: String(t.bent.id) }).expect(303)
    expect(done.headers.location).toBe(`${url}#besked`)
  })

  it('draws the overfill checkbox as a labelled design-system checkbox inside the walk-in form', async () => {
    const t = await setUp()
    const leader = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const page = await leader.get(`/tjek-ind/${t.meetingId}`).expect(200)
    const form = /<form[^>]*id="door-walkin-form"[\s\S]*?<\/form>/.exec(page.text)?.[0] ?? ''
    expect(form).toMatch(/<div class="form-group-checkbox">\s*<input class="form-checkbox" id="f-overfill" name="overfill" type="checkbox" value="1">\s*<label[^>]*for="f-overfill">Giv plads, selv om holdet er fuldt<\/label>/)
  })

  it('tells about a walk-in next to the walk-in form, in a live region, without JavaScript', async () => {
    const t = await setUp()
    const url = `/tjek-ind/${t.meetingId}`
    const page = await t.frida.get(url).expect(200)
    // The live region is there from the start, so screen readers announce what the script writes into it.
    expect(/<section class="door-box" id="ny"[\s\S]*?<div[^>]*id="door-walkin-message"[^>]*aria-live="polite"/.test(page.text)).toBe(true)
    const added = await t.frida.post(`${url}/handling`).type('form').send({ _csrf: csrfOf(page.text), key: 'walk-key-00001', type: 'walkin', name: 'Ida Nielsen', phone: '', email: '' }).expect(303)
    expect(added.headers.location).toBe(`${url}#ny`)
    const after = await t.frida.get(url).expect(200)
    const box = /<section class="door-box" id="ny"[\s\S]*?<\/section>/.exec(after.text)?.[0] ?? ''
    expect(box).toContain('Ida Nielsen har fået en plads og er tjekket ind.')
    // Told once: not also at the top of the page.
    expect(after.text.split('Ida Nielsen har fået en plads').length).toBe(2)
  })

  it('says who holds a milestone after its check-in is undone, or that nobody does yet', async () => {
    const t = await setUp()
    await seedEarlierParticipants(t.db, 2999)
    const url = `/tjek-ind/${t.meetingId}`
    const page = await t.frida.get(url).expect(200)
    const sync = async (actions: unknown[]) => (await t.frida.post(`${url}/synk`).send({ _csrf: csrfOf(page.text), actions }).expect(200)).body.results as Array<Record<string, unknown>>
    const [grethe] = await sync([{ key: 'ms-key-000001', type: 'in', bookingId: t.grethe.id }])
    expect((grethe!.milestones as Array<{ number: number }>)[0]!.number).toBe(3000)
    await sync([{ key: 'ms-key-000002', type: 'in', bookingId: t.bent.id }])

    // Grethe was number 3,000; taken back, Bent (who came next) now holds it.
    const [undone] = await sync([{ key: 'ms-key-000003', type: 'out', bookingId: t.grethe.id }])
    expect(undone!.message).toBe('Grethe Hansen er ikke længere tjekket ind.')
    expect(undone!.milestonesMoved).toMatchObject([{ number: 3000, scopeLabel: 'i alt', holder: { bookingId: t.bent.id, name: 'Bent Olsen', here: true } }])
    expect(undone!.milestoneMessage).toBe('Grethe Hansen er ikke længere deltager nr. 3.000 i alt. Nu er Bent Olsen nr. 3.000 og skal fejres. Projektlederen har fået besked.')
    // The same undo sent again (a dropped answer) gives the same news.
    const [again] = await sync([{ key: 'ms-key-000003', type: 'out', bookingId: t.grethe.id }])
    expect(again).toMatchObject({ replayed: true, milestoneMessage: undone!.milestoneMessage })

    // Bent taken back too: nobody is number 3,000 yet. Without JavaScript the page says so.
    const form = await t.frida.get(url)
    await t.frida.post(`${url}/handling`).type('form').send({ _csrf: csrfOf(form.text), key: 'ms-key-000004', type: 'out', confirm: '1', booking_id: String(t.bent.id) }).expect(303)
    const after = await t.frida.get(url).expect(200)
    expect(after.text).toContain('Bent Olsen er ikke længere deltager nr. 3.000 i alt. Ingen har nr. 3.000 endnu: den næste nye deltager får nummeret. Projektlederen har fået besked.')
    expect(/<section class="door-milestone-moved"[^>]*role="alert"/.test(after.text)).toBe(true)
  })

  it('answers a wrong six-character code with "Koden findes ikke", and a short one with the length', async () => {
    const t = await setUp()
    const url = `/tjek-ind/${t.meetingId}`
    const page = await t.frida.get(url).expect(200)
    const send = async (code: string, key: string) => await t.frida.post(`${url}/handling`).type('form').send({ _csrf: csrfOf(page.text), key, type: 'code', code })
    for (const [i, code] of ['ABCDEF', 'ACDEFH', 'k7m 4p0'].entries()) {
      const res = await send(code, `code-key-0000${i}`)
      expect(res.text, code).toContain('Koden findes ikke')
      expect(res.text, code).not.toContain('Koden skal have 6 tegn')
    }
    expect((await send('K7M', 'code-key-00009')).text).toContain('Koden skal have 6 tegn')
    const sync = await t.frida.post(`${url}/synk`).send({ _csrf: csrfOf(page.text), actions: [{ key: 'code-key-00010', type: 'code', code: 'ABCDEF' }] }).expect(200)
    expect(sync.body.results[0]).toMatchObject({ ok: false, error: 'code_not_found' })
    expect(sync.body.results[0].message).toContain('Koden findes ikke')
  })

  it('tells a volunteer with no class today whom to ask: the leaders of their place, or the contact phone', async () => {
    const t = await setUp({ config: { contactPhone: '70 10 20 30' } })
    const home = await createLocation(t.db, { name: 'Hovedbiblioteket' })
    const away = await createLocation(t.db, { name: 'Filialen' })
    const ole = await createStaff(t.db, 'volunteer', 'ole@bib.dk')
    await replaceStaffLocations(t.db, await staffIdOf(t.db, 'ole@bib.dk'), [home])
    const oleAgent = await signedInAgent(t.app, ole)

    // No leader at all yet: the library's contact phone.
    let today = await oleAgent.get('/tjek-ind').expect(200)
    expect(today.text).toContain('Du er ikke sat på noget hold i dag')
    expect(today.text).toContain('<a class="phone" href="tel:70102030">70 10 20 30</a>')

    await createStaff(t.db, 'leader', 'lene@bib.dk')
    const leneId = await staffIdOf(t.db, 'lene@bib.dk')
    await t.db.updateTable('staff_users').set({ name: 'Lene Holm', phone: '+4512345678' }).where('id', '=', leneId).execute()
    await replaceStaffLocations(t.db, leneId, [home])
    await createStaff(t.db, 'leader', 'kaj@bib.dk')
    await replaceStaffLocations(t.db, await staffIdOf(t.db, 'kaj@bib.dk'), [away])
    // A class coming up later shows when Ole is next on.
    const later = await createClass(t.db, { locationId: home })
    await assignToClass(t.db, asStaff(leneId), later, await staffIdOf(t.db, 'ole@bib.dk'), 'helper')

    today = await oleAgent.get('/tjek-ind').expect(200)
    expect(today.text).toContain('Lene Holm')
    expect(today.text).toContain('<a class="phone" href="tel:+4512345678">12 34 56 78</a>')
    expect(today.text).not.toContain('Test leader') // Kaj works at another place
    expect(today.text).toContain('Dit næste hold:')

    // A volunteer with no place set is told of the leaders there are.
    const ib = await signedInAgent(t.app, await createStaff(t.db, 'volunteer', 'ib@bib.dk'))
    const ibToday = await ib.get('/tjek-ind').expect(200)
    expect(ibToday.text).toContain('Lene Holm')
    expect(ibToday.text).toContain('Test leader')
  })
})
