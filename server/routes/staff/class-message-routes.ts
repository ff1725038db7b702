import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import {
  AUDIENCES, CLASS_MESSAGE_MAX, type ClassMessageErrors, type ClassMessageInput, type ClassMessageValues,
  charactersLeft, isMessageKey, newMessageKey, readClassMessageForm, validateClassMessage
} from '../../domain/class-message.ts'
import type { Actor } from '../../domain/actor.ts'
import { DomainError } from '../../domain/errors.ts'
import { STALE_FORM } from '../../domain/error-messages.ts'
import { toGsm7 } from '../../domain/sms.ts'
import { subjectOf } from '../../mail/messages.ts'
import { renderSms } from '../../mail/sms-text.ts'
import { findClassSummary } from '../../repositories/class-repository.ts'
import { previewClassMessage, sendClassMessage } from '../../services/class-message-service.ts'
import { toCard } from '../../services/class-query-service.ts'
import { parseId } from '../params.ts'

const CANCELLED = 'Holdet er aflyst, så der kan ikke sendes en besked til det.'
const NOBODY = 'Der er ingen at sende beskeden til. Vælg »Også ventelisten«, hvis der er nogen på ventelisten.'

/**
 * "Skriv til holdet": a leader writes a short message, sees it as the text will look and
 * how many get it by e-mail, by text and by phone, and sends it. The preview page is the
 * confirmation; the form carries a one-time key, so a second click sends nothing more.
 */
const classMessageRoutes: FastifyPluginAsync = async (fastify) => {
  const leader = { config: { role: 'leader' } } as const

  async function loadClass (idParam: string) {
    const id = parseId(idParam)
    const summary = id === undefined ? undefined : await findClassSummary(fastify.db, id)
    return summary ? toCard(summary, new Date()) : undefined
  }
  type Card = NonNullable<Awaited<ReturnType<typeof loadClass>>>

  async function renderForm (reply: FastifyReply, cls: Card, values: ClassMessageValues, errors: ClassMessageErrors = {}, status = 200, formMessage?: string) {
    reply.code(status)
    return await reply.viewAsync('staff/class-message', {
      title: 'Skriv til holdet',
      cls,
      values,
      errors,
      formMessage: formMessage ?? (cls.cancelledAt !== null ? CANCELLED : undefined),
      max: CLASS_MESSAGE_MAX,
      left: charactersLeft(values.text),
      audiences: Object.entries(AUDIENCES),
      csrfToken: reply.generateCsrf()
    })
  }

  async function renderPreview (reply: FastifyReply, actor: Actor, cls: Card, values: ClassMessageValues, input: ClassMessageInput, status = 200, formMessage?: string) {
    const { reach, message } = await previewClassMessage(fastify.db, actor, cls.id, input)
    const now = new Date()
    const sms = renderSms(message, { now, publicUrl: fastify.config.publicUrl, contactPhone: fastify.config.contactPhone, includeLink: fastify.config.sms.includeLink })
    reply.code(status)
    return await reply.viewAsync('staff/class-message-preview', {
      title: 'Se beskeden, før du sender den',
      cls,
      values,
      input,
      reach,
      sms,
      smsReplaced: toGsm7(input.text) !== input.text,
      subject: subjectOf(message, now),
      smsKept: fastify.config.sms.provider === 'none',
      audienceLabel: input.includeWaitlist ? 'Dem med plads og dem på ventelisten' : 'Kun dem med plads',
      formMessage: formMessage ?? (reach.bookings === 0 ? NOBODY : undefined),
      csrfToken: reply.generateCsrf()
    })
  }

  fastify.get<{ Params: { id: string } }>('/personale/hold/:id/besked', leader, async (request, reply) => {
    const cls = await loadClass(request.params.id)
    if (!cls) return reply.callNotFound()
    return await renderForm(reply, cls, { text: '', hvem: 'alle', noegle: newMessageKey() })
  })

  // "Se forhåndsvisning", and "Ret beskeden" from the preview (ret=1: the form again, as it was).
  fastify.post<{ Params: { id: string } }>('/personale/hold/:id/besked', leader, async (request, reply) => {
    const cls = await loadClass(request.params.id)
    if (!cls) return reply.callNotFound()
    const read = readClassMessageForm(request.body)
    const values = { ...read, noegle: isMessageKey(read.noegle) ? read.noegle : newMessageKey() }
    if (!fastify.checkCsrf(request)) return await renderForm(reply, cls, values, {}, 403, STALE_FORM.message)
    if (cls.cancelledAt !== null) return await renderForm(reply, cls, values, {}, 409)
    if ((request.body as Record<string, unknown> | undefined)?.ret === '1') return await renderForm(reply, cls, values)
    const result = validateClassMessage(values)
    if (!result.ok) return await renderForm(reply, cls, values, result.errors, 400)
    return await renderPreview(reply, request.actor, cls, values, result.input)
  })

  fastify.post<{ Params: { id: string } }>('/personale/hold/:id/besked/send', leader, async (request, reply) => {
    const cls = await loadClass(request.params.id)
    if (!cls) return reply.callNotFound()
    const values = readClassMessageForm(request.body)
    if (!fastify.checkCsrf(request)) return await renderForm(reply, cls, { ...values, noegle: isMessageKey(values.noegle) ? values.noegle : newMessageKey() }, {}, 403, STALE_FORM.message)
    const result = validateClassMessage(values)
    if (!result.ok) return await renderForm(reply, cls, { ...values, noegle: isMessageKey(values.noegle) ? values.noegle : newMessageKey() }, result.errors, 400)
    // A form without our key (forged, or cut short) is shown again with one, to be sent on purpose.
    if (!isMessageKey(values.noegle)) {
      const noegle = newMessageKey()
      return await renderPreview(reply, request.actor, cls, { ...values, noegle }, { ...result.input, key: noegle }, 400, 'Se beskeden igen, og tryk på »Send beskeden«.')
    }
    try {
      const sent = await sendClassMessage(fastify.db, request.actor, cls.id, result.input)
      if (sent.bookings === 0) return await renderPreview(reply, request.actor, cls, values, result.input, 409)
      const receipt = `${sent.emails}-${sent.texts}-${sent.calls}${sent.alreadySent ? '-igen' : ''}`
      return await reply.redirect(`/personale/hold/${cls.id}?besked=${receipt}`, 303)
    } catch (error) {
      if (error instanceof DomainError && error.code === 'class_cancelled') return await renderForm(reply, cls, values, {}, 409)
      throw error
    }
  })
}

export default classMessageRoutes
