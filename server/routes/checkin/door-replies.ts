import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Db } from '../../db/connection.ts'
import { DomainError } from '../../domain/errors.ts'
import { DOMAIN_MESSAGES } from '../../domain/error-messages.ts'
import { type Door, type DoorRefusal, decideDoorAccess } from '../../services/door-access-service.ts'

/** What the door says after a form action, shown once on the next page. */
export interface Flash {
  tone: 'success' | 'error' | 'info'
  text: string
  celebrate?: Array<{ name: string, number: number, scopeLabel: string }>
  /** What an undo did to a milestone: who has the number now. */
  moved?: string[]
  /** Where the message stands: at the top, or next to the walk-in form that was just used. */
  place?: 'walkin'
}

declare module '@fastify/secure-session' {
  interface SessionData {
    /** A tablet opened with a one-day PIN link may check in at that link's meeting. */
    checkinLinkId: number
    checkinFlash: Flash
  }
}

/** The Danish message for a domain error the door expects; undefined for anything else. */
export function errorMessage (error: unknown): string | undefined {
  return error instanceof DomainError && error.code in DOMAIN_MESSAGES ? DOMAIN_MESSAGES[error.code].message : undefined
}

/** The door's access policy lives in the service; the route only reads who is asking. */
export async function doorAccess (db: Db, request: FastifyRequest, meetingId: number): Promise<Door | DoorRefusal> {
  return await decideDoorAccess(db, { actor: request.actor, linkId: request.session.get('checkinLinkId') }, meetingId)
}

/** A shut door as a page: not found, the sign-in page, or "no access". */
export async function deny (request: FastifyRequest, reply: FastifyReply, why: DoorRefusal) {
  reply.header('cache-control', 'no-store')
  if (why === 'missing') return reply.callNotFound()
  if (why === 'signin') {
    return await reply.code(401).viewAsync('staff/sign-in', { title: 'Log ind', email: '', next: request.method === 'GET' ? request.url.split('?')[0] : '/tjek-ind', message: 'Log ind for at tjekke deltagere ind. Har du fået et link med en PIN-kode, så brug det.', csrfToken: reply.generateCsrf() })
  }
  return await reply.code(403).viewAsync('errors/error', { title: 'Du har ikke adgang', message: 'Du kan ikke tjekke ind på dette hold. Et link med PIN-kode virker kun på holdets egen dag. Spørg projektlederen.', status: 403 })
}

/**
 * The door of a leader's form (PIN links, walk-ins beyond the seats), or the answer to
 * send instead: a refusal, or the stale-form page. The handler returns that answer.
 */
export async function leaderDoor (fastify: FastifyInstance, request: FastifyRequest, reply: FastifyReply, meetingId: number): Promise<{ door: Door } | { answer: unknown }> {
  const door = await doorAccess(fastify.db, request, meetingId)
  if (typeof door === 'string') return { answer: await deny(request, reply, door) }
  if (!door.isLeader) return { answer: await deny(request, reply, 'forbidden') }
  if (!fastify.checkCsrf(request)) return { answer: await reply.staleForm() }
  return { door }
}
