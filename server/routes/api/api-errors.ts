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

/** The error body with what it means for one operation, for a route's `response` list. */
export const errorAnswer = (description: string) => ({ ...ErrorBody, description })

/** A path id that is not a positive whole number (`abc`, `0`): 400 invalid_params with field id. */
export const BadId = errorAnswer('The request does not fit the schema: `invalid_params` for an id that is not a positive whole number (`abc`, `0`), `invalid_body` for a body field (the field is named in `field`: an unknown field, a wrong type — strings are never read as numbers or booleans —, a value out of range).')

/** Sends an API error; `details` (per-field messages) and `more` (e.g. scope, field) are optional. */
export async function apiError (reply: FastifyReply, status: number, code: string, message: string, details?: unknown, more: Record<string, unknown> = {}) {
  return await reply.code(status).header('cache-control', 'no-store').send({ error: { status, code, message, ...more, ...(details === undefined ? {} : { details }) } })
}
