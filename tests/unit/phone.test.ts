import { describe, expect, it } from 'vitest'
import { formatPhone, normalizePhone } from '../../server/domain/phone.ts'

describe('phone numbers', () => {
  it.each([
    ['12345678', '+4512345678'],
    ['12 34 56 78', '+4512345678'],
    ['+45 12 34 56 78', '+4512345678'],
    ['+4512345678', '+4512345678'],
    ['0045 1234 5678', '+4512345678'],
    ['(+45) 12-34-56-78', '+4512345678'],
    ['  2012 3456 ', '+4520123456'],
    ['+46 70 123 45 67', '+46701234567'],
    ['0049 30 1234567', '+49301234567']
  ])('reads %s as %s', (input, e164) => {
    expect(normalizePhone(input)).toEqual({ ok: true, e164 })
  })

  it.each(['1234567', '123456789', '+45 1234 567', '+45123456789', 'tolv', '12 34 56 7a', '+0 12345678', '<script>'])('rejects %s', input => {
    expect(normalizePhone(input)).toEqual({ ok: false, reason: 'invalid' })
  })

  it('treats an empty field as empty, not invalid', () => {
    expect(normalizePhone('   ')).toEqual({ ok: false, reason: 'empty' })
  })

  it('shows Danish numbers in pairs', () => {
    expect(formatPhone('+4512345678')).toBe('12 34 56 78')
    expect(formatPhone('+46701234567')).toBe('+46701234567')
  })
})
