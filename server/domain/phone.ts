/**
 * Phone numbers as people type them: "12 34 56 78", "+45 12345678", "0045 1234 5678",
 * "(+45) 12-34-56-78". Danish numbers have eight digits. Foreign numbers must start
 * with + or 00 and the country code. Stored as E.164: "+4512345678".
 */
export type PhoneResult = { ok: true, e164: string } | { ok: false, reason: 'empty' | 'invalid' }

export function normalizePhone (input: string): PhoneResult {
  const trimmed = input.trim()
  if (trimmed === '') return { ok: false, reason: 'empty' }
  if (!/^[\d\s+()./-]+$/.test(trimmed)) return { ok: false, reason: 'invalid' }
  let compact = trimmed.replace(/[\s()./-]/g, '')
  if (compact.startsWith('00')) compact = '+' + compact.slice(2)
  if (/^\d{8}$/.test(compact)) return { ok: true, e164: '+45' + compact }
  if (/^\+45\d{8}$/.test(compact)) return { ok: true, e164: compact }
  if (compact.startsWith('+45')) return { ok: false, reason: 'invalid' }
  if (/^\+[1-9]\d{6,14}$/.test(compact)) return { ok: true, e164: compact }
  return { ok: false, reason: 'invalid' }
}

/** "+4512345678" → "12 34 56 78"; foreign numbers are shown as stored. */
export function formatPhone (e164: string): string {
  const m = /^\+45(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(e164)
  return m ? `${m[1]} ${m[2]} ${m[3]} ${m[4]}` : e164
}
