import type { DbOrTx } from '../db/connection.ts'

/**
 * Jobs that must run once per due moment however many servers there are (the daily
 * anonymisation, the minute-by-minute reminder schedule). Each server asks; one
 * conditional update decides which one runs it.
 */

export async function findScheduledJob (db: DbOrTx, name: string) {
  return await db.selectFrom('scheduled_jobs').selectAll().where('name', '=', name).executeTakeFirst()
}

export async function ensureScheduledJob (db: DbOrTx, name: string, firstRunAt: string): Promise<void> {
  await db.insertInto('scheduled_jobs').values({ name, last_run_at: null, next_run_at: firstRunAt, last_result: null })
    .onConflict(oc => oc.column('name').doNothing()).execute()
}

/**
 * Takes a due run of a job: one conditional update moves its next run to `retryAt` (a
 * lease), so of several servers asking at once exactly one gets it, and a run that
 * fails is tried again then. True for the one that got it.
 */
export async function claimDueJob (db: DbOrTx, name: string, now: string, retryAt: string): Promise<boolean> {
  const r = await db.updateTable('scheduled_jobs').set({ next_run_at: retryAt })
    .where('name', '=', name).where('next_run_at', '<=', now).executeTakeFirst()
  return Number(r.numUpdatedRows) > 0
}

/**
 * A run that went well: when it ran, what it did, and when the next is due. Only while
 * the run still holds its lease (`lease` is the retryAt it claimed with): a run that took
 * longer than its lease, while another server took the job over, does not overwrite that
 * server's record.
 */
export async function finishJob (db: DbOrTx, name: string, lease: string, ranAt: string, nextRunAt: string, result: string): Promise<void> {
  await db.updateTable('scheduled_jobs').set({ last_run_at: ranAt, next_run_at: nextRunAt, last_result: result.slice(0, 200) })
    .where('name', '=', name).where('next_run_at', '=', lease).execute()
}

/** A run that failed: shown to leaders; the lease from claimDueJob brings the retry. */
export async function recordJobFailure (db: DbOrTx, name: string, result: string): Promise<void> {
  await db.updateTable('scheduled_jobs').set({ last_result: result.slice(0, 200) }).where('name', '=', name).execute()
}
