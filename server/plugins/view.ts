import { randomBytes } from 'node:crypto'
import fastifyView from '@fastify/view'
import { Eta } from 'eta'
import type { FastifyReply } from 'fastify'
import fp from 'fastify-plugin'
import * as format from '../domain/time.ts'
import { formatPhone } from '../domain/phone.ts'
import { levelLabel, topicLabel } from '../domain/catalogue-vocabulary.ts'
import { ROLES } from '../domain/staff.ts'
import { viewsDir } from '../paths.ts'

declare module 'fastify' {
  interface FastifyReply {
    locals: Record<string, unknown>
    /**
     * Renders a page that is the same for every visitor who is not signed in, but for
     * its CSRF token (pass `csrfToken: true` to have one): made once per read-cache
     * value (`kept.value`: a change makes a new value, so a new page) and `kept.variant`
     * (everything else the page shows that is not in the value, such as what the clock
     * decides), then only the visitor's own token goes in. Kept only when asked by its
     * own path (`kept.path`): another spelling of it is made afresh. Signed-in staff get
     * the page made for them.
     */
    viewKept: (template: string, data: Record<string, unknown>, kept: { value: object, path: string, variant: string }) => Promise<string>
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

  const KEPT_VARIANTS = 8
  // Letters and digits only: the escaping leaves it as it is, and no page text has it.
  const tokenMark = `csrf${randomBytes(16).toString('hex')}`
  const keptPages = new WeakMap<object, Map<string, Promise<string[]>>>()
  fastify.decorateReply('viewKept', async function (this: FastifyReply, template: string, data: Record<string, unknown>, kept: { value: object, path: string, variant: string }): Promise<string> {
    const withToken = data.csrfToken === true
    const made = async (csrfToken: string) => await this.viewAsync(template, { ...data, ...(withToken ? { csrfToken } : {}) })
    const fresh = async () => await made(withToken ? this.generateCsrf() : '')
    // Outside production Eta reads a template again at every render: an edited one shows at once.
    if (!production) return await fresh()
    // Only the path: nobody signed in (the layout shows staff their name, their menu and their own token).
    const locals = Object.keys(this.locals)
    if (locals.length !== 1 || this.locals.path !== kept.path) return await fresh()
    let variants = keptPages.get(kept.value)
    if (!variants) keptPages.set(kept.value, variants = new Map())
    const key = `${template}\u0000${kept.variant}`
    let parts = variants.get(key)
    if (!parts) {
      // A few variants a value at most, whatever a stranger asks for.
      if (variants.size >= KEPT_VARIANTS) return await fresh()
      const making = made(tokenMark).then(html => html.split(tokenMark))
      variants.set(key, making)
      making.catch(() => { variants.delete(key) })
      parts = making
    }
    const html = (await parts).join(withToken ? this.generateCsrf() : '')
    if (!this.getHeader('content-type')) this.header('content-type', 'text/html; charset=utf-8')
    return html
  })
}, { name: 'view', fastify: '5.x', dependencies: ['config'] })
