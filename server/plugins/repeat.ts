/** A loop started by repeat(): stop() ends it and waits for the run in progress. */
export interface Repeating {
  stop: () => Promise<void>
}

/**
 * Runs `run` now, and again `intervalMs` after each run ends, until stopped: never two
 * runs at once, however long one takes. A failed run goes to `onError` and the next one
 * comes as usual. The background loops (outbox worker, reminder schedule, daily jobs) all
 * run this way; stopping waits for the run in flight, so a server stops with grace.
 */
export function repeat (run: () => Promise<unknown>, intervalMs: number, onError: (error: Error) => void): Repeating {
  let timer: NodeJS.Timeout | null = null
  let running: Promise<void> | null = null
  let stopped = false
  const tick = () => {
    running = run().then(() => {}, onError)
      .finally(() => { if (!stopped) timer = setTimeout(tick, intervalMs) })
  }
  tick()
  return {
    stop: async () => {
      stopped = true
      if (timer) clearTimeout(timer)
      await running
    }
  }
}
