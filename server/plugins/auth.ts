import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { StaffRole } from '../db/schema.ts'
import { type Actor, CITIZEN, staffActor } from '../domain/actor.ts'
import { hasRole, isRole } from '../domain/staff.ts'
import { findStaffSessionUser } from '../repositories/staff-repository.ts'
import { needsFirstAdmin } from '../services/staff-service.ts'

export interface StaffSession { id: number, name: string, email: string, role: StaffRole }

/** Who may open a staff route: signed-in staff with at least this role, or anyone ('public'). */
export type StaffAccess = StaffRole | 'public'

export const isStaffAccess = (value: unknown): value is StaffAccess => value === 'public' || isRole(value)

declare module 'fastify' {
  interface FastifyRequest {
    staff: StaffSession | null
    /**
     * Who is acting in this request, read once: the signed-in staff member, the API
     * token (set by the API area before this), or a citizen. Passed to every service that
     * writes. The door makes a PIN-link tablet's actor from it (decideDoorAccess), and the
     * public booking pages act as the citizen whoever is signed in on the browser.
     */
    actor: Actor
  }
  interface FastifyInstance {
    /** A preHandler that lets only signed-in staff with at least this role through (the staff area's hook uses it). */
    requireStaff: (minimum: StaffRole) => preHandlerAsyncHookHandler
  }
  interface FastifyContextConfig {
    /** Who may open a staff route (routes/staff/staff-area.ts). Required there. */
    role?: StaffAccess
  }
}

declare module '@fastify/secure-session' {
  interface SessionData {
    staffId: number
    /** The user's session generation at sign-in; when the user's row has moved on, the session has ended. */
    staffGeneration: number
    signedInAt: string
    _csrf: string
  }
}

/** How long a staff sign-in lasts. */
export const SESSION_HOURS = 12

/**
 * Starts a staff session in a fresh cookie. It lasts SESSION_HOURS, or until the user's
 * session generation moves on (sign-out, password change, deactivation, "Log ud alle steder").
 */
export function startStaffSession (request: FastifyRequest, user: { id: number, session_generation: number }, now: Date = new Date()): void {
  request.session.regenerate()
  request.session.set('staffId', user.id)
  request.session.set('staffGeneration', user.session_generation)
  request.session.set('signedInAt', now.toISOString())
}

/** Who is signed in, and the role check every staff route uses. */
export default fp(async (fastify) => {
  fastify.decorateRequest('staff', null)
  // Set for every request by the hook below (or the API area's), before any handler runs.
  fastify.decorateRequest<Actor | null>('actor', null)

  fastify.addHook('preHandler', async (request, reply) => {
    await readStaff(request, reply)
    // The API area has already set its own actor (a token, or a citizen): a staff cookie never widens an API call.
    if ((request.actor as Actor | null) === null) request.actor = request.staff ? staffActor(request.staff) : CITIZEN
  })

  async function readStaff (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const id = request.session.get('staffId')
    const at = request.session.get('signedInAt')
    if (id === undefined || at === undefined) return
    if (Date.now() - Date.parse(at) > SESSION_HOURS * 3600_000) {
      request.session.delete()
      return
    }
    // One read by primary key: the same answer on every server, the moment a session ends.
    const user = await findStaffSessionUser(fastify.db, id)
    if (!user || user.active !== 1 || user.session_generation !== request.session.get('staffGeneration')) {
      request.session.delete()
      return
    }
    request.staff = { id: user.id, name: user.name, email: user.email, role: user.role }
    reply.locals.staff = request.staff
    reply.locals.staffCsrf = reply.generateCsrf()
  }

  // Once there is a staff user there always is (users are deactivated, never deleted), so
  // after the first yes no request asks the database again.
  let hasStaff = false
  const firstStart = async (): Promise<boolean> => {
    if (hasStaff) return false
    if (await needsFirstAdmin(fastify.db)) return true
    hasStaff = true
    return false
  }

  fastify.decorate('requireStaff', (minimum: StaffRole) => async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.staff) {
      // A new installation has nobody to sign in as: every staff page leads to creating the first admin.
      if (await firstStart()) return await reply.header('cache-control', 'no-store').redirect('/personale/opret-administrator', 303)
      reply.code(401).header('cache-control', 'no-store')
      // A hook must send the page itself; viewAsync only renders it.
      return await reply.send(await reply.viewAsync('staff/sign-in', {
        title: 'Log ind',
        email: '',
        next: request.method === 'GET' ? request.url : '/personale',
        message: 'Du skal logge ind for at se siden.',
        csrfToken: reply.generateCsrf()
      }))
    }
    if (!hasRole(request.staff.role, minimum)) {
      reply.code(403).header('cache-control', 'no-store')
      return await reply.send(await reply.viewAsync('errors/error', {
        title: 'Du har ikke adgang',
        message: 'Din rolle giver ikke adgang til denne side. Spørg en administrator, hvis du mener, du skal have adgang.',
        status: 403
      }))
    }
    reply.header('cache-control', 'no-store')
  })
}, { name: 'auth', fastify: '5.x', dependencies: ['db', 'security', 'view'] })
