import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { STALE_FORM } from '../../domain/error-messages.ts'
import type { DeliveryStatus, OutboxChannel, OutboxRow, OutboxStatus } from '../../db/schema.ts'
import { KIND_LABELS, type MailKind, subjectOf } from '../../mail/messages.ts'
import { messageOf } from '../../mail/outbox.ts'
import { type RenderedMail, renderMail } from '../../mail/render.ts'
import { type SmsContext, renderSms } from '../../mail/sms-text.ts'
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

/** A text is kept when no SMS provider is set up, not for want of a mail server. */
const SMS_STATUS_LABELS: Record<OutboxStatus, string> = { ...STATUS_LABELS, kept: 'Ikke sendt (ingen sms-udbyder)' }
const BOTH_STATUS_LABELS: Record<OutboxStatus, string> = { ...STATUS_LABELS, kept: 'Ikke sendt (gemt)' }

const statusLabelsOf = (channel: OutboxChannel | undefined) =>
  channel === 'sms' ? SMS_STATUS_LABELS : channel === 'email' ? STATUS_LABELS : BOTH_STATUS_LABELS

export const CHANNEL_LABELS: Record<OutboxChannel, string> = { email: 'E-mail', sms: 'Sms' }

/** What the SMS provider reported about a text. */
export const DELIVERY_LABELS: Record<DeliveryStatus, string> = {
  enroute: 'På vej',
  delivered: 'Leveret',
  undeliverable: 'Kunne ikke leveres',
  expired: 'Udløbet',
  rejected: 'Afvist'
}

/** The channel filter in the address: ?kanal=e-mail or ?kanal=sms. */
const CHANNEL_PARAMS: Record<string, OutboxChannel> = { 'e-mail': 'email', sms: 'sms' }

const PAGE_SIZE = 50

/** The preview cannot fetch cid: images, so inline attachments are shown as data: URLs. */
function withInlineImages (mail: RenderedMail): string {
  let html = mail.html
  for (const a of mail.attachments) {
    if (a.cid && Buffer.isBuffer(a.content)) html = html.replaceAll(`cid:${a.cid}`, `data:${a.contentType};base64,${a.content.toString('base64')}`)
  }
  return html
}

/** A text's words and whether they are only a preview. */
export interface SmsWords { text: string | null, preview: boolean }

/**
 * The words of a text: once the worker has made them they are kept in its subject (and
 * that is what went, or goes, out). Until then the subject is still the one it was queued
 * with, and the words are a preview made now.
 */
function smsWordsOf (row: OutboxRow, ctx: Omit<SmsContext, 'now'>, now: Date): SmsWords {
  const message = messageOf(row)
  if (row.subject !== subjectOf(message, new Date(row.created_at)).slice(0, 300)) return { text: row.subject, preview: false }
  return { text: renderSms(message, { ...ctx, now }), preview: true }
}

