import fastifyView from '@fastify/view'
import { Eta } from 'eta'
import fp from 'fastify-plugin'
import * as format from '../domain/time.ts'
import { formatPhone } from '../domain/phone.ts'
import { levelLabel, topicLabel } from '../domain/catalogue-vocabulary.ts'
import { ROLES } from '../domain/staff.ts'
import { viewsDir } from '../paths.ts'

declare module 'fastify' {
  interface FastifyReply {
    locals: Record<string, unknown>
  }
}

export { viewsDir }

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, ch => `&#${ch.charCodeAt(0)};`)

/** Helpers every template can use as `it.h`. */
const helpers = {
  ...format,
  formatPhone,
  /** A phone number to tap, kept on one line: `<%~ it.h.phoneLink(b.phone) %>`. */
  phoneLink: (phone: string) => `<a class="phone" href="tel:${escapeHtml(phone.replace(/[^\d+]/g, ''))}">${escapeHtml(formatPhone(phone))}</a>`,
  topicLabel,
  levelLabel,
  roleLabel: (role: string) => ROLES[role as keyof typeof ROLES] ?? role,
  formatHours: (hours: number) => `${hours.toLocaleString('da-DK')} ${hours === 1 ? 'time' : 'timer'}`
}

/**
 * Eta resolves a template's path again at every render and include (a JSON key, path
 * joins and a check that it stays inside views/). The answer depends only on the names,
 * so it is kept.
 */
function withKeptPaths (eta: Eta): Eta {
  const resolve = eta.resolvePath.bind(eta)
  const kept = new Map<string, string>()
  eta.resolvePath = (template, options) => {
    const key = `${options?.filepath ?? ''}\u0000${template}`
    let path = kept.get(key)
    if (path === undefined) {
      path = resolve(template, options)
      kept.set(key, path)
    }
    return path
  }
  return eta
}

export default fp(async (fastify) => {
  const production = fastify.config.isProduction
  await fastify.register(fastifyView, {
    engine: { eta: withKeptPaths(new Eta({ views: viewsDir, cache: production, autoEscape: true, autoTrim: [false, 'nl'] })) },
    templates: viewsDir,
    production,
    defaultContext: {
      h: helpers,
      site: {
        name: fastify.config.siteName,
        logo: fastify.config.logoFile !== null,
        contactPhone: fastify.config.contactPhone,
        contactEmail: fastify.config.contactEmail
      }
    }
  })
  fastify.addHook('onRequest', async (request, reply) => {
    reply.locals = { path: request.url.split('?')[0] }
  })
}, { name: 'view', fastify: '5.x', dependencies: ['config'] })
