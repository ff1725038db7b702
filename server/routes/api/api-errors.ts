import { Type } from '@sinclair/typebox'
import type { FastifyReply } from 'fastify'

/** Every API error: { error: { status, code, message, ...more } }; message in Danish, code stable. */
export const ErrorBody = Type.Object({
  error: Type.Object({
    status: Type.Integer(),
    code: Type.String(),
    message: Type.String(),
    scope: Type.Optional(Type.String()),
    field: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    details: Type.Optional(Type.Unknown())
  })
})

/** Sends an API error; `details` (per-field messages) and `more` (e.g. scope, field) are optional. */
export async function apiError (reply: FastifyReply, status: number, code: string, message: string, details?: unknown, more: Record<string, unknown> = {}) {
  return await reply.code(status).header('cache-control', 'no-store').send({ error: { status, code, message, ...more, ...(details === undefined ? {} : { details }) } })
}
