import type { FastifyPluginAsync } from 'fastify'
import { isTopic } from '../../domain/catalogue-vocabulary.ts'
import { listCourses } from '../../repositories/course-repository.ts'
import { getCataloguePage } from '../../services/class-query-service.ts'
import { parseId, queryString } from '../params.ts'

const catalogueRoutes: FastifyPluginAsync = async (fastify) => {
  fastify.get('/', async (request, reply) => {
    const topicParam = queryString(request.query, 'emne')
    const locationParam = queryString(request.query, 'sted')
    const topic = topicParam !== undefined && isTopic(topicParam) ? topicParam : undefined
    const locationId = parseId(locationParam)
    const page = await getCataloguePage(fastify.db, { topic, locationId })
    const filterIgnored = (topicParam !== undefined && topic === undefined) || (locationParam !== undefined && locationId === undefined)
    return await reply.viewAsync('public/catalogue', {
      title: 'Kommende hold',
      ...page,
      filter: { topic: topic ?? '', locationId: locationId ?? null },
      filtered: topic !== undefined || locationId !== undefined,
      filterIgnored
    })
  })

  fastify.get('/kurser', async (_request, reply) => {
    const courses = await listCourses(fastify.db)
    return await reply.viewAsync('public/courses', { title: 'Alle kurser', courses })
  })
}

export default catalogueRoutes
