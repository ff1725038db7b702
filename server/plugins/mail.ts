import fp from 'fastify-plugin'
import { createSmtpTransport } from '../mail/transport.ts'
import { OutboxWorker } from '../mail/worker.ts'
import type { MailContext } from '../mail/content.ts'

declare module 'fastify' {
  interface FastifyInstance {
    mail: {
      worker: OutboxWorker
      /** What every e-mail says about the sender, without the time. */
      context: Omit<MailContext, 'now'>
    }
  }
}

export interface MailPluginOptions {
  /** The outbox worker runs in this process (the jobs plugin runs it; tests drive it by hand). */
  backgroundJobs: boolean
}

/**
 * The outbox worker, which the jobs plugin runs. Without SMTP_URL the worker keeps
 * messages in the outbox, where staff can read them; nothing leaves the machine.
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
  fastify.decorate('mail', { worker, context })
  if (opts.backgroundJobs && !config.smtpUrl) {
    fastify.addHook('onReady', async () => { log.info('SMTP_URL is not set: e-mails are kept in the outbox and shown to staff, not sent') })
  }
}, { name: 'mail', dependencies: ['db', 'config'] })
