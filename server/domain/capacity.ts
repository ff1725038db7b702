/**
 * Seats are derived, never counted in a column (after pretix's quotas): seats left is
 * capacity minus confirmed bookings, computed inside the transaction that writes.
 */
export function seatsLeft (capacity: number, confirmed: number): number {
  return Math.max(0, capacity - confirmed)
}

/**
 * A new booking gets a seat while confirmed bookings are below capacity and nobody is
 * waiting: a free seat that staff are offering to the waiting list by phone is not
 * taken by whoever books online next.
 */
export function statusForNewBooking (capacity: number, confirmed: number, waiting = 0): 'confirmed' | 'waitlisted' {
  return confirmed < capacity && waiting === 0 ? 'confirmed' : 'waitlisted'
}

/**
 * Which waiting bookings get a seat now: the first in line, as many as there are free
 * seats. `waiting` must be in queue order.
 */
export function bookingsToPromote<T> (capacity: number, confirmed: number, waiting: readonly T[]): T[] {
  return waiting.slice(0, seatsLeft(capacity, confirmed))
}

/** Waiting-list number (1-based) of a booking, given the queue in order. */
export function waitlistNumber<T> (queue: readonly T[], isMine: (item: T) => boolean): number | null {
  const index = queue.findIndex(isMine)
  return index === -1 ? null : index + 1
}
