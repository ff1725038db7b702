import type { FastifyPluginAsync } from 'fastify'
import { hasRole } from '../../domain/staff.ts'
import { listAuditEntries } from '../../repositories/audit-repository.ts'
import { listClassesForStaff } from '../../services/class-query-service.ts'
import { listAssigned } from '../../repositories/class-staff-repository.ts'
import { getStaffClasses } from '../../services/volunteer-service.ts'

const overviewRoutes: FastifyPluginAsync = async (fastify) => {
  fastify.get('/personale', { preHandler: fastify.requireStaff('volunteer') }, async (request, reply) => {
    const staff = request.staff
    const isLeader = staff ? hasRole(staff.role, 'leader') : false
    const classes = isLeader ? await listClassesForStaff(fastify.db) : []
    const assigned = await listAssigned(fastify.db, classes.map(c => c.id))
    const mine = staff ? await getStaffClasses(fastify.db, staff.id) : undefined
    return await reply.viewAsync('staff/overview', { title: 'Oversigt', classes, assigned, mine, isLeader })
  })

  fastify.get('/personale/revisionslog', { preHandler: fastify.requireStaff('admin') }, async (_request, reply) => {
    const entries = await listAuditEntries(fastify.db)
    return await reply.viewAsync('staff/audit-log', { title: 'Revisionslog', entries })
  })
}

export default overviewRoutes
