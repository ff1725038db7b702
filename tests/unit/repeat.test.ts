import { afterEach, describe, expect, it, vi } from 'vitest'
import { repeat } from '../../server/plugins/repeat.ts'

describe('a background loop', () => {
  afterEach(() => { vi.useRealTimers() })

  it('runs at once, then an interval after each run ends, never twice at once, and on after a failure', async () => {
    vi.useFakeTimers()
    const ends: Array<() => void> = []
    let started = 0
    const errors: string[] = []
    const loop = repeat(async () => {
      started++
      if (started === 2) throw new Error('database away')
      await new Promise<void>(resolve => ends.push(resolve))
    }, 1000, error => { errors.push(error.message) })
    expect(started).toBe(1)
    // The first run takes long: no second run starts meanwhile.
    await vi.advanceTimersByTimeAsync(5000)
    expect(started).toBe(1)
    ends.shift()?.()
    await vi.advanceTimersByTimeAsync(999)
    expect(started).toBe(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(started).toBe(2)
    // The failed run is reported, and the next one comes as usual.
    await vi.advanceTimersByTimeAsync(1000)
    expect(errors).toEqual(['database away'])
    expect(started).toBe(3)
    // Stopping waits for the run in flight, and no run comes after it.
    let stopped = false
    const stopping = loop.stop().then(() => { stopped = true })
    await vi.advanceTimersByTimeAsync(0)
    expect(stopped).toBe(false)
    ends.shift()?.()
    await stopping
    await vi.advanceTimersByTimeAsync(10_000)
    expect(started).toBe(3)
  })
})
