import { describe, expect, it } from 'vitest'
import { claimDueJob, ensureScheduledJob, findScheduledJob, finishJob } from '../../server/repositories/scheduled-job-repository.ts'
import { createTestDb } from '../helpers/database.ts'

describe('scheduled jobs', () => {
  it('give a due run to one asker, retry after the lease, and keep a late finisher from overwriting the next run', async () => {
    const db = await createTestDb()
    const t = (minutes: number) => new Date(Date.UTC(2030, 2, 5, 9, minutes)).toISOString()
    await ensureScheduledJob(db, 'test', t(0))
    // Server A takes the 09:00 run with a 2-minute lease; B asking in that time gets nothing.
    expect(await claimDueJob(db, 'test', t(0), t(2))).toBe(true)
    expect(await claimDueJob(db, 'test', t(1), t(3))).toBe(false)
    // A is stuck; at 09:02 the lease has run out and B takes the job and finishes it.
    expect(await claimDueJob(db, 'test', t(2), t(4))).toBe(true)
    await finishJob(db, 'test', t(4), t(2), t(3), 'B')
    // A finishes late: its lease is gone, so B's record stands.
    await finishJob(db, 'test', t(2), t(0), t(1), 'A')
    expect(await findScheduledJob(db, 'test')).toMatchObject({ last_run_at: t(2), next_run_at: t(3), last_result: 'B' })
    await db.destroy()
  })
})
