import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { FastifyPluginAsync } from 'fastify'
import { logoContentType } from '../../config.ts'
import { renderMarkdown } from '../../domain/markdown.ts'
import { viewsDir } from '../../plugins/view.ts'

/**
 * The privacy page and the accessibility statement, linked in the footer of every page.
 * The texts are Markdown: ours by default, or the organisation's own files
 * (PRIVACY_TEXT_FILE, ACCESSIBILITY_TEXT_FILE), with a few details filled in.
 */
const aboutRoutes: FastifyPluginAsync = async (fastify) => {
  const { config } = fastify
  const contact = [config.contactPhone ? `telefon ${config.contactPhone}` : '', config.contactEmail ? `e-mail ${config.contactEmail}` : ''].filter(Boolean).join(' eller ') || 'biblioteket eller Borgerservice'
  const fill = (text: string) => text
    .replaceAll('{{organisation}}', config.organisationName)
    .replaceAll('{{contact}}', contact)
    .replaceAll('{{dpo}}', config.dpoContact || 'kommunens databeskyttelsesrådgiver')
    .replaceAll('{{retentionMonths}}', String(config.retentionMonths))
    .replaceAll('{{publicUrl}}', config.publicUrl)

  async function page (file: string | null, fallback: string, title: string) {
    const source = await readFile(file ?? resolve(viewsDir, 'texts', fallback), 'utf8')
    return { title, html: renderMarkdown(fill(source)) }
  }

  // The organisation's logo (LOGO_FILE), shown in the header. An SVG gets no power to run anything.
  if (config.logoFile !== null) {
    const logoFile = config.logoFile
    fastify.get('/logo', async (_request, reply) => {
      return await reply
        .type(logoContentType(logoFile) ?? 'application/octet-stream')
        .header('cache-control', 'public, max-age=3600')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'none'; sandbox")
        .send(await readFile(logoFile))
    })
  }

  fastify.get('/privatliv', async (_request, reply) => {
    return await reply.viewAsync('public/text-page', await page(config.privacyTextFile, 'privatliv.md', 'Sådan passer vi på dine oplysninger'))
  })

  fastify.get('/tilgaengelighed', async (_request, reply) => {
    return await reply.viewAsync('public/text-page', await page(config.accessibilityTextFile, 'tilgaengelighed.md', 'Tilgængelighedserklæring'))
  })
}

export default aboutRoutes
