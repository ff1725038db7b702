import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { STALE_FORM } from '../../domain/error-messages.ts'
import { LOCATION_KINDS } from '../../domain/catalogue-vocabulary.ts'
import {
  type LocationErrors, type LocationFormValues, type PartnerErrors, type PartnerFormValues,
  readLocationForm, readPartnerForm, validateLocation, validatePartner
} from '../../domain/place-forms.ts'
import { findLocation, listAllLocations } from '../../repositories/location-repository.ts'
import { findPartner, listAllPartners } from '../../repositories/partner-repository.ts'
import { archiveLocation, archivePartner, createLocation, createPartner, editLocation, editPartner } from '../../services/place-service.ts'
import { parseId } from '../params.ts'

const emptyLocation: LocationFormValues = { name: '', kind: 'library', street: '', postal_code: '', city: '', room: '', access_note: '', step_free: true, hearing_loop: false }

/** Leaders keep the list of places (library branches, club premises) and partners. */
const placeRoutes: FastifyPluginAsync = async (fastify) => {
  const leader = { config: { role: 'leader' } } as const

  fastify.get('/personale/steder', leader, async (request, reply) => {
    const [locations, partners] = await Promise.all([listAllLocations(fastify.db), listAllPartners(fastify.db)])
    const query = request.query as Record<string, string | undefined>
    return await reply.viewAsync('staff/places', { title: 'Steder og partnere', locations, partners, kinds: LOCATION_KINDS, saved: query.gemt === '1', csrfToken: reply.generateCsrf() })
  })

  async function renderLocation (reply: FastifyReply, id: number | null, values: LocationFormValues, errors: LocationErrors, status = 200, formMessage?: string) {
    reply.code(status)
    return await reply.viewAsync('staff/location-form', {
      title: id === null ? 'Nyt sted' : `Ret ${values.name}`,
      id,
      values,
      errors,
      formMessage,
      kinds: LOCATION_KINDS,
      csrfToken: reply.generateCsrf()
    })
  }

  fastify.get('/personale/steder/ny', leader, async (_request, reply) => await renderLocation(reply, null, emptyLocation, {}))

  fastify.post('/personale/steder/ny', leader, async (request, reply) => {
    const values = readLocationForm(request.body)
    if (!fastify.checkCsrf(request)) return await renderLocation(reply, null, values, {}, 403, STALE_FORM.message)
    const result = validateLocation(values)
    if (!result.ok) return await renderLocation(reply, null, values, result.errors, 400)
    await createLocation(fastify.db, request.actor, result.input)
    return await reply.redirect('/personale/steder?gemt=1', 303)
  })

  fastify.get<{ Params: { id: string } }>('/personale/steder/:id', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    const row = id === undefined ? undefined : await findLocation(fastify.db, id)
    if (!row || id === undefined) return reply.callNotFound()
    return await renderLocation(reply, id, {
      name: row.name,
      kind: row.kind,
      street: row.street,
      postal_code: row.postal_code,
      city: row.city,
      room: row.room ?? '',
      access_note: row.access_note ?? '',
      step_free: row.step_free === 1,
      hearing_loop: row.hearing_loop === 1
    }, {})
  })

  fastify.post<{ Params: { id: string } }>('/personale/steder/:id', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined || !await findLocation(fastify.db, id)) return reply.callNotFound()
    const values = readLocationForm(request.body)
    if (!fastify.checkCsrf(request)) return await renderLocation(reply, id, values, {}, 403, STALE_FORM.message)
    const result = validateLocation(values)
    if (!result.ok) return await renderLocation(reply, id, values, result.errors, 400)
    await editLocation(fastify.db, request.actor, id, result.input)
    return await reply.redirect('/personale/steder?gemt=1', 303)
  })

  fastify.post<{ Params: { id: string } }>('/personale/steder/:id/arkiver', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined || !fastify.checkCsrf(request)) return await reply.code(id === undefined ? 404 : 403).viewAsync('errors/error', { title: 'Ikke gemt', message: STALE_FORM.message, status: 403 })
    const archive = (request.body as Record<string, unknown> | undefined)?.archive !== '0'
    if (!await archiveLocation(fastify.db, request.actor, id, archive)) return reply.callNotFound()
    return await reply.redirect('/personale/steder?gemt=1', 303)
  })

  async function renderPartner (reply: FastifyReply, id: number | null, values: PartnerFormValues, errors: PartnerErrors, status = 200, formMessage?: string) {
    reply.code(status)
    return await reply.viewAsync('staff/partner-form', { title: id === null ? 'Ny partner' : `Ret ${values.name}`, id, values, errors, formMessage, csrfToken: reply.generateCsrf() })
  }

  fastify.get('/personale/partnere/ny', leader, async (_request, reply) => await renderPartner(reply, null, { name: '', contact: '', note: '' }, {}))

  fastify.post('/personale/partnere/ny', leader, async (request, reply) => {
    const values = readPartnerForm(request.body)
    if (!fastify.checkCsrf(request)) return await renderPartner(reply, null, values, {}, 403, STALE_FORM.message)
    const result = validatePartner(values)
    if (!result.ok) return await renderPartner(reply, null, values, result.errors, 400)
    await createPartner(fastify.db, request.actor, result.input)
    return await reply.redirect('/personale/steder?gemt=1', 303)
  })

  fastify.get<{ Params: { id: string } }>('/personale/partnere/:id', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    const row = id === undefined ? undefined : await findPartner(fastify.db, id)
    if (!row || id === undefined) return reply.callNotFound()
    return await renderPartner(reply, id, { name: row.name, contact: row.contact ?? '', note: row.note ?? '' }, {})
  })

  fastify.post<{ Params: { id: string } }>('/personale/partnere/:id', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined || !await findPartner(fastify.db, id)) return reply.callNotFound()
    const values = readPartnerForm(request.body)
    if (!fastify.checkCsrf(request)) return await renderPartner(reply, id, values, {}, 403, STALE_FORM.message)
    const result = validatePartner(values)
    if (!result.ok) return await renderPartner(reply, id, values, result.errors, 400)
    await editPartner(fastify.db, request.actor, id, result.input)
    return await reply.redirect('/personale/steder?gemt=1', 303)
  })

  fastify.post<{ Params: { id: string } }>('/personale/partnere/:id/arkiver', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined || !fastify.checkCsrf(request)) return await reply.code(id === undefined ? 404 : 403).viewAsync('errors/error', { title: 'Ikke gemt', message: STALE_FORM.message, status: 403 })
    const archive = (request.body as Record<string, unknown> | undefined)?.archive !== '0'
    if (!await archivePartner(fastify.db, request.actor, id, archive)) return reply.callNotFound()
    return await reply.redirect('/personale/steder?gemt=1', 303)
  })
}

export default placeRoutes
