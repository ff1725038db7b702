import type { FastifyPluginAsync } from 'fastify'
import type { StaffRole } from '../../db/schema.ts'
import { hasRole } from '../../domain/staff.ts'
import { isStaffAccess } from '../../plugins/auth.ts'
import { countUnhandledInbound } from '../../repositories/sms-repository.ts'
import authRoutes from './auth-routes.ts'
import bookingRoutes from './booking-routes.ts'
import calendarRoutes from './calendar-routes.ts'
import callListRoutes from './call-list-routes.ts'
import classMessageRoutes from './class-message-routes.ts'
import classRoutes from './class-routes.ts'
import learningRoutes from './learning-routes.ts'
import mailRoutes from './mail-routes.ts'
import milestoneRoutes from './milestone-routes.ts'
import overviewRoutes from './overview-routes.ts'
import participantRoutes from './participant-routes.ts'
import placeRoutes from './place-routes.ts'
import privacyRoutes from './privacy-routes.ts'
import reportRoutes from './report-routes.ts'
import smsRoutes from './sms-routes.ts'
import tokenRoutes from './token-routes.ts'
import userRoutes from './user-routes.ts'
import volunteerRoutes from './volunteer-routes.ts'

/**
 * The staff area: every route in it declares who may open it in `config.role` (a staff
 * role, or 'public' for the pages before sign-in), and one hook checks it. A route
 * without a declaration stops the start, so a forgotten role fails closed.
 */
const staffArea: FastifyPluginAsync = async (fastify) => {
  fastify.addHook('onRoute', route => {
    if (!isStaffAccess(route.config?.role)) throw new Error(`Staff route ${String(route.method)} ${route.url} declares no config.role (a staff role or 'public')`)
  })

  const checks = {
    volunteer: fastify.requireStaff('volunteer'),
    leader: fastify.requireStaff('leader'),
    admin: fastify.requireStaff('admin')
  } satisfies Record<StaffRole, unknown>
  fastify.addHook('preHandler', async function (request, reply) {
    const role = request.routeOptions.config.role
    if (role === 'public') return
    // Never reached without a role (onRoute refuses it); were it, only an admin gets in.
    const refused = await checks[role ?? 'admin'].call(this, request, reply)
    if (reply.sent) return refused
    // The menu shows leaders how many received texts wait for someone (one count, pages only).
    if (request.method === 'GET' && request.staff && hasRole(request.staff.role, 'leader')) {
      reply.locals.unhandledSms = await countUnhandledInbound(fastify.db)
    }
  })

  await fastify.register(authRoutes)
  await fastify.register(overviewRoutes)
  await fastify.register(placeRoutes)
  await fastify.register(classRoutes)
  await fastify.register(classMessageRoutes)
  await fastify.register(bookingRoutes)
  await fastify.register(userRoutes)
  await fastify.register(calendarRoutes)
  await fastify.register(volunteerRoutes)
  await fastify.register(participantRoutes)
  await fastify.register(tokenRoutes)
  await fastify.register(mailRoutes)
  await fastify.register(callListRoutes)
  await fastify.register(smsRoutes)
  await fastify.register(learningRoutes)
  await fastify.register(milestoneRoutes)
  await fastify.register(reportRoutes)
  await fastify.register(privacyRoutes)
}

export default staffArea
