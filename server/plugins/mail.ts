import fp from 'fastify-plugin'
import { createSmtpTransport } from '../mail/transport.ts'
import { OutboxWorker } from '../mail/worker.ts'
import type { MailContext } from '../mail/content.ts'
import { runReminderSchedule, runReminderScheduleIfDue } from '../services/reminder-service.ts'

declare module 'fastify' {
  interface FastifyInstance {
    mail: {
      worker: OutboxWorker
      /** What every e-mail says about the sender, without the time. */
      context: Omit<MailContext, 'now'>
      /** Queues due reminders and thank-yous now (tests drive time by hand with it). */
      runSchedule: (now?: Date) => Promise<void>
      /** The timer's run: once a minute across all servers; true when this server ran it. */
      runScheduleIfDue: (now?: Date) => Promise<boolean>
    }
  }
}

export interface MailPluginOptions {
  /** Start the outbox worker and the reminder schedule (the real server; tests drive them by hand). */
  backgroundJobs: boolean
  outboxIntervalMs?: number
  scheduleIntervalMs?: number
}

/**
 * The outbox worker and the schedule for reminders and thank-yous. Without SMTP_URL the
 * worker keeps messages in the outbox, where staff can read them; nothing leaves the machine.
 */
export default fp<MailPluginOptions>(async (fastify, opts) => {
  const { config } = fastify
  const context = {
    publicUrl: config.publicUrl,
    organisationName: config.organisationName,
    contactPhone: config.contactPhone,
    contactEmail: config.contactEmail
  }
  const log = fastify.log.child({ component: 'outbox' })
  const worker = new OutboxWorker({
    db: fastify.db,
    transport: config.smtpUrl ? createSmtpTransport(config.smtpUrl) : null,
    from: config.mailFrom,
    context,
    log: { info: (obj, msg) => log.info(obj, msg), warn: (obj, msg) => log.warn(obj, msg) }
  })
  const runSchedule = async (now: Date = new Date()) => { await runReminderSchedule(fastify.db, config.reminderOffsets, now) }
  const runScheduleIfDue = async (now: Date = new Date()) => await runReminderScheduleIfDue(fastify.db, config.reminderOffsets, now)
  fastify.decorate('mail', { worker, context, runSchedule, runScheduleIfDue })

  if (!opts.backgroundJobs) return
  let scheduleTimer: NodeJS.Timeout | null = null
  let scheduleRun: Promise<void> | null = null
  let closing = false
  const schedule = () => {
    scheduleRun = runScheduleIfDue().then(() => {}).catch((error: Error) => log.warn({ error: error.message }, 'reminder schedule failed'))
      // Every server asks a little more often than once a minute, so a minute is not missed.
      .finally(() => { if (!closing) scheduleTimer = setTimeout(schedule, opts.scheduleIntervalMs ?? 20_000) })
  }
  fastify.addHook('onReady', async () => {
    if (!config.smtpUrl) log.info('SMTP_URL is not set: e-mails are kept in the outbox and shown to staff, not sent')
    schedule()
    worker.start(opts.outboxIntervalMs ?? 2_000)
  })
  fastify.addHook('preClose', async () => {
    closing = true
    if (scheduleTimer) clearTimeout(scheduleTimer)
    await scheduleRun
    await worker.stop()
  })
}, { name: 'mail', dependencies: ['db', 'config'] })
