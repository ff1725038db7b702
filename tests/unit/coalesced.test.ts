import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { coalesced } from '../../server/services/read-cache.ts'

/** A run of work the test ends by hand: run n resolves to n, or fails. */
function runs () {
  const started: Array<{ end: () => void, fail: () => void }> = []
  const work = async () => await new Promise<number>((resolve, reject) => {
    const n = started.length
    started.push({ end: () => { resolve(n) }, fail: () => { reject(new Error(`run ${n} failed`)) } })
  })
  return { started, work }
}

const turn = async () => { for (let i = 0; i < 5; i++) await Promise.resolve() }

describe('coalesced', () => {
  it('starts a run for a call when none is going', async () => {
    const { started, work } = runs()
    const call = coalesced(work)
    const first = call()
    expect(started).toHaveLength(1)
    started[0]!.end()
    expect(await first).toBe(0)
  })

  it('makes callers during a run wait for the next run, which they share', async () => {
    const { started, work } = runs()
    const call = coalesced(work)
    const first = call()
    // These came after run 0 began: it may have read or bumped before their writes.
    const waiting = [call(), call(), call()]
    expect(started).toHaveLength(1)
    started[0]!.end()
    expect(await first).toBe(0)
    await turn()
    expect(started).toHaveLength(2)
    // A call during run 1 waits for run 2, not run 1.
    const later = call()
    started[1]!.end()
    expect(await Promise.all(waiting)).toEqual([1, 1, 1])
    await turn()
    expect(started).toHaveLength(3)
    started[2]!.end()
    expect(await later).toBe(2)
  })

  it('fails only the callers of a failed run, and the next call starts afresh', async () => {
    const { started, work } = runs()
    const call = coalesced(work)
    const first = call()
    const second = call()
    started[0]!.fail()
    await expect(first).rejects.toThrow('run 0 failed')
    await turn()
    // The callers waiting for the next run still get one, after the failed one.
    expect(started).toHaveLength(2)
    started[1]!.end()
    expect(await second).toBe(1)
    const third = call()
    expect(started).toHaveLength(3)
    started[2]!.end()
    expect(await third).toBe(2)
  })

  it('never runs twice at once, even for a caller that calls again the moment its run ends', async () => {
    let active = 0
    let most = 0
    const ends: Array<() => void> = []
    const call = coalesced(async () => {
      active++
      most = Math.max(most, active)
      await new Promise<void>(resolve => ends.push(resolve))
      active--
      return ends.length
    })
    const first = call()
    const waiting = call()
    // As a request does that reads two kept pages one after the other (two reads of the count).
    const again = first.then(async () => await call())
    ends[0]!()
    await turn()
    expect(most).toBe(1)
    // Run 1 started for `waiting`; `again` called after it began, so it waits for run 2.
    expect(ends).toHaveLength(2)
    ends[1]!()
    expect(await waiting).toBe(2)
    await turn()
    expect(ends).toHaveLength(3)
    ends[2]!()
    expect(await again).toBe(3)
    expect(most).toBe(1)
  })

  it('gives every caller a run that began after its call, however calls and runs interleave', async () => {
    await fc.assert(fc.asyncProperty(fc.scheduler(), fc.array(fc.nat({ max: 20 }), { minLength: 1, maxLength: 12 }), async (s, delays) => {
      const log: string[] = []
      let n = 0
      let active = 0
      const work = async () => {
        const run = n++
        expect(active, 'two runs at once').toBe(0)
        active++
        log.push(`start ${run}`)
        await s.schedule(Promise.resolve(), `run ${run}`)
        active--
        return run
      }
      const call = coalesced(work)
      const served = delays.map(async (delay, i) => {
        for (let k = 0; k < delay; k++) await s.schedule(Promise.resolve(), `caller ${i} waits`)
        log.push(`call ${i}`)
        return { i, run: await call() }
      })
      for (const { i, run } of await s.waitFor(Promise.all(served))) {
        expect(log.indexOf(`start ${run}`)).toBeGreaterThan(log.indexOf(`call ${i}`))
      }
      // Never more runs than calls.
      expect(n).toBeLessThanOrEqual(delays.length)
    }))
  })
})
