import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { STALE_FORM } from '../../domain/error-messages.ts'
import { TOPICS, isTopic } from '../../domain/catalogue-vocabulary.ts'
import { listActiveLocations } from '../../repositories/location-repository.ts'
import { addMilestoneRule, getMilestonesPage, removeMilestoneRule, type RuleInput } from '../../services/milestone-service.ts'
import { bodyText, parseId, queryString } from '../params.ts'

interface RuleValues { scope: string, mode: string, number: string }
type RuleErrors = Partial<Record<keyof RuleValues, string>>

/**
 * Reads the rule form. `scope` is 'all', 'location:*' (each place), 'location:<id>',
 * 'topic:*' (each topic) or 'topic:<topic>'.
 */
function readRule (values: RuleValues, locationIds: Set<number>): { ok: true, rule: RuleInput } | { ok: false, errors: RuleErrors } {
  const errors: RuleErrors = {}
  let scopeKind: RuleInput['scopeKind'] = 'all'
  let locationId: number | null = null
  let topic: string | null = null
  const [kind, which] = values.scope.split(':')
  if (values.scope === 'all') scopeKind = 'all'
  else if (kind === 'location' && (which === '*' || locationIds.has(Number(which)))) { scopeKind = 'location'; locationId = which === '*' ? null : Number(which) } else if (kind === 'topic' && (which === '*' || (which !== undefined && isTopic(which)))) { scopeKind = 'topic'; topic = which === '*' ? null : which ?? null } else errors.scope = 'Vælg, hvad der tælles.'
  const mode = values.mode === 'once' ? 'once' : values.mode === 'every' ? 'every' : undefined
  if (!mode) errors.mode = 'Vælg, om det er hver gang eller én gang.'
  const n = values.number.replace(/[\s.]/g, '')
  if (!/^\d{1,7}$/.test(n) || Number(n) < 1) errors.number = 'Skriv et helt tal større end 0, fx 1000.'
  if (Object.keys(errors).length > 0 || !mode) return { ok: false, errors }
  return { ok: true, rule: { scopeKind, locationId, topic, mode, number: Number(n) } }
}

/** Milestones: progress toward the next, who reached the past ones, and the leaders' rules. */
const milestoneRoutes: FastifyPluginAsync = async (fastify) => {
  const leader = { config: { role: 'leader' } } as const

  async function render (reply: FastifyReply, status = 200, values: RuleValues = { scope: 'all', mode: 'every', number: '' }, errors: RuleErrors = {}, notice?: string, problem?: string) {
    const [page, locations] = await Promise.all([getMilestonesPage(fastify.db), listActiveLocations(fastify.db)])
    reply.code(status)
    return await reply.viewAsync('staff/milestones', { title: 'Milepæle', ...page, locations, topics: TOPICS, values, errors, notice, problem, csrfToken: reply.generateCsrf() })
  }

  fastify.get('/personale/milepaele', leader, async (request, reply) => {
    const notice = ({ tilfoejet: 'Reglen er tilføjet.', fjernet: 'Reglen er fjernet.' } as Record<string, string>)[queryString(request.query, 'gemt') ?? '']
    return await render(reply, 200, undefined, undefined, notice)
  })

  fastify.post('/personale/milepaele/regler', leader, async (request, reply) => {
    const values = { scope: bodyText(request.body, 'scope'), mode: bodyText(request.body, 'mode'), number: bodyText(request.body, 'number').slice(0, 20) }
    if (!fastify.checkCsrf(request)) return await render(reply, 403, values, { number: STALE_FORM.message })
    const read = readRule(values, new Set((await listActiveLocations(fastify.db)).map(l => l.id)))
    if (!read.ok) return await render(reply, 400, values, read.errors)
    await addMilestoneRule(fastify.db, request.actor, read.rule)
    return await reply.redirect('/personale/milepaele?gemt=tilfoejet#regler', 303)
  })

  fastify.post<{ Params: { id: string } }>('/personale/milepaele/regler/:id/fjern', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await render(reply, 403, undefined, undefined, undefined, STALE_FORM.message)
    await removeMilestoneRule(fastify.db, request.actor, id)
    return await reply.redirect('/personale/milepaele?gemt=fjernet#regler', 303)
  })
}

export default milestoneRoutes
