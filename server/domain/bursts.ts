/** A run of online bookings from one address, close together in time. */
export interface Burst {
  bookingIds: number[]
  firstAt: string
  lastAt: string
}

/** At least this many bookings from one address … */
export const BURST_MIN_BOOKINGS = 4
/** … each within this many minutes of the one before, make a burst. */
export const BURST_GAP_MINUTES = 10

/**
 * Finds bursts: online bookings from one address (the same source key), each made within
 * a few minutes of the one before, many enough to look like one person filling a class.
 * A family booking two seats is no burst; fourteen invented names in two seconds are.
 */
export function findBursts (bookings: Array<{ id: number, sourceKey: string | null, createdAt: string }>, minBookings = BURST_MIN_BOOKINGS, gapMinutes = BURST_GAP_MINUTES): Burst[] {
  const bySource = new Map<string, Array<{ id: number, at: number, createdAt: string }>>()
  for (const b of bookings) {
    if (b.sourceKey === null) continue
    bySource.set(b.sourceKey, [...(bySource.get(b.sourceKey) ?? []), { id: b.id, at: Date.parse(b.createdAt), createdAt: b.createdAt }])
  }
  const bursts: Burst[] = []
  for (const list of bySource.values()) {
    list.sort((a, b) => a.at - b.at || a.id - b.id)
    let run: typeof list = []
    const close = () => {
      if (run.length >= minBookings) bursts.push({ bookingIds: run.map(r => r.id), firstAt: run[0]!.createdAt, lastAt: run.at(-1)!.createdAt })
      run = []
    }
    for (const b of list) {
      const previous = run.at(-1)
      if (previous && b.at - previous.at > gapMinutes * 60_000) close()
      run.push(b)
    }
    close()
  }
  return bursts.sort((a, b) => a.firstAt.localeCompare(b.firstAt))
}
