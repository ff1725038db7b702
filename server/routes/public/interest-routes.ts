import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { EMAIL_MESSAGE, normaliseEmail } from '../../domain/booking-form.ts'
import { renderMarkdown } from '../../domain/markdown.ts'
import { type CoursePage, getCoursePage } from '../../services/class-query-service.ts'
import { findInterest, subscribeToCourse, unsubscribe } from '../../services/interest-service.ts'
import { isTokenShaped } from '../params.ts'

interface InterestState { email: string, error?: string, formMessage?: string, done?: boolean }

/** "Få besked om nye hold" on a course page, and unsubscribing with one click. */
const interestRoutes: FastifyPluginAsync = async (fastify) => {
  async function renderCourse (reply: FastifyReply, page: CoursePage, interest: InterestState, status = 200) {
    reply.code(status).header('cache-control', 'private, no-cache')
    return await reply.viewAsync('public/course', {
      title: interest.error ? `Fejl – ${page.course.title}` : page.course.title,
      ...page,
      descriptionHtml: renderMarkdown(page.course.descriptionMd),
      interest,
      csrfToken: reply.generateCsrf()
    })
  }

  fastify.get<{ Params: { slug: string } }>('/kurser/:slug', async (request, reply) => {
    const page = await getCoursePage(fastify.db, request.params.slug)
    if (!page) return reply.callNotFound()
    const done = (request.query as Record<string, unknown>).besked === 'ja'
    return await renderCourse(reply, page, { email: '', done })
  })

  fastify.post<{ Params: { slug: string } }>('/kurser/:slug/besked', {
    config: { rateLimit: { max: fastify.config.bookingRateLimit, timeWindow: '10 minutes' } }
  }, async (request, reply) => {
    const page = await getCoursePage(fastify.db, request.params.slug)
    if (!page) return reply.callNotFound()
    const body = (request.body ?? {}) as Record<string, unknown>
    const typed = typeof body.email === 'string' ? body.email.slice(0, 300) : ''
    if (!fastify.checkCsrf(request)) {
      return await renderCourse(reply, page, { email: typed, formMessage: 'Siden har været åben længe. Din e-mail står her stadig. Tryk på knappen igen.' }, 403)
    }
    if (typeof body.website === 'string' && body.website !== '') {
      return await renderCourse(reply, page, { email: typed, formMessage: 'Vi kunne ikke gemme din e-mail. Prøv igen.' }, 400)
    }
    const email = normaliseEmail(typed)
    if (email === null) {
      return await renderCourse(reply, page, { email: typed, error: typed.trim() === '' ? 'Skriv din e-mailadresse.' : EMAIL_MESSAGE }, 400)
    }
    // The same answer whether or not the address was already on the list: the page must
    // not tell anyone who follows which course.
    await subscribeToCourse(fastify.db, page.course.slug, email)
    return await reply.redirect(`/kurser/${page.course.slug}?besked=ja#besked-om-hold`, 303)
  })

  fastify.get<{ Params: { token: string } }>('/interesse/afmeld/:token', async (request, reply) => {
    const interest = isTokenShaped(request.params.token) ? await findInterest(fastify.db, request.params.token) : undefined
    if (!interest) return reply.callNotFound()
    reply.header('cache-control', 'no-store').header('x-robots-tag', 'noindex')
    return await reply.viewAsync('public/unsubscribe', { title: 'Afmeld besked om nye hold', ...interest, token: request.params.token, csrfToken: reply.generateCsrf() })
  })

  // The link's token is the secret, so no CSRF token is needed; mail programs that offer
  // one-click unsubscribe (RFC 8058) post "List-Unsubscribe=One-Click" here.
  fastify.post<{ Params: { token: string } }>('/interesse/afmeld/:token', async (request, reply) => {
    const token = request.params.token
    const interest = isTokenShaped(token) ? await findInterest(fastify.db, token) : undefined
    if (!interest) return reply.callNotFound()
    await unsubscribe(fastify.db, token)
    reply.header('cache-control', 'no-store').header('x-robots-tag', 'noindex')
    return await reply.viewAsync('public/unsubscribe', { title: 'Du er afmeldt', ...interest, active: false, done: true, token })
  })
}

export default interestRoutes
