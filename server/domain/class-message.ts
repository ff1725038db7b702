import { randomBytes } from 'node:crypto'
import { gsm7Length, toGsm7 } from './sms.ts'
import { cleanText } from './text.ts'

/**
 * "Skriv til holdet": a short message from a leader to everyone on a class ("Lokalet er
 * flyttet til 2. sal"), sent as an e-mail and as a text. It must fit in one text after
 * the course title, so it is counted as the phone network counts it (GSM-7).
 */

/** Characters a message may have, counted in GSM-7 (€ and [ ] { } count two). */
export const CLASS_MESSAGE_MAX = 120

/** Who gets it: those with a seat, or the waiting list too. */
export const AUDIENCES = { plads: 'Kun dem med plads', alle: 'Også ventelisten' } as const
export type Audience = keyof typeof AUDIENCES

export interface ClassMessageValues {
  text: string
  hvem: string
  /** The form's one-time key: sending the same form twice sends once. */
  noegle: string
}

export interface ClassMessageInput {
  text: string
  includeWaitlist: boolean
  key: string
}

export type ClassMessageErrors = Partial<Record<'text' | 'hvem', string>>

const KEY = /^[A-Za-z0-9_-]{16,64}$/

const field = (body: Record<string, unknown>, key: string): string => {
  const value = body[key]
  return typeof value === 'string' ? value : ''
}

export function readClassMessageForm (body: unknown): ClassMessageValues {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  return { text: field(b, 'text'), hvem: field(b, 'hvem'), noegle: field(b, 'noegle') }
}

/** The message as it is sent: one line, spacing collapsed, invisible characters gone. */
export function cleanMessage (text: string): string {
  return cleanText(text).replace(/\s+/g, ' ').trim()
}

/** Its length as a text counts it. */
export function messageLength (text: string): number {
  return gsm7Length(toGsm7(cleanMessage(text)))
}

/** "Du har 86 tegn tilbage." or "Beskeden er 12 tegn for lang." */
export function charactersLeft (text: string): string {
  const left = CLASS_MESSAGE_MAX - messageLength(text)
  if (left >= 0) return `Du har ${left} tegn tilbage.`
  return `Beskeden er ${-left} tegn for lang.`
}

/** True when a key was made by us (or looks like one): anything else gets a new one. */
export function isMessageKey (value: string): boolean {
  return KEY.test(value)
}

export function validateClassMessage (v: ClassMessageValues): { ok: true, input: ClassMessageInput } | { ok: false, errors: ClassMessageErrors } {
  const errors: ClassMessageErrors = {}
  const text = cleanMessage(v.text)
  const length = gsm7Length(toGsm7(text))
  if (text === '') errors.text = 'Skriv beskeden.'
  else if (length > CLASS_MESSAGE_MAX) errors.text = `Beskeden må højst være ${CLASS_MESSAGE_MAX} tegn, så den kan stå i én sms. Den er ${length} tegn. Gør den ${length - CLASS_MESSAGE_MAX} tegn kortere.`
  if (!Object.hasOwn(AUDIENCES, v.hvem)) errors.hvem = 'Vælg, hvem beskeden skal sendes til.'
  if (errors.text || errors.hvem) return { ok: false, errors }
  return { ok: true, input: { text, includeWaitlist: v.hvem === 'alle', key: v.noegle } }
}

/** A fresh one-time key for a message form. */
export function newMessageKey (): string {
  return randomBytes(16).toString('base64url')
}
