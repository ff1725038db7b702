import type { FastifyPluginAsync } from 'fastify'
import { Marked } from 'marked'
import { isTopic } from '../../domain/catalogue-vocabulary.ts'
import { getCataloguePage, getCoursePage, listCourseCatalogue } from '../../services/class-query-service.ts'
import { parseId, queryString } from '../params.ts'

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** Course descriptions are our own files; still, raw HTML in them is shown as text, not run. */
const markdown = new Marked({ gfm: true, renderer: { html: ({ text }) => escapeHtml(text) } })

export function renderMarkdown (source: string): string {
  return markdown.parse(source, { async: false })
}

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
    const courses = await listCourseCatalogue(fastify.db)
    return await reply.viewAsync('public/courses', { title: 'Alle kurser', courses })
  })

  fastify.get<{ Params: { slug: string } }>('/kurser/:slug', async (request, reply) => {
    const page = await getCoursePage(fastify.db, request.params.slug)
    if (!page) return reply.callNotFound()
    return await reply.viewAsync('public/course', {
      title: page.course.title,
      ...page,
      descriptionHtml: renderMarkdown(page.course.descriptionMd)
    })
  })
}

export default catalogueRoutes
