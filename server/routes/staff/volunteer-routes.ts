import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import type { StaffTask } from '../../db/schema.ts'
import { STALE_FORM } from '../../domain/error-messages.ts'
import { hasRole } from '../../domain/staff.ts'
import { listActiveBookings } from '../../repositories/booking-repository.ts'
import { findClassSummary } from '../../repositories/class-repository.ts'
import { isAssigned } from '../../repositories/class-staff-repository.ts'
import { findStaffUser, listStaffLocationIds } from '../../repositories/staff-repository.ts'
import { listActiveLocations } from '../../repositories/location-repository.ts'
import { formatPhone, normalizePhone } from '../../domain/phone.ts'
import { startStaffSession } from '../../plugins/auth.ts'
import { signInRateLimit } from '../../plugins/security.ts'
import { changeStaffPassword, endStaffSessions, type PasswordChangeErrors, saveStaffProfile } from '../../services/staff-service.ts'
import { toCard } from '../../services/class-query-service.ts'
import { assignToClass, getStaffClasses, removeFromClass } from '../../services/volunteer-service.ts'
import { parseId } from '../params.ts'

/** Assigning volunteers and instructors to classes, and what each of them sees. */
const volunteerRoutes: FastifyPluginAsync = async (fastify) => {
  const leader = { config: { role: 'leader' } } as const
  const anyStaff = { config: { role: 'volunteer' } } as const

  fastify.post<{ Params: { id: string } }>('/personale/hold/:id/personale', leader, async (request, reply) => {
    const classId = parseId(request.params.id)
    const body = request.body as Record<string, unknown> | undefined
    const staffUserId = parseId(body?.staff_user_id)
    if (classId === undefined) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await reply.staleForm()
    const task: StaffTask = body?.task === 'instructor' ? 'instructor' : 'helper'
    // Someone deactivated meanwhile (or no one chosen) is not set: back to the class as it is.
    if (staffUserId === undefined || !await assignToClass(fastify.db, request.actor, classId, staffUserId, task)) return await reply.redirect(`/personale/hold/${classId}`, 303)
    return await reply.redirect(`/personale/hold/${classId}?gemt=1#personale`, 303)
  })

  fastify.post<{ Params: { id: string, staffId: string } }>('/personale/hold/:id/personale/:staffId/fjern', leader, async (request, reply) => {
    const classId = parseId(request.params.id)
    const staffUserId = parseId(request.params.staffId)
    if (classId === undefined || staffUserId === undefined) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await reply.staleForm()
    await removeFromClass(fastify.db, request.actor, classId, staffUserId)
    return await reply.redirect(`/personale/hold/${classId}?gemt=1#personale`, 303)
  })

  fastify.get<{ Params: { id: string } }>('/personale/frivillige/:id', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    const person = id === undefined ? undefined : await findStaffUser(fastify.db, id)
    if (!person || id === undefined) return reply.callNotFound()
    const classes = await getStaffClasses(fastify.db, id)
    const locationIds = await listStaffLocationIds(fastify.db, id)
    const places = (await listActiveLocations(fastify.db)).filter(l => locationIds.includes(l.id)).map(l => l.name)
    return await reply.viewAsync('staff/volunteer', { title: person.name, person, places, phone: person.phone ? formatPhone(person.phone) : null, ...classes })
  })

  async function renderProfile (reply: FastifyReply, staffId: number, values: { name: string, phone: string, locations: number[] } | undefined, errors: { name?: string, phone?: string }, status = 200, notice: { saved?: boolean, passwordChanged?: boolean } = {}, passwordErrors: PasswordChangeErrors & { form?: string } = {}) {
    reply.code(status)
    const user = values === undefined ? await findStaffUser(fastify.db, staffId) : undefined
    const shown = values ?? { name: user?.name ?? '', phone: user?.phone ? formatPhone(user.phone) : '', locations: await listStaffLocationIds(fastify.db, staffId) }
    return await reply.viewAsync('staff/profile', { title: 'Din profil', values: shown, errors, saved: notice.saved ?? false, passwordChanged: notice.passwordChanged ?? false, passwordErrors, locations: (await listActiveLocations(fastify.db)), staffId, csrfToken: reply.generateCsrf() })
  }

  fastify.get('/personale/profil', anyStaff, async (request, reply) => {
    const staff = request.staff
    if (!staff) return reply.callNotFound()
    const query = request.query as Record<string, string | undefined>
    return await renderProfile(reply, staff.id, undefined, {}, 200, { saved: query.gemt === '1', passwordChanged: query.adgangskode === '1' })
  })

  /** Every session of the user ends, this one too, and any copy of a cookie with it. */
  fastify.post('/personale/profil/log-ud-alle-steder', anyStaff, async (request, reply) => {
    const staff = request.staff
    if (!staff) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await reply.staleForm()
    await endStaffSessions(fastify.db, request.actor, 'everywhere')
    request.session.delete()
    request.log.info({ staffId: staff.id }, 'staff sessions ended everywhere')
    return await reply.redirect('/personale/log-ind?logget-ud=alle', 303)
  })

  /** A new password ends every other session; this one goes on in a fresh cookie. */
  fastify.post('/personale/profil/adgangskode', {
    config: { role: 'volunteer', rateLimit: signInRateLimit() }
  }, async (request, reply) => {
    const staff = request.staff
    if (!staff) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await renderProfile(reply, staff.id, undefined, {}, 403, {}, { form: STALE_FORM.message })
    const body = (request.body ?? {}) as Record<string, unknown>
    const field = (key: string) => typeof body[key] === 'string' ? body[key] : ''
    const result = await changeStaffPassword(fastify.db, request.actor, { current: field('current_password'), password: field('password'), repeat: field('password_repeat') })
    if (!result.ok) return await renderProfile(reply, staff.id, undefined, {}, 400, {}, result.errors)
    startStaffSession(request, { id: staff.id, session_generation: result.sessionGeneration })
    return await reply.redirect('/personale/profil?adgangskode=1', 303)
  })

  fastify.post('/personale/profil', anyStaff, async (request, reply) => {
    const staff = request.staff
    if (!staff) return reply.callNotFound()
    const body = (request.body ?? {}) as Record<string, unknown>
    const raw = body.locations
    const locations = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(v => parseId(v)).filter((v): v is number => v !== undefined)
    const values = { name: typeof body.name === 'string' ? body.name : '', phone: typeof body.phone === 'string' ? body.phone : '', locations }
    if (!fastify.checkCsrf(request)) return await renderProfile(reply, staff.id, values, {}, 403)
    const errors: { name?: string, phone?: string } = {}
    const name = values.name.normalize('NFC').replace(/\s+/g, ' ').trim()
    if (name === '' || name.length > 100) errors.name = 'Skriv dit navn (højst 100 tegn).'
    const phone = values.phone.trim() === '' ? null : normalizePhone(values.phone)
    if (phone !== null && !phone.ok) errors.phone = 'Telefonnummeret ser forkert ud. Skriv 8 cifre, fx 12 34 56 78.'
    if (Object.keys(errors).length > 0) return await renderProfile(reply, staff.id, values, errors, 400)
    const valid = new Set((await listActiveLocations(fastify.db)).map(l => l.id))
    await saveStaffProfile(fastify.db, request.actor, { name, phone: phone?.ok === true ? phone.e164 : null, locationIds: [...new Set(locations.filter(id => valid.has(id)))] })
    return await reply.redirect('/personale/profil?gemt=1', 303)
  })

  /** A volunteer's own class: names and needs only, never contact details. */
  fastify.get<{ Params: { id: string } }>('/personale/mine-hold/:id', anyStaff, async (request, reply) => {
    const id = parseId(request.params.id)
    const staff = request.staff
    const summary = id === undefined ? undefined : await findClassSummary(fastify.db, id)
    if (!summary || id === undefined || !staff) return reply.callNotFound()
    if (!hasRole(staff.role, 'leader') && !await isAssigned(fastify.db, id, staff.id)) {
      return await reply.code(403).viewAsync('errors/error', { title: 'Du har ikke adgang', message: 'Du er ikke sat på dette hold. Spørg projektlederen, hvis du skal hjælpe på holdet.', status: 403 })
    }
    const bookings = (await listActiveBookings(fastify.db, id)).filter(b => b.status === 'confirmed')
    return await reply.viewAsync('staff/my-class', {
      title: summary.courseTitle,
      cls: toCard(summary, new Date()),
      people: bookings.map(b => ({
        name: b.name,
        needs: [b.needs_companion ? 'Har ledsager med' : '', b.needs_hearing_loop ? 'Teleslynge' : '', b.needs_other ?? ''].filter(Boolean).join('. ')
      }))
    })
  })
}

export default volunteerRoutes
