import fp from 'fastify-plugin'
import type { Config } from '../config.ts'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
  }
}

/** Settings a live site should have: citizens are sent to them on the privacy page and in texts. */
const CITIZEN_CONTACTS: Array<{ variable: string, missing: (config: Config) => boolean, why: string }> = [
  { variable: 'CONTACT_PHONE', missing: c => c.contactPhone === '', why: 'the footer, the privacy page and the help texts give citizens no phone number to call' },
  { variable: 'DPO_CONTACT', missing: c => c.dpoContact === '', why: 'the privacy page names no data protection officer (databeskyttelsesrådgiver), only "kommunens databeskyttelsesrådgiver"' }
]

export default fp<{ config: Config }>(async (fastify, opts) => {
  fastify.decorate('config', opts.config)
  if (opts.config.isProduction) {
    for (const contact of CITIZEN_CONTACTS) {
      if (contact.missing(opts.config)) fastify.log.warn(`${contact.variable} is not set: ${contact.why}. Set it in the environment (see .env.example).`)
    }
  }
}, { name: 'config', fastify: '5.x' })
