import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { STALE_FORM } from '../../domain/error-messages.ts'
import { EMAIL_MESSAGE, normaliseEmail } from '../../domain/booking-form.ts'
import { CONFIRMATION_DAYS } from '../../domain/interest.ts'
import { renderMarkdown } from '../../domain/markdown.ts'
import { type CoursePage, getCoursePage } from '../../services/class-query-service.ts'
import { confirmInterest, findConfirmation, findInterest, subscribeToCourse, unsubscribe } from '../../services/interest-service.ts'
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
      return await renderCourse(reply, page, { email: typed, formMessage: STALE_FORM.message }, 403)
    }
    if (typeof body.website === 'string' && body.website !== '') {
      return await renderCourse(reply, page, { email: typed, formMessage: 'Vi kunne ikke gemme din e-mail. Prøv igen.' }, 400)
    }
    const email = normaliseEmail(typed)
    if (email === null) {
      return await renderCourse(reply, page, { email: typed, error: typed.trim() === '' ? 'Skriv din e-mailadresse.' : EMAIL_MESSAGE }, 400)
    }
    // The same answer whether or not the address was already on the list or a confirmation
    // went out just now: the page must not tell anyone who follows which course.
    await subscribeToCourse(fastify.db, page.course.slug, email)
    return await reply.redirect(`/kurser/${page.course.slug}?besked=ja#besked-om-hold`, 303)
  })

  // The link in the confirmation e-mail. Mail scanners follow links, so the GET only shows
  // a button; the POST (with a CSRF token) confirms. Works without JavaScript.
  fastify.get<{ Params: { token: string } }>('/interesse/bekraeft/:token', async (request, reply) => {
    const token = request.params.token
    const found = isTokenShaped(token) ? await findConfirmation(fastify.db, token) : undefined
    reply.header('cache-control', 'no-store').header('x-robots-tag', 'noindex')
    if (!found) return await reply.code(404).viewAsync('public/interest-confirm', { title: 'Linket virker ikke', days: CONFIRMATION_DAYS })
    return await reply.viewAsync('public/interest-confirm', {
      title: found.confirmed ? 'Du får besked om nye hold' : 'Bekræft din e-mail', ...found, token, csrfToken: reply.generateCsrf()
    })
  })

  fastify.post<{ Params: { token: string } }>('/interesse/bekraeft/:token', async (request, reply) => {
    if (!fastify.checkCsrf(request)) return await reply.staleForm()
    const token = request.params.token
    const found = isTokenShaped(token) ? await confirmInterest(fastify.db, token) : undefined
    reply.header('cache-control', 'no-store').header('x-robots-tag', 'noindex')
    if (!found) return await reply.code(404).viewAsync('public/interest-confirm', { title: 'Linket virker ikke', days: CONFIRMATION_DAYS })
    return await reply.viewAsync('public/interest-confirm', { title: 'Du får besked om nye hold', ...found, done: true })
  })

  fastify.get<{ Params: { token: string } }>('/interesse/afmeld/:token', async (request, reply) => {
    const interest = isTokenShaped(request.params.token) ? await findInterest(fastify.db, request.params.token) : undefined
    if (!interest) return reply.callNotFound()
    reply.header('cache-control', 'no-store').header('x-robots-tag', 'noindex')
    return await reply.viewAsync('public/unsubscribe', { title: 'Afmeld besked om nye hold', ...interest, token: request.params.token, csrfToken: reply.generateCsrf() })
  })

  // The link's token is the secret, so no CSRF token is needed; mail programs that offer
  // one-click unsubscribe (RFC 8058) post "List-Unsubscribe=One-Click" here, as a form or,
  // as in the RFC's own example, as multipart/form-data. The body says nothing the URL
  // does not, so a multipart body is read (small, in a scope of this route alone) and
  // then left aside: no multipart parser for the rest of the app.
  await fastify.register(async (oneClick) => {
    oneClick.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: 4 * 1024 }, (_request, _body, done) => { done(null, {}) })
    oneClick.post<{ Params: { token: string } }>('/interesse/afmeld/:token', async (request, reply) => {
      const token = request.params.token
      const interest = isTokenShaped(token) ? await findInterest(fastify.db, token) : undefined
      if (!interest) return reply.callNotFound()
      await unsubscribe(fastify.db, token)
      reply.header('cache-control', 'no-store').header('x-robots-tag', 'noindex')
      return await reply.viewAsync('public/unsubscribe', { title: 'Du er afmeldt', ...interest, active: false, done: true, token })
    })
  })
}

export default interestRoutes
