import SwaggerParser from '@apidevtools/swagger-parser'
import { BaseResolver, createConfig, lintDocument, makeDocumentFromString } from '@redocly/openapi-core'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClass, createLocation, createStaff } from '../helpers/factories.ts'
import { buildTestApp, createApiTokenViaForm, signedInAgent, type TestApp } from '../helpers/http.ts'
import { recordApiResponses, servedOpenApi } from '../helpers/openapi-check.ts'

describe('the OpenAPI document, read by independent tools, and the API keeping to it', () => {
  let t: TestApp
  let apiAnswers: ReturnType<typeof recordApiResponses>
  let token: string
  let classId: number
  let locationId: number
  const api = () => request(t.app.server)
  const bearer = () => ({ authorization: `Bearer ${token}` })

  beforeAll(async () => {
    t = await buildTestApp()
    apiAnswers = recordApiResponses(t.app)
    locationId = await createLocation(t.db)
    classId = await createClass(t.db, { capacity: 4, locationId })
    const admin = await signedInAgent(t.app, await createStaff(t.db, 'admin'))
    token = await createApiTokenViaForm(admin, { name: 'Alt', scopes: ['classes:read', 'classes:write', 'bookings:read', 'bookings:write'] })
  })
  afterAll(async () => { await t.app.close() })

  it('passes Redocly\'s recommended rules with no errors', async () => {
    const doc = await servedOpenApi(t.app)
    const config = await createConfig({ extends: ['recommended'] })
    const problems = await lintDocument({
      document: makeDocumentFromString(JSON.stringify(doc), 'openapi.json'),
      config,
      externalRefResolver: new BaseResolver(config.resolve)
    })
    const errors = problems.filter(p => p.severity === 'error').map(p => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? ''}`)
    expect(errors).toEqual([])
    expect(problems.filter(p => p.ruleId === 'operation-operationId' || p.ruleId === 'security-defined').map(p => p.location[0]?.pointer)).toEqual([])
    expect(doc.paths['/api/v1/classes']?.get).toMatchObject({ security: [] })
  })

  it('is valid OpenAPI for swagger-parser', async () => {
    const doc = await servedOpenApi(t.app)
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined()
  })

  it('documents every status of the booking operations with a body schema, and bad ids as 400', async () => {
    const doc = await servedOpenApi(t.app) as unknown as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>> }
    const bookings = doc.paths['/api/v1/classes/{id}/bookings']
    expect(Object.keys(bookings?.get?.responses ?? {}).sort()).toEqual(['200', '400', '401', '403', '404'])
    expect(Object.keys(bookings?.post?.responses ?? {}).sort()).toEqual(['201', '400', '401', '403', '404', '409', '413', '415', '422', '429'])
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, answer] of Object.entries(op.responses)) {
          if (status === '204') continue
          expect(Object.values(answer.content ?? {})[0]?.schema, `${method} ${path} ${status}`).toBeDefined()
        }
        if (path.includes('{id}')) expect(Object.keys(op.responses), `${method} ${path}`).toContain('400')
      }
    }
    const list = (bookings?.get?.responses['200']?.content?.['application/json']?.schema ?? {}) as { properties?: { bookings?: { items?: { properties?: Record<string, unknown> } } } }
    expect(Object.keys(list.properties?.bookings?.items?.properties ?? {})).toEqual(expect.arrayContaining(['name', 'phone', 'email', 'birthYear', 'needs', 'bookedBy']))
  })

  it('documents the 422 of a class plan as invalid_class with the field it is about', async () => {
    const doc = await servedOpenApi(t.app) as unknown as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: { properties?: { error?: { required?: string[], properties?: Record<string, { enum?: string[] }> } } } }> }> }>> }
    for (const [path, method] of [['/api/v1/classes', 'post'], ['/api/v1/classes/{id}', 'patch']] as const) {
      const error = doc.paths[path]?.[method]?.responses['422']?.content?.['application/json']?.schema?.properties?.error
      expect(error?.required, `${method} ${path}`).toEqual(expect.arrayContaining(['code', 'field', 'message']))
      expect(error?.properties?.code?.enum, `${method} ${path}`).toEqual(['invalid_class'])
    }
  })

  it('answers bad path ids with 400 invalid_params', async () => {
    for (const id of ['abc', '0']) {
      for (const [method, path] of [['get', `/api/v1/classes/${id}`], ['get', `/api/v1/classes/${id}/bookings`], ['post', `/api/v1/classes/${id}/cancel`]] as const) {
        const res = await api()[method](path).set(bearer())
        expect(res.status, `${method} ${path}`).toBe(400)
        expect(res.body.error).toMatchObject({ code: 'invalid_params', field: 'id' })
      }
      const booking = await api().post(`/api/v1/classes/${id}/bookings`).set(bearer()).send({ name: 'Inge Berg', phone: '12345678' })
      expect(booking.status).toBe(400)
    }
    expect((await api().get('/api/v1/classes/999999').set(bearer())).status).toBe(404)
    expect((await api().get('/api/v1/classes/999999/bookings').set(bearer())).status).toBe(404)
  })

  it('refuses unknown fields with 400 naming the field, and changes nothing', async () => {
    const misspelt = await api().patch(`/api/v1/classes/${classId}`).set(bearer()).send({ pubilc: false })
    expect(misspelt.status).toBe(400)
    expect(misspelt.body.error).toMatchObject({ code: 'invalid_body', field: 'pubilc' })
    const nested = await api().post(`/api/v1/classes/${classId}/bookings`).set(bearer()).send({ name: 'Inge Berg', phone: '12345678', bookedBy: { name: 'Bo', mail: 'bo@example.dk' } })
    expect(nested.body.error).toMatchObject({ code: 'invalid_body', field: 'bookedBy.mail' })
    const meeting = await api().post('/api/v1/classes').set(bearer()).send({ courseSlug: 'mitid-kom-godt-i-gang', locationId, capacity: 2, meetings: [{ start: '2030-03-05T10:00:00+01:00', end: '2030-03-05T12:00:00+01:00', room: 'A' }] })
    expect(meeting.body.error).toMatchObject({ code: 'invalid_body', field: 'meetings[0].room' })
    expect((await api().get(`/api/v1/classes/${classId}`).set(bearer())).body).toMatchObject({ public: true, seatsTaken: 0 })
  })

  it('does not coerce types in JSON bodies: a string is not a number or a boolean', async () => {
    const capacity = await api().patch(`/api/v1/classes/${classId}`).set(bearer()).send({ capacity: '4' })
    expect(capacity.status).toBe(400)
    expect(capacity.body.error).toMatchObject({ code: 'invalid_body', field: 'capacity' })
    const isPublic = await api().patch(`/api/v1/classes/${classId}`).set(bearer()).send({ public: 'false' })
    expect(isPublic.status).toBe(400)
    expect(isPublic.body.error).toMatchObject({ code: 'invalid_body', field: 'public' })
    const year = await api().post(`/api/v1/classes/${classId}/bookings`).set(bearer()).send({ name: 'Inge Berg', phone: '12345678', birthYear: '1950' })
    expect(year.body.error).toMatchObject({ code: 'invalid_body', field: 'birthYear' })
    expect((await api().get(`/api/v1/classes/${classId}`).set(bearer())).body).toMatchObject({ public: true, capacity: 4, seatsTaken: 0 })
  })

  it('answers the CORS preflight on the open list and the calendar feed', async () => {
    for (const path of ['/api/v1/classes', '/kalender.ics']) {
      const res = await api().options(path).set('origin', 'https://bibliotek.example.dk').set('access-control-request-method', 'GET').set('access-control-request-headers', 'authorization')
      expect(res.status, path).toBe(204)
      expect(res.headers['access-control-allow-origin'], path).toBe('*')
      expect(res.headers['access-control-allow-methods'], path).toMatch(/GET/)
      expect(res.headers['access-control-allow-headers'], path).toMatch(/authorization/i)
      expect((await api().get(path)).headers['access-control-allow-origin'], path).toBe('*')
    }
  })

  it('every API answer these tests got is documented, with a body that fits its schema', async () => {
    await apiAnswers.check()
  })
})