/** "Sendte beskeder": every e-mail and text with its status; open one as it looks; resend a failed one. */
const mailRoutes: FastifyPluginAsync = async (fastify) => {
  const leader = { config: { role: 'leader' } } as const
  const smsContext = (): Omit<SmsContext, 'now'> => ({ publicUrl: fastify.config.publicUrl, contactPhone: fastify.config.contactPhone, includeLink: fastify.config.sms.includeLink })

  fastify.get('/personale/beskeder', leader, async (request, reply) => {
    const channelParam = queryString(request.query, 'kanal')
    const channel = channelParam !== undefined && Object.hasOwn(CHANNEL_PARAMS, channelParam) ? CHANNEL_PARAMS[channelParam] : undefined
    const statusParam = queryString(request.query, 'status')
    const status = statusParam && Object.hasOwn(STATUS_LABELS, statusParam) ? statusParam as OutboxStatus : undefined
    const page = Math.min(Math.max(Number(queryString(request.query, 'side') ?? '1') || 1, 1), 10_000)
    const [messages, counts] = await Promise.all([
      listOutboxMessages(fastify.db, { status, channel, limit: PAGE_SIZE + 1, offset: (page - 1) * PAGE_SIZE }),
      countOutboxByStatus(fastify.db, channel)
    ])
    const now = new Date()
    const ctx = smsContext()
    const filterQuery = [channel ? `kanal=${channelParam}` : '', status ? `status=${status}` : ''].filter(Boolean).join('&')
    return await reply.viewAsync('staff/emails', {
      title: 'Sendte beskeder',
      messages: messages.slice(0, PAGE_SIZE).map(m => ({ ...m, sms: m.channel === 'sms' ? smsWordsOf(m, ctx, now) : null })),
      hasMore: messages.length > PAGE_SIZE,
      page,
      status: status ?? '',
      kanal: channel ? channelParam : '',
      filterQuery: filterQuery ? `&${filterQuery}` : '',
      counts,
      statusLabels: statusLabelsOf(channel),
      rowStatusLabels: { email: STATUS_LABELS, sms: SMS_STATUS_LABELS },
      channelLabels: CHANNEL_LABELS,
      deliveryLabels: DELIVERY_LABELS,
      kindLabels: KIND_LABELS,
      smtpConfigured: fastify.config.smtpUrl !== null,
      smsConfigured: fastify.config.sms.provider !== 'none'
    })
  })

  /** One message, if this staff user may read it. */
  async function loadMessage (request: FastifyRequest, idParam: string) {
    const id = parseId(idParam)
    return id === undefined ? undefined : await findReadableMessage(fastify.db, request.actor, id)
  }

  async function renderMessage (reply: FastifyReply, row: OutboxRow, notice: { resent?: boolean, formMessage?: string } = {}, status = 200) {
    const isSms = row.channel === 'sms'
    const mail = isSms ? null : await renderMail(messageOf(row), { ...fastify.mail.context, now: new Date(row.created_at) })
    const sms = isSms ? smsWordsOf(row, smsContext(), new Date()) : null
    reply.code(status).header('cache-control', 'no-store')
    return await reply.viewAsync('staff/email', {
      title: isSms ? 'Sms' : row.subject,
      row,
      mail,
      sms,
      kindLabel: KIND_LABELS[row.kind as MailKind] ?? row.kind,
      statusLabel: (isSms ? SMS_STATUS_LABELS : STATUS_LABELS)[row.status],
      deliveryLabel: row.delivery_status ? DELIVERY_LABELS[row.delivery_status] : null,
      ...notice,
      csrfToken: reply.generateCsrf()
    })
  }

  fastify.get<{ Params: { id: string } }>('/personale/beskeder/:id', leader, async (request, reply) => {
    const row = await loadMessage(request, request.params.id)
    if (!row) return reply.callNotFound()
    return await renderMessage(reply, row, { resent: queryString(request.query, 'sendt') === '1' })
  })

  // An e-mail's HTML part on its own, for the preview frame: sandboxed, no scripts, nothing loaded.
  fastify.get<{ Params: { id: string } }>('/personale/beskeder/:id/html', leader, async (request, reply) => {
    const row = await loadMessage(request, request.params.id)
    if (!row || row.channel !== 'email') return reply.callNotFound()
    const mail = await renderMail(messageOf(row), { ...fastify.mail.context, now: new Date(row.created_at) })
    return await reply
      .header('content-security-policy', "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'")
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(withInlineImages(mail))
  })

  async function resend (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) {
    const row = await loadMessage(request, request.params.id)
    if (!row) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await renderMessage(reply, row, { formMessage: STALE_FORM.message }, 403)
    const outcome = await resendMessage(fastify.db, request.actor, row.id)
    if (outcome === undefined) return reply.callNotFound()
    if (outcome === 'blocked') {
      return await renderMessage(reply, row, { formMessage: 'Nummeret har svaret STOP eller er markeret som fastnet, så sms\'en bliver ikke sendt igen. Ring til deltageren i stedet.' }, 409)
    }
    return await reply.redirect(`/personale/beskeder/${row.id}?sendt=1`, 303)
  }
  fastify.post<{ Params: { id: string } }>('/personale/beskeder/:id/send-igen', leader, resend)

  // The page was "Sendte e-mails" at /personale/e-mails: old links and bookmarks still work.
  const search = (url: string) => url.includes('?') ? url.slice(url.indexOf('?')) : ''
  fastify.get('/personale/e-mails', leader, async (request, reply) => await reply.redirect(`/personale/beskeder${search(request.url)}`, 301))
  fastify.get<{ Params: { id: string } }>('/personale/e-mails/:id', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return reply.callNotFound()
    return await reply.redirect(`/personale/beskeder/${id}${search(request.url)}`, 301)
  })
  fastify.get<{ Params: { id: string } }>('/personale/e-mails/:id/html', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return reply.callNotFound()
    return await reply.redirect(`/personale/beskeder/${id}/html`, 301)
  })
  fastify.post<{ Params: { id: string } }>('/personale/e-mails/:id/send-igen', leader, resend)
}

export default mailRoutes
