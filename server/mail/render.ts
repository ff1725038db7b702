import { resolve } from 'node:path'
import { Eta } from 'eta'
import QRCode from 'qrcode'
import { buildCalendar } from '../domain/calendar.ts'
import { type Block, type MailContext, type MailContent, composeMail } from './content.ts'
import { type MailMessage, WITH_CALENDAR } from './messages.ts'
import { viewsDir } from '../paths.ts'

/** The e-mail templates: views/emails, beside the pages' views. */
const eta = new Eta({ views: resolve(viewsDir, 'emails'), cache: true, autoEscape: true, autoTrim: [false, 'nl'] })

export interface Attachment { filename: string, contentType: string, content: string | Buffer, cid?: string }

/** The QR code image is attached inline and shown in the HTML part by this content id. */
export const QR_CID = 'checkin-qr@digikurser'

export interface RenderedMail {
  subject: string
  html: string
  text: string
  attachments: Attachment[]
  /**
   * Headers of the whole message: every one is sent by the system (RFC 3834, so
   * autoresponders stay quiet) and written in Danish; messages one can unsubscribe from
   * add the RFC 2369/8058 headers.
   */
  headers: Record<string, string>
}

function blockText (block: Block): string {
  switch (block.type) {
    case 'p': return block.text
    case 'strong': return block.text
    case 'list': return `${block.title}:\n${block.items.map(i => `  - ${i}`).join('\n')}`
    case 'button': return `${block.label}:\n${block.url}`
    case 'code': return `${block.text}`
  }
}

/** The plain-text part: the same blocks as the HTML, one paragraph each. */
export function renderText (content: MailContent, ctx: MailContext): string {
  return [
    `${content.greeting}`,
    ...content.blocks.map(blockText),
    '--',
    ...content.footer.map(blockText),
    ctx.organisationName
  ].join('\n\n') + '\n'
}

export function renderHtml (content: MailContent, ctx: MailContext): string {
  return eta.render('./layout', { content, ctx })
}

/** A message as it is sent: subject, HTML and text parts, and its calendar file. */
export async function renderMail (message: MailMessage, ctx: MailContext): Promise<RenderedMail> {
  const content = composeMail(message, ctx)
  const attachments: Attachment[] = []
  const code = content.blocks.find(b => b.type === 'code')
  if (code) {
    attachments.push({ filename: 'qr-kode.png', contentType: 'image/png', cid: QR_CID, content: await QRCode.toBuffer(code.code.replace(/\s/g, ''), { width: 240, margin: 2, errorCorrectionLevel: 'M' }) })
  }
  if ('cls' in message && WITH_CALENDAR.has(message.kind)) {
    // The part's method parameter and the file's METHOD must agree (RFC 6047 2.4).
    const cancelled = message.kind === 'class_cancelled'
    attachments.push({
      filename: 'kursus.ics',
      contentType: `text/calendar; charset=utf-8; method=${cancelled ? 'CANCEL' : 'PUBLISH'}`,
      content: buildCalendar([message.cls], {
        name: message.cls.courseTitle,
        publicUrl: ctx.publicUrl,
        booking: {
          id: message.booking.id,
          url: `${ctx.publicUrl}/tilmelding/${message.booking.token}`,
          waitlisted: message.kind === 'class_changed' && message.waitlisted === true,
          seatGivenAt: message.booking.seatGivenAt ?? null
        },
        cancelled
      })
    })
  }
  const headers: Record<string, string> = { 'Auto-Submitted': 'auto-generated', 'Content-Language': 'da' }
  if (message.kind === 'interest_signed_up' || message.kind === 'interest_new_classes') {
    headers['List-Unsubscribe'] = `<${ctx.publicUrl}/interesse/afmeld/${message.unsubscribeToken}>`
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click'
  }
  return { subject: content.subject, html: renderHtml(content, ctx), text: renderText(content, ctx), attachments, headers }
}
