import fp from 'fastify-plugin'
import { createSmtpTransport } from '../mail/transport.ts'
import { OutboxWorker } from '../mail/worker.ts'
import { createGatewayApiTransport } from '../mail/sms-transport.ts'
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
    sms: {
      transport: config.sms.provider === 'gatewayapi' && config.sms.apiToken !== null
        ? createGatewayApiTransport({ url: config.sms.apiUrl, token: config.sms.apiToken, sender: config.sms.sender })
        : null,
      quietHours: config.sms.quietHours,
      monthlyLimit: config.sms.monthlyLimit,
      context: { publicUrl: config.publicUrl, contactPhone: config.contactPhone, includeLink: config.sms.includeLink }
    },
    log: { info: (obj, msg) => log.info(obj, msg), warn: (obj, msg) => log.warn(obj, msg) }
  })
  fastify.decorate('mail', { worker, context })
  if (opts.backgroundJobs && !config.smtpUrl) {
    fastify.addHook('onReady', async () => { log.info('SMTP_URL is not set: e-mails are kept in the outbox and shown to staff, not sent') })
  }
  if (opts.backgroundJobs && config.sms.provider === 'gatewayapi' && !/^\d+$/.test(config.sms.sender)) {
    // The texts and the forms tell citizens to answer STOP; a name as sender cannot be answered.
    fastify.addHook('onReady', async () => { log.warn('SMS_SENDER is a name: citizens cannot answer STOP to a text from it. Use your GatewayAPI number (e.g. 4560575797) as SMS_SENDER') })
  }
  if (opts.backgroundJobs && config.sms.provider === 'none') {
    fastify.addHook('onReady', async () => { log.info('SMS_PROVIDER is none: texts are kept in the outbox and shown to staff, not sent') })
  }
}, { name: 'mail', dependencies: ['db', 'config'] })
