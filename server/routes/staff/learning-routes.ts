import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { DomainError } from '../../domain/errors.ts'
import { DOMAIN_MESSAGES, STALE_FORM } from '../../domain/error-messages.ts'
import { hasRole } from '../../domain/staff.ts'
import { copenhagenDate } from '../../domain/time.ts'
import { isAssigned } from '../../repositories/class-staff-repository.ts'
import { findParticipant } from '../../repositories/participant-repository.ts'
import { bookSeat } from '../../services/booking-service.ts'
import { type AttendanceMark, correctAttendance } from '../../services/checkin-service.ts'
import { DEVICES, type LearnerGoals, getClassProgress, isDevice, saveLearningGoals } from '../../services/learning-service.ts'
import { parseId, queryString } from '../params.ts'

/** Attendance can be entered for a meeting on its day and after it. */
const editable = (now: Date) => (m: { starts_at: string }) => m.starts_at <= now.toISOString() || copenhagenDate(m.starts_at) === copenhagenDate(now)

const list = (value: unknown): string[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((v): v is string => typeof v === 'string')

/**
 * After the meeting: a leader corrects attendance from a paper list; the instructor ticks
 * the learning goals each learner reached and notes their device; staff book a learner
 * onto the next course.
 */
const learningRoutes: FastifyPluginAsync = async (fastify) => {
  const leader = { config: { role: 'leader' } } as const
  const anyStaff = { config: { role: 'volunteer' } } as const
  const { db } = fastify

  async function renderAttendance (reply: FastifyReply, classId: number, status = 200, notice?: { tone: 'success' | 'error', text: string }) {
    const progress = await getClassProgress(db, classId)
    if (!progress) return reply.callNotFound()
    reply.code(status)
    return await reply.viewAsync('staff/attendance', { title: `Fremmøde: ${progress.cls.courseTitle}`, ...progress, begun: editable(new Date()), notice, csrfToken: reply.generateCsrf() })
  }

  fastify.get<{ Params: { id: string } }>('/personale/hold/:id/fremmoede', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return reply.callNotFound()
    return await renderAttendance(reply, id, 200, queryString(request.query, 'gemt') === '1' ? { tone: 'success', text: 'Fremmødet er gemt.' } : undefined)
  })

  fastify.post<{ Params: { id: string } }>('/personale/hold/:id/fremmoede', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await renderAttendance(reply, id, 403, { tone: 'error', text: STALE_FORM.message })
    const progress = await getClassProgress(db, id)
    if (!progress) return reply.callNotFound()
    const body = (request.body ?? {}) as Record<string, unknown>
    const ticked = new Set(list(body.here))
    // What the form showed: only boxes the leader changed count, so a check-in made at
    // the door after the page was opened is not undone by saving it.
    const shown = new Set(list(body.was).flatMap(v => v.split(',')))
    const open = editable(new Date())
    const marks: AttendanceMark[] = []
    for (const learner of progress.learners) {
      for (const m of progress.meetings) {
        if (!open(m)) continue
        const cell = `${learner.bookingId}:${m.id}`
        const want = ticked.has(cell)
        if (want !== shown.has(cell) && want !== learner.attended.has(m.id)) marks.push({ bookingId: learner.bookingId, meetingId: m.id, attended: want })
      }
    }
    try {
      await correctAttendance(db, request.actor, id, marks)
    } catch (error) {
      if (error instanceof DomainError && error.code in DOMAIN_MESSAGES) return await renderAttendance(reply, id, DOMAIN_MESSAGES[error.code].status, { tone: 'error', text: DOMAIN_MESSAGES[error.code].message })
      throw error
    }
    return await reply.redirect(`/personale/hold/${id}/fremmoede?gemt=1`, 303)
  })

  /** Leaders, and the volunteers and instructors on the class. */
  async function mayTeach (request: FastifyRequest, classId: number): Promise<boolean> {
    const staff = request.staff
    return staff !== null && (hasRole(staff.role, 'leader') || await isAssigned(db, classId, staff.id))
  }

  async function renderGoals (reply: FastifyReply, classId: number, status = 200, notice?: { tone: 'success' | 'error', text: string }) {
    const progress = await getClassProgress(db, classId)
    if (!progress) return reply.callNotFound()
    reply.code(status)
    return await reply.viewAsync('staff/learning-goals', { title: `Læringsmål: ${progress.cls.courseTitle}`, ...progress, devices: DEVICES, notice, csrfToken: reply.generateCsrf() })
  }

  const notOnClass = async (reply: FastifyReply) => await reply.code(403).viewAsync('errors/error', { title: 'Du har ikke adgang', message: 'Du er ikke sat på dette hold. Spørg projektlederen, hvis du underviser holdet.', status: 403 })

  fastify.get<{ Params: { id: string } }>('/personale/hold/:id/laeringsmaal', anyStaff, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return reply.callNotFound()
    if (!await mayTeach(request, id)) return await notOnClass(reply)
    return await renderGoals(reply, id, 200, queryString(request.query, 'gemt') === '1' ? { tone: 'success', text: 'Læringsmålene er gemt.' } : undefined)
  })

  fastify.post<{ Params: { id: string } }>('/personale/hold/:id/laeringsmaal', anyStaff, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return reply.callNotFound()
    if (!await mayTeach(request, id)) return await notOnClass(reply)
    if (!fastify.checkCsrf(request)) return await renderGoals(reply, id, 403, { tone: 'error', text: STALE_FORM.message })
    const progress = await getClassProgress(db, id)
    if (!progress) return reply.callNotFound()
    const body = (request.body ?? {}) as Record<string, unknown>
    const entries: LearnerGoals[] = progress.learners.map(l => {
      const device = body[`device_${l.bookingId}`]
      return {
        bookingId: l.bookingId,
        goals: list(body[`goals_${l.bookingId}`]).map(i => progress.goals[Number(i)]).filter((g): g is string => g !== undefined),
        device: isDevice(device) ? device : null
      }
    })
    await saveLearningGoals(db, request.actor, id, entries)
    return await reply.redirect(`/personale/hold/${id}/laeringsmaal?gemt=1`, 303)
  })

  /** Books a known participant onto a class straight from their page (the suggested next course). */
  fastify.post<{ Params: { id: string } }>('/personale/deltagere/:id/tilmeld', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    const participant = id === undefined ? undefined : await findParticipant(db, id)
    if (!participant || id === undefined) return reply.callNotFound()
    const classId = parseId((request.body as Record<string, unknown> | undefined)?.class_id)
    if (!fastify.checkCsrf(request)) return await reply.staleForm()
    if (classId === undefined) return await reply.redirect(`/personale/deltagere/${id}#naeste`, 303)
    try {
      const outcome = await bookSeat(db, request.actor, classId, {
        name: participant.name,
        phone: participant.phone,
        email: participant.email,
        birthYear: participant.birth_year,
        needsCompanion: false,
        needsHearingLoop: false,
        needsOther: null,
        booker: null,
        // Nobody was asked about texts here: the answer is no until the person says yes.
        smsConsent: false
      }, { source: 'phone', knownParticipantId: id })
      const result = !outcome.created ? 'fandtes' : outcome.status === 'confirmed' ? 'plads' : `venteliste-${outcome.waitlistNumber ?? 0}`
      return await reply.redirect(`/personale/deltagere/${id}?tilmeldt=${result}#naeste`, 303)
    } catch (error) {
      if (error instanceof DomainError && error.code in DOMAIN_MESSAGES) return await reply.redirect(`/personale/deltagere/${id}?tilmeldt=${error.code}#naeste`, 303)
      throw error
    }
  })
}

export default learningRoutes
