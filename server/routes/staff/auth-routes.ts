import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { STALE_FORM } from '../../domain/error-messages.ts'
import { DomainError } from '../../domain/errors.ts'
import { type StaffUserErrors, validateStaffUser } from '../../domain/staff.ts'
import { startStaffSession } from '../../plugins/auth.ts'
import { signInRateLimit, waitMinutes } from '../../plugins/security.ts'
import { createFirstAdmin, endStaffSessions, needsFirstAdmin, signInWithLimit } from '../../services/staff-service.ts'
import { bodyText } from '../params.ts'

/** Only our own staff pages are valid places to return to after signing in. */
function safeNext (value: string): string {
  return /^\/(personale|tjek-ind)(\/[A-Za-z0-9/_?=&.-]*)?$/.test(value) ? value : '/personale'
}

const authRoutes: FastifyPluginAsync = async (fastify) => {
  /** Signing in and out, and creating the first administrator: open to anyone. */
  const anyone = { config: { role: 'public' } } as const

  async function renderSignIn (reply: FastifyReply, status: number, data: { email?: string, next?: string, message?: string, error?: string }) {
    reply.code(status).header('cache-control', 'no-store')
    return await reply.viewAsync('staff/sign-in', {
      title: 'Log ind',
      email: data.email ?? '',
      next: data.next ?? '/personale',
      message: data.message,
      error: data.error,
      csrfToken: reply.generateCsrf()
    })
  }

  fastify.get('/personale/log-ind', anyone, async (request, reply) => {
    if (await needsFirstAdmin(fastify.db)) return await reply.redirect('/personale/opret-administrator', 303)
    if (request.staff) return await reply.redirect('/personale', 303)
    const query = request.query as Record<string, string | undefined>
    return await renderSignIn(reply, 200, {
      next: safeNext(query.next ?? ''),
      message: query['logget-ud'] === '1' ? 'Du er logget ud.' : query['logget-ud'] === 'alle' ? 'Du er logget ud alle steder.' : undefined
    })
  })

  fastify.post('/personale/log-ind', {
    config: { role: 'public', rateLimit: signInRateLimit() }
  }, async (request, reply) => {
    const email = bodyText(request.body, 'email')
    const next = safeNext(bodyText(request.body, 'next'))
    if (!fastify.checkCsrf(request)) {
      return await renderSignIn(reply, 403, { email, next, error: STALE_FORM.message })
    }
    const result = await signInWithLimit(fastify.db, fastify.config.sessionKey, email, bodyText(request.body, 'password'))
    if (result.state === 'paused') {
      request.log.info('staff sign-in paused for the account')
      reply.header('retry-after', Math.ceil(result.retryAfterMs / 1000))
      return await renderSignIn(reply, 429, { email, next, error: `For mange forsøg på at logge ind med den e-mail. ${waitMinutes(result.retryAfterMs)}` })
    }
    if (result.state === 'wrong') {
      request.log.info('staff sign-in failed')
      return await renderSignIn(reply, 401, { email, next, error: 'E-mail eller adgangskode er forkert. Prøv igen.' })
    }
    const user = result.user
    startStaffSession(request, user)
    request.log.info({ staffId: user.id }, 'staff signed in')
    return await reply.redirect(next, 303)
  })

  fastify.post('/personale/log-ud', anyone, async (request, reply) => {
    if (!fastify.checkCsrf(request)) return await reply.staleForm()
    // Ends the session on the server too, so a copy of the cookie opens nothing afterwards.
    if (request.actor.kind === 'staff') await endStaffSessions(fastify.db, request.actor, 'signed_out')
    request.session.delete()
    return await reply.redirect('/personale/log-ind?logget-ud=1', 303)
  })

  async function renderFirstAdmin (reply: FastifyReply, status: number, values: { name: string, email: string }, errors: StaffUserErrors & { password_repeat?: string, form?: string }) {
    reply.code(status).header('cache-control', 'no-store')
    return await reply.viewAsync('staff/first-admin', { title: 'Opret den første administrator', values, errors, csrfToken: reply.generateCsrf() })
  }

  fastify.get('/personale/opret-administrator', anyone, async (_request, reply) => {
    if (!await needsFirstAdmin(fastify.db)) return await reply.redirect('/personale/log-ind', 303)
    return await renderFirstAdmin(reply, 200, { name: '', email: '' }, {})
  })

  fastify.post('/personale/opret-administrator', {
    config: { role: 'public', rateLimit: signInRateLimit() }
  }, async (request, reply) => {
    const values = { name: bodyText(request.body, 'name'), email: bodyText(request.body, 'email') }
    const open = await needsFirstAdmin(fastify.db)
    if (!fastify.checkCsrf(request)) return open ? await renderFirstAdmin(reply, 403, values, { form: STALE_FORM.message }) : await reply.staleForm()
    if (!open) return await reply.redirect('/personale/log-ind', 303)
    const password = bodyText(request.body, 'password')
    const result = validateStaffUser({ ...values, role: 'admin', password })
    const errors: StaffUserErrors & { password_repeat?: string } = result.ok ? {} : { ...result.errors }
    // The form asks for "Dit navn": the person filling it in is the one named.
    if (errors.name !== undefined && values.name.trim() === '') errors.name = 'Skriv dit navn.'
    if (password !== bodyText(request.body, 'password_repeat')) errors.password_repeat = 'De to adgangskoder er ikke ens.'
    if (!result.ok || Object.keys(errors).length > 0) return await renderFirstAdmin(reply, 400, values, errors)
    try {
      const id = await createFirstAdmin(fastify.db, result.value)
      startStaffSession(request, { id, session_generation: 0 })
      return await reply.redirect('/personale', 303)
    } catch (error) {
      if (error instanceof DomainError && error.code === 'setup_done') return await reply.redirect('/personale/log-ind', 303)
      throw error
    }
  })
}

export default authRoutes
