import type { FastifyPluginAsync } from 'fastify'
import { isTopic } from '../../domain/catalogue-vocabulary.ts'
import { listCourses } from '../../repositories/course-repository.ts'
import { parseId, queryString } from '../params.ts'

const PAGE_SIZE = 30

const catalogueRoutes: FastifyPluginAsync = async (fastify) => {
  fastify.get('/', async (request, reply) => {
    const topicParam = queryString(request.query, 'emne')
    const locationParam = queryString(request.query, 'sted')
    const topic = topicParam !== undefined && isTopic(topicParam) ? topicParam : undefined
    const locationId = parseId(locationParam)
    const page = await fastify.readCache.catalogue.get({ topic, locationId })
    const filterIgnored = (topicParam !== undefined && topic === undefined) || (locationParam !== undefined && locationId === undefined)
    // Thirty classes a page: a long list is hard to read, and the filter narrows it.
    const pages = Math.max(1, Math.ceil(page.classes.length / PAGE_SIZE))
    const current = Math.min(pages, parseId(queryString(request.query, 'side')) ?? 1)
    const link = (n: number) => {
      const query = new URLSearchParams({ ...(topic ? { emne: topic } : {}), ...(locationId !== undefined ? { sted: String(locationId) } : {}), ...(n > 1 ? { side: String(n) } : {}) }).toString()
      return `/${query ? `?${query}` : ''}#resultater`
    }
    const view = {
      title: current > 1 ? `Kommende hold, side ${current}` : 'Kommende hold',
      ...page,
      total: page.classes.length,
      classes: page.classes.slice((current - 1) * PAGE_SIZE, current * PAGE_SIZE),
      paging: { current, pages, first: (current - 1) * PAGE_SIZE + 1, previous: current > 1 ? link(current - 1) : null, next: current < pages ? link(current + 1) : null },
      filter: { topic: topic ?? '', locationId: locationId ?? null },
      filtered: topic !== undefined || locationId !== undefined,
      filterIgnored
    }
    // A link with a filter we do not know is made afresh. Every other page is the same
    // for everyone until the catalogue changes (a new value in the read cache, one per
    // filter); its page number is the variant.
    if (filterIgnored) return await reply.viewAsync('public/catalogue', view)
    return await reply.viewKept('public/catalogue', view, { value: page, path: '/', variant: String(current) })
  })

  fastify.get('/kurser', async (_request, reply) => {
    const courses = await listCourses(fastify.db)
    return await reply.viewAsync('public/courses', { title: 'Alle kurser', courses })
  })
}

export default catalogueRoutes
