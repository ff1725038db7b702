import type { DbOrTx } from '../db/connection.ts'
import type { OutboxChannel } from '../db/schema.ts'

/** The e-mails and texts kept about these bookings, for a participant's own copy of their data. */
export async function listOutboxOfBookings (db: DbOrTx, bookingIds: number[]): Promise<Array<{ bookingId: number, channel: OutboxChannel, subject: string, recipient: string, status: string, createdAt: string, sentAt: string | null, deliveryStatus: string | null }>> {
  if (bookingIds.length === 0) return []
  const rows = await db.selectFrom('outbox').select(['booking_id', 'channel', 'subject', 'recipient', 'status', 'created_at', 'sent_at', 'delivery_status']).where('booking_id', 'in', bookingIds).orderBy('id').execute()
  return rows.map(r => ({ bookingId: r.booking_id ?? 0, channel: r.channel, subject: r.subject, recipient: r.recipient, status: r.status, createdAt: r.created_at, sentAt: r.sent_at, deliveryStatus: r.delivery_status }))
}

/** Texts sent to our number that were matched to these bookings (STOP, START, replies). */
export async function listInboundOfBookings (db: DbOrTx, bookingIds: number[]): Promise<Array<{ bookingId: number, from: string, text: string, receivedAt: string }>> {
  if (bookingIds.length === 0) return []
  const rows = await db.selectFrom('sms_inbound').select(['booking_id', 'msisdn', 'message', 'received_at']).where('booking_id', 'in', bookingIds).orderBy('id').execute()
  return rows.map(r => ({ bookingId: r.booking_id ?? 0, from: r.msisdn, text: r.message, receivedAt: r.received_at }))
}

export async function listInterestOfEmail (db: DbOrTx, email: string): Promise<Array<{ course: string, since: string, unsubscribedAt: string | null }>> {
  const rows = await db.selectFrom('interest_subscriptions')
    .innerJoin('courses', 'courses.slug', 'interest_subscriptions.course_slug')
    .select(['courses.title', 'interest_subscriptions.created_at', 'interest_subscriptions.unsubscribed_at'])
    .where('interest_subscriptions.email', '=', email).execute()
  return rows.map(r => ({ course: r.title, since: r.created_at, unsubscribedAt: r.unsubscribed_at }))
}
