import { type Static, Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { type WalkInValues, validateWalkIn } from '../../domain/booking-form.ts'
import { normalizeCheckinCode, whyNotACode } from '../../domain/checkin-code.ts'
import { DOMAIN_MESSAGES } from '../../domain/error-messages.ts'
import { CHECKIN_KEY, type CheckinAction } from '../../services/checkin-service.ts'
import { bodyText, parseId } from '../params.ts'

/** The most actions one sync takes: a tablet sends 50 at a time, so this is room for a slow one. */
export const MAX_BATCH = 200

const Key = Type.String({ pattern: CHECKIN_KEY.source })

/**
 * One action as the tablet queues it (public/js/checkin.js). Each is checked on its own,
 * so one the server cannot take is answered and dropped while the rest go through.
 */
export const SyncAction = Type.Union([
  Type.Object({ key: Key, type: Type.Union([Type.Literal('in'), Type.Literal('out')]), bookingId: Type.Union([Type.Integer(), Type.String()]) }),
  Type.Object({ key: Key, type: Type.Literal('code'), code: Type.String() }),
  Type.Object({
    key: Key,
    type: Type.Literal('walkin'),
    person: Type.Object({ name: Type.String(), phone: Type.Optional(Type.String()), email: Type.Optional(Type.String()) }),
    overfill: Type.Optional(Type.Boolean())
  })
])

/** The tablet's sync: its queued actions, in the order they were tapped. */
export const SyncBody = Type.Object({
  _csrf: Type.Optional(Type.String()),
  actions: Type.Array(Type.Unknown(), { maxItems: MAX_BATCH })
})

/** A door action as it arrives, from a form or from the tablet, before it is checked. */
interface DoorActionInput {
  key: string
  type: string
  bookingId: string
  code: string
  person: WalkInValues
  overfill: boolean
}

export type DoorActionProblem =
  | { error: 'bad_key' | 'bad_action' | 'bad_code' | 'code_not_found', message: string }
  | { error: 'invalid', message: string, errors: Partial<Record<keyof WalkInValues, string>> }

export type ParsedDoorAction = { ok: true, action: CheckinAction } | ({ ok: false } & DoorActionProblem)

/** The answer to a code that cannot be one: too short, or a code no booking has. */
function codeProblem (typed: string): DoorActionProblem {
  return whyNotACode(typed) === 'too_short'
    ? { error: 'bad_code', message: 'Koden skal have 6 tegn, fx K7M 4PX. Tjek koden, og prøv igen.' }
    : { error: 'code_not_found', message: DOMAIN_MESSAGES.code_not_found.message }
}

/** The one parser for the door's actions: a form post and the tablet's sync both come through here. */
function parseDoorAction (input: DoorActionInput): ParsedDoorAction {
  const { key } = input
  if (!CHECKIN_KEY.test(key)) return { ok: false, error: 'bad_key', message: 'Handlingen mangler sin nøgle.' }
  if (input.type === 'walkin') {
    const checked = validateWalkIn(input.person)
    if (!checked.ok) return { ok: false, error: 'invalid', message: Object.values(checked.errors).filter(Boolean).join(' '), errors: checked.errors }
    return { ok: true, action: { key, type: 'walkin', person: checked.person, overfill: input.overfill } }
  }
  if (input.type === 'code') {
    const code = normalizeCheckinCode(input.code)
    return code ? { ok: true, action: { key, type: 'code', code } } : { ok: false, ...codeProblem(input.code) }
  }
  const bookingId = parseId(input.bookingId)
  if (bookingId === undefined || (input.type !== 'in' && input.type !== 'out')) return { ok: false, error: 'bad_action', message: 'Forkert handling.' }
  return { ok: true, action: { key, type: input.type, bookingId } }
}

/** What a form post asks for. A form without a usable key gets a fresh one: it is sent once, by a person. */
export function parseFormAction (body: unknown, newKey: () => string): ParsedDoorAction {
  const key = bodyText(body, 'key')
  return parseDoorAction({
    key: CHECKIN_KEY.test(key) ? key : newKey(),
    type: bodyText(body, 'type'),
    bookingId: bodyText(body, 'booking_id'),
    code: bodyText(body, 'code').slice(0, 100),
    person: { name: bodyText(body, 'name'), phone: bodyText(body, 'phone'), email: bodyText(body, 'email') },
    overfill: bodyText(body, 'overfill') !== ''
  })
}

/** What one item of the tablet's sync asks for; an item outside SyncAction is refused with its key, when it has one. */
export function parseSyncAction (item: unknown): ParsedDoorAction & { key: string | null } {
  const key = (item as { key?: unknown } | null)?.key
  const ownKey = typeof key === 'string' && CHECKIN_KEY.test(key) ? key : null
  if (ownKey === null) return { key: null, ok: false, error: 'bad_key', message: 'Handlingen mangler sin nøgle.' }
  if (!Value.Check(SyncAction, item)) return { key: ownKey, ok: false, error: 'bad_action', message: 'Forkert handling.' }
  const a: Static<typeof SyncAction> = item
  return {
    key: ownKey,
    ...parseDoorAction({
      key: a.key,
      type: a.type,
      bookingId: 'bookingId' in a ? String(a.bookingId) : '',
      code: 'code' in a ? a.code.slice(0, 100) : '',
      person: 'person' in a ? { name: a.person.name, phone: a.person.phone ?? '', email: a.person.email ?? '' } : { name: '', phone: '', email: '' },
      overfill: 'overfill' in a && a.overfill === true
    })
  }
}
