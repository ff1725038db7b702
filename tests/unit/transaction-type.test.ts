import { describe, expectTypeOf, it } from 'vitest'
import type { Db, Tx } from '../../server/db/connection.ts'
import { queueMail } from '../../server/mail/outbox.ts'
import { lockScopes } from '../../server/repositories/attendance-repository.ts'
import { claimCheckinKey } from '../../server/repositories/checkin-repository.ts'
import { lockClass } from '../../server/repositories/class-repository.ts'
import { lockNames } from '../../server/repositories/lock-repository.ts'
import { promoteFromWaitlist } from '../../server/services/booking-service.ts'
import { notifyBooking } from '../../server/services/notification-service.ts'
import { findOrCreateParticipant } from '../../server/services/participant-service.ts'

/**
 * The transaction is a type: a function that is only correct inside a transaction takes
 * `Tx`, so handing it the plain db does not compile. `tsc --noEmit` (npm run typecheck)
 * checks this file; each `@ts-expect-error` fails the typecheck the day the plain db is
 * accepted again, and the same call with `tx` just above it shows the arguments are right.
 */
describe('the transaction type', () => {
  it('is not the plain db', () => {
    expectTypeOf<Db>().not.toExtend<Tx>()
    expectTypeOf<Tx>().toExtend<Db>()
  })

  it('is what the lock and in-transaction functions take', () => {
    expectTypeOf(lockNames).parameter(0).toEqualTypeOf<Tx>()
    expectTypeOf(lockClass).parameter(0).toEqualTypeOf<Tx>()
    expectTypeOf(lockScopes).parameter(0).toEqualTypeOf<Tx>()
    expectTypeOf(claimCheckinKey).parameter(0).toEqualTypeOf<Tx>()
    expectTypeOf(promoteFromWaitlist).parameter(0).toEqualTypeOf<Tx>()
    expectTypeOf(findOrCreateParticipant).parameter(0).toEqualTypeOf<Tx>()
    expectTypeOf(queueMail).parameter(0).toEqualTypeOf<Tx>()
  })
})

/** Never called: only compiled. */
export async function callsWithTheDb (db: Db, tx: Tx): Promise<void> {
  const at = new Date().toISOString()
  const person = { name: 'Grethe Hansen', phone: '12345678', email: null, birthYear: null, needsCompanion: false, needsHearingLoop: false, needsOther: null, booker: null, smsConsent: false }
  const cls = { id: 1, capacity: 10, waitlist_mode: 'auto' as const }
  const key = { idempotency_key: 'k', meeting_id: 1, booking_id: null, action: 'check_in', result_json: '{}', at, staff_user_id: null, link_id: null }
  const message = { kind: 'interest_signed_up' as const, courseSlug: 'x', courseTitle: 'X', unsubscribeToken: 't' }

  await lockNames(tx, ['participant:12345678'])
  // @ts-expect-error the plain db holds no lock: a lock needs a transaction
  await lockNames(db, ['participant:12345678'])

  await lockClass(tx, 1)
  // @ts-expect-error the plain db holds no lock: a lock needs a transaction
  await lockClass(db, 1)

  await lockScopes(tx, ['all'], at)
  // @ts-expect-error the plain db holds no lock: a lock needs a transaction
  await lockScopes(db, ['all'], at)

  await claimCheckinKey(tx, key)
  // @ts-expect-error a key claimed outside the action's transaction stays claimed when it fails
  await claimCheckinKey(db, key)

  await promoteFromWaitlist(tx, cls, at)
  // @ts-expect-error promoting needs the class lock, which needs a transaction
  await promoteFromWaitlist(db, cls, at)

  await findOrCreateParticipant(tx, person, at)
  // @ts-expect-error look-then-insert needs its named lock, which needs a transaction
  await findOrCreateParticipant(db, person, at)

  await notifyBooking(tx, 1, 'booking_confirmed', {}, new Date())
  // @ts-expect-error an e-mail is queued in the transaction of the change it tells about
  await notifyBooking(db, 1, 'booking_confirmed', {}, new Date())

  await queueMail(tx, message, { recipient: 'a@example.dk' })
  // @ts-expect-error an e-mail is queued in the transaction of the change it tells about
  await queueMail(db, message, { recipient: 'a@example.dk' })
}
