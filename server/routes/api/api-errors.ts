import type { FastifyReply } from 'fastify'
import { errorAnswer } from '../../plugins/openapi.ts'

/** A path id that is not a positive whole number (`abc`, `0`): 400 invalid_params with field id. */
export const BadId = errorAnswer('The request does not fit the schema: `invalid_params` for an id that is not a positive whole number (`abc`, `0`), `invalid_body` for a body field (the field is named in `field`: an unknown field, a wrong type — strings are never read as numbers or booleans —, a value out of range).')

/** Sends an API error; `details` (per-field messages) and `more` (e.g. scope, field) are optional. */
export async function apiError (reply: FastifyReply, status: number, code: string, message: string, details?: unknown, more: Record<string, unknown> = {}) {
  return await reply.code(status).header('cache-control', 'no-store').send({ error: { status, code, message, ...more, ...(details === undefined ? {} : { details }) } })
}
