import { createHash } from 'node:crypto'
import type { onSendHookHandler } from 'fastify'
import { type ConfigData, HtmlValidate } from 'html-validate'

/**
 * html-validate over every page the tests render. buildTestApp records each text/html
 * response; the shared setup file (tests/setup/validate-html.ts) validates them after
 * each test file, so a page a route test shows cannot carry invalid HTML unnoticed.
 */
export const HTML_VALIDATE_CONFIG: ConfigData = {
  extends: ['html-validate:recommended'],
  rules: {
    // Stylistic only: <!doctype html> is as valid as <!DOCTYPE html>.
    'doctype-style': 'off',
    // Stylistic only: whether void elements end in "/>" does not change how a parser reads them.
    'void-style': 'off',
    // SEO advice, not validity: titles carry the course title and the organisation's name,
    // both set by admins, so they cannot be kept under 70 characters.
    'long-title': 'off',
    // Checkbox groups (locations, learning goals, attendance) share one name on purpose;
    // the server reads them as lists. Radios and buttons are the rule's own defaults.
    'form-dup-name': ['error', { shared: ['radio', 'checkbox', 'button', 'reset', 'submit'] }],
    // A phone link keeps its number on one line with CSS (.phone { white-space: nowrap }),
    // and its text stays "12 34 56 78" as people read it; links without the class must
    // still use non-breaking spaces.
    'tel-non-breaking': ['error', { ignoreClasses: ['phone'] }]
  }
}

/**
 * The staff preview of a sent e-mail (/personale/beskeder/:id/html) is the e-mail's own HTML:
 * mail clients need inline styles, layout tables with role="presentation" and the old table
 * attributes, so these rules do not apply to it. All other rules still do.
 */
const EMAIL_PREVIEW = /^GET \/personale\/beskeder\/:id\/html$/
const EMAIL_HTML_RULES = new Set(['no-inline-style', 'no-deprecated-attr', 'prefer-tbody', 'presentation-role-style'])

/**
 * Known violations left to fix: rule, route pattern ("METHOD /url/:param") and, where the
 * rule is otherwise kept on that page, the message. Anything not listed fails the test file.
 */
export const KNOWN_VIOLATIONS: Array<{ rule: string, route: RegExp, message?: RegExp, why: string }> = []

interface RecordedPage { url: string, route: string, html: string }

const recorded = new Map<string, RecordedPage>()

/** The onSend hook buildTestApp gives the app: keeps each distinct HTML page once. */
export const recordHtml: onSendHookHandler = async (request, reply, payload) => {
  const type = String(reply.getHeader('content-type') ?? '')
  if (!type.startsWith('text/html')) return payload
  const html = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : null
  if (html === null) return payload
  const route = `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`
  const key = `${route} ${createHash('sha256').update(html).digest('hex')}`
  if (!recorded.has(key)) recorded.set(key, { url: `${request.method} ${request.url}`, route, html })
  return payload
}

/** Validates every recorded page; returns one line per error not on the known list. */
export async function validateRecordedHtml (): Promise<string[]> {
  const validator = new HtmlValidate(HTML_VALIDATE_CONFIG)
  const problems: string[] = []
  for (const page of recorded.values()) {
    const report = await validator.validateString(page.html)
    for (const message of report.results.flatMap(r => r.messages)) {
      if (EMAIL_PREVIEW.test(page.route) && EMAIL_HTML_RULES.has(message.ruleId)) continue
      if (KNOWN_VIOLATIONS.some(k => k.rule === message.ruleId && k.route.test(page.route) && (k.message?.test(message.message) ?? true))) continue
      problems.push(`${page.url} (${page.route}) ${message.line}:${message.column} [${message.ruleId}] ${message.message}${message.selector ? ` at ${message.selector}` : ''}`)
    }
  }
  recorded.clear()
  return problems
}
