import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { DOMAIN_MESSAGES, STALE_FORM } from '../../domain/error-messages.ts'
import { DomainError } from '../../domain/errors.ts'
import { PASSWORD_MIN_LENGTH, ROLES, type StaffUserErrors, validateStaffUser } from '../../domain/staff.ts'
import { startStaffSession } from '../../plugins/auth.ts'
import { signInRateLimit } from '../../plugins/security.ts'
import { listStaffUsers } from '../../repositories/staff-repository.ts'
import { acceptInvitation, findInvitation, inviteStaffUser, setStaffActive } from '../../services/staff-service.ts'
import { bodyText, parseId } from '../params.ts'

/** Admins invite and deactivate staff; invited users choose their own password. */
const userRoutes: FastifyPluginAsync = async (fastify) => {
  const admin = { config: { role: 'admin' } } as const

  async function renderUsers (reply: FastifyReply, data: { values?: { name: string, email: string, role: string }, errors?: StaffUserErrors & { form?: string }, inviteLink?: string, invitedName?: string, saved?: boolean, mailSent?: boolean }, status = 200) {
    reply.code(status)
    return await reply.viewAsync('staff/users', {
      title: 'Brugere',
      users: await listStaffUsers(fastify.db),
      roles: ROLES,
      values: data.values ?? { name: '', email: '', role: 'volunteer' },
      errors: data.errors ?? {},
      inviteLink: data.inviteLink,
      invitedName: data.invitedName,
      mailSent: data.mailSent,
      saved: data.saved ?? false,
      csrfToken: reply.generateCsrf()
    })
  }

  fastify.get('/personale/brugere', admin, async (request, reply) =>
    await renderUsers(reply, { saved: (request.query as Record<string, string | undefined>).gemt === '1' }))

  fastify.post('/personale/brugere', admin, async (request, reply) => {
    const values = { name: bodyText(request.body, 'name'), email: bodyText(request.body, 'email'), role: bodyText(request.body, 'role') }
    if (!fastify.checkCsrf(request)) return await renderUsers(reply, { values, errors: { form: STALE_FORM.message } }, 403)
    const result = validateStaffUser({ ...values, password: 'x'.repeat(PASSWORD_MIN_LENGTH) })
    if (!result.ok) return await renderUsers(reply, { values, errors: result.errors }, 400)
    try {
      const { token } = await inviteStaffUser(fastify.db, request.actor, result.value)
      return await renderUsers(reply, { inviteLink: `${fastify.config.publicUrl}/personale/invitation/${token}`, invitedName: result.value.name, mailSent: fastify.config.smtpUrl !== null }, 201)
    } catch (error) {
      if (error instanceof DomainError && error.code === 'email_taken') return await renderUsers(reply, { values, errors: { email: DOMAIN_MESSAGES.email_taken.message } }, 409)
      throw error
    }
  })

  fastify.post<{ Params: { id: string } }>('/personale/brugere/:id/aktiv', admin, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await renderUsers(reply, { errors: { form: STALE_FORM.message } }, 403)
    const ok = await setStaffActive(fastify.db, request.actor, id, bodyText(request.body, 'active') === '1')
    if (!ok) return await renderUsers(reply, { errors: { form: 'Du kan ikke deaktivere dig selv.' } }, 409)
    return await reply.redirect('/personale/brugere?gemt=1', 303)
  })

  async function renderInvitation (reply: FastifyReply, token: string, name: string, errors: { password?: string, password_repeat?: string, form?: string }, status = 200) {
    reply.code(status).header('cache-control', 'no-store').header('x-robots-tag', 'noindex')
    return await reply.viewAsync('staff/invitation', { title: 'Vælg din adgangskode', token, name, errors, csrfToken: reply.generateCsrf() })
  }

  async function renderInvitationGone (reply: FastifyReply) {
    reply.code(404).header('cache-control', 'no-store')
    return await reply.viewAsync('errors/error', { title: 'Linket virker ikke', message: 'Invitationen er brugt eller udløbet. Bed en administrator om en ny.', status: 410 })
  }

  fastify.get<{ Params: { token: string } }>('/personale/invitation/:token', { config: { role: 'public' } }, async (request, reply) => {
    const user = await findInvitation(fastify.db, request.params.token)
    if (!user) return await renderInvitationGone(reply)
    return await renderInvitation(reply, request.params.token, user.name, {})
  })

  fastify.post<{ Params: { token: string } }>('/personale/invitation/:token', {
    config: { role: 'public', rateLimit: signInRateLimit() }
  }, async (request, reply) => {
    const user = await findInvitation(fastify.db, request.params.token)
    if (!user) return await renderInvitationGone(reply)
    if (!fastify.checkCsrf(request)) return await renderInvitation(reply, request.params.token, user.name, { form: STALE_FORM.message }, 403)
    const password = bodyText(request.body, 'password')
    const errors: { password?: string, password_repeat?: string } = {}
    if (password.length < PASSWORD_MIN_LENGTH) errors.password = `Adgangskoden skal have mindst ${PASSWORD_MIN_LENGTH} tegn.`
    else if (password.length > 200) errors.password = 'Adgangskoden må højst have 200 tegn.'
    if (password !== bodyText(request.body, 'password_repeat')) errors.password_repeat = 'De to adgangskoder er ikke ens.'
    if (Object.keys(errors).length > 0) return await renderInvitation(reply, request.params.token, user.name, errors, 400)
    const accepted = await acceptInvitation(fastify.db, request.params.token, password)
    // Another request with the same link got there first.
    if (!accepted) return await renderInvitationGone(reply)
    startStaffSession(request, accepted)
    return await reply.redirect('/personale', 303)
  })
}

export default userRoutes
