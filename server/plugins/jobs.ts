import fp from 'fastify-plugin'
import { runRetentionIfDue } from '../services/privacy-service.ts'
import { runReminderSchedule, runReminderScheduleIfDue } from '../services/reminder-service.ts'
import { type Repeating, repeat } from './repeat.ts'

declare module 'fastify' {
  interface FastifyInstance {
    jobs: {
      /** Runs the daily jobs that are due (anonymisation); the timer calls it, tests call it by hand. */
      runDue: (now?: Date) => Promise<void>
      /** Queues due reminders and thank-yous now (tests drive time by hand with it). */
      runReminderSchedule: (now?: Date) => Promise<void>
    }
  }
}

export interface JobsPluginOptions {
  /** Run the loops below in this process (the real server; tests drive them by hand). */
  backgroundJobs: boolean
  intervalMs?: number
  reminderIntervalMs?: number
  outboxIntervalMs?: number
}

/**
 * The background loops of a server:
 * - the daily jobs: every server checks every ten minutes whether one is due; the due run
 *   is taken with one conditional update, so it runs once however many servers there are;
 * - the schedule for reminders and thank-yous, taken the same way once a minute;
 * - the outbox worker, which sends what is queued (the mail plugin makes it).
 */
export default fp<JobsPluginOptions>(async (fastify, opts) => {
  const { config } = fastify
  const log = fastify.log.child({ component: 'jobs' })
  const runDue = async (now: Date = new Date()) => {
    if (await runRetentionIfDue(fastify.db, config.retentionMonths, now)) log.info('retention job ran')
  }
  const runSchedule = async (now: Date = new Date()) => { await runReminderSchedule(fastify.db, config.reminderOffsets, now) }
  fastify.decorate('jobs', { runDue, runReminderSchedule: runSchedule })
  if (!opts.backgroundJobs) return
  const { worker } = fastify.mail
  const outboxLog = fastify.log.child({ component: 'outbox' })
  let loops: Repeating[] = []
  fastify.addHook('onReady', async () => {
    loops = [
      repeat(runDue, opts.intervalMs ?? 10 * 60_000, error => { log.warn({ error: error.message }, 'daily jobs failed') }),
      // Every server asks a little more often than once a minute, so a minute is not missed.
      repeat(async () => await runReminderScheduleIfDue(fastify.db, config.reminderOffsets, new Date()), opts.reminderIntervalMs ?? 20_000,
        error => { outboxLog.warn({ error: error.message }, 'reminder schedule failed') }),
      repeat(async () => await worker.runOnce(), opts.outboxIntervalMs ?? 2_000, error => { outboxLog.warn({ error: error.message }, 'outbox run failed') })
    ]
  })
  fastify.addHook('preClose', async () => {
    // The worker stops taking messages at once; the loops wait for what is in flight.
    await Promise.all([worker.stop(), ...loops.map(async loop => { await loop.stop() })])
  })
}, { name: 'jobs', dependencies: ['db', 'config', 'mail'] })
