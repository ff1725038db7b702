import type { FastifyPluginAsync } from 'fastify'
import { hasRole } from '../../domain/staff.ts'
import { listAuditEntries } from '../../repositories/audit-repository.ts'
import { listClassesForStaff } from '../../services/class-query-service.ts'

const overviewRoutes: FastifyPluginAsync = async (fastify) => {
  fastify.get('/personale', { preHandler: fastify.requireStaff('volunteer') }, async (request, reply) => {
    const staff = request.staff
    const classes = staff && hasRole(staff.role, 'leader') ? await listClassesForStaff(fastify.db) : []
    return await reply.viewAsync('staff/overview', { title: 'Oversigt', classes, isLeader: staff ? hasRole(staff.role, 'leader') : false })
  })

  fastify.get('/personale/revisionslog', { preHandler: fastify.requireStaff('admin') }, async (_request, reply) => {
    const entries = await listAuditEntries(fastify.db)
    return await reply.viewAsync('staff/audit-log', { title: 'Revisionslog', entries })
  })
}

export default overviewRoutes
