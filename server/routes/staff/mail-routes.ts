import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { STALE_FORM } from '../../domain/error-messages.ts'
import type { OutboxRow, OutboxStatus } from '../../db/schema.ts'
import { KIND_LABELS, type MailKind } from '../../mail/messages.ts'
import { messageOf } from '../../mail/outbox.ts'
import { type RenderedMail, renderMail } from '../../mail/render.ts'
import { countOutboxByStatus, listOutboxMessages } from '../../repositories/outbox-repository.ts'
import { findReadableMessage, resendMessage } from '../../services/outbox-service.ts'
import { parseId, queryString } from '../params.ts'

export const STATUS_LABELS: Record<OutboxStatus, string> = {
  queued: 'Venter',
  claimed: 'Sendes nu',
  sending: 'Sendes nu',
  sent: 'Sendt',
  kept: 'Ikke sendt (ingen mailserver)',
  withdrawn: 'Ikke sendt (forældet)',
  failed: 'Fejlet',
  unknown: 'Ukendt udfald'
}

const PAGE_SIZE = 50

/** The preview cannot fetch cid: images, so inline attachments are shown as data: URLs. */
function withInlineImages (mail: RenderedMail): string {
  let html = mail.html
  for (const a of mail.attachments) {
    if (a.cid && Buffer.isBuffer(a.content)) html = html.replaceAll(`cid:${a.cid}`, `data:${a.contentType};base64,${a.content.toString('base64')}`)
  }
  return html
}

/** "Sendte e-mails": every message with its status; open one as it looks; resend a failed one. */
const mailRoutes: FastifyPluginAsync = async (fastify) => {
  const leader = { config: { role: 'leader' } } as const

  fastify.get('/personale/e-mails', leader, async (request, reply) => {
    const statusParam = queryString(request.query, 'status')
    const status = statusParam && statusParam in STATUS_LABELS ? statusParam as OutboxStatus : undefined
    const page = Math.min(Math.max(Number(queryString(request.query, 'side') ?? '1') || 1, 1), 10_000)
    const [messages, counts] = await Promise.all([
      listOutboxMessages(fastify.db, { status, limit: PAGE_SIZE + 1, offset: (page - 1) * PAGE_SIZE }),
      countOutboxByStatus(fastify.db)
    ])
    return await reply.viewAsync('staff/emails', {
      title: 'Sendte e-mails',
      messages: messages.slice(0, PAGE_SIZE),
      hasMore: messages.length > PAGE_SIZE,
      page,
      status: status ?? '',
      counts,
      statusLabels: STATUS_LABELS,
      kindLabels: KIND_LABELS,
      smtpConfigured: fastify.config.smtpUrl !== null
    })
  })

  /** One message, if this staff user may read it. */
  async function loadMessage (request: FastifyRequest, idParam: string) {
    const id = parseId(idParam)
    return id === undefined ? undefined : await findReadableMessage(fastify.db, request.actor, id)
  }

  async function renderMessage (reply: FastifyReply, row: OutboxRow, notice: { resent?: boolean, formMessage?: string } = {}, status = 200) {
    const mail = await renderMail(messageOf(row), { ...fastify.mail.context, now: new Date(row.created_at) })
    reply.code(status).header('cache-control', 'no-store')
    return await reply.viewAsync('staff/email', {
      title: row.subject,
      row,
      mail,
      kindLabel: KIND_LABELS[row.kind as MailKind] ?? row.kind,
      statusLabel: STATUS_LABELS[row.status],
      ...notice,
      csrfToken: reply.generateCsrf()
    })
  }

  fastify.get<{ Params: { id: string } }>('/personale/e-mails/:id', leader, async (request, reply) => {
    const row = await loadMessage(request, request.params.id)
    if (!row) return reply.callNotFound()
    return await renderMessage(reply, row, { resent: queryString(request.query, 'sendt') === '1' })
  })

  // The HTML part on its own, for the preview frame: sandboxed, no scripts, nothing loaded.
  fastify.get<{ Params: { id: string } }>('/personale/e-mails/:id/html', leader, async (request, reply) => {
    const row = await loadMessage(request, request.params.id)
    if (!row) return reply.callNotFound()
    const mail = await renderMail(messageOf(row), { ...fastify.mail.context, now: new Date(row.created_at) })
    return await reply
      .header('content-security-policy', "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'")
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(withInlineImages(mail))
  })

  fastify.post<{ Params: { id: string } }>('/personale/e-mails/:id/send-igen', leader, async (request, reply) => {
    const row = await loadMessage(request, request.params.id)
    if (!row) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await renderMessage(reply, row, { formMessage: STALE_FORM.message }, 403)
    if (!await resendMessage(fastify.db, request.actor, row.id)) return reply.callNotFound()
    return await reply.redirect(`/personale/e-mails/${row.id}?sendt=1`, 303)
  })
}

export default mailRoutes
