import { describe, expect, it } from 'vitest'
import { MAX_BATCH, SyncBody, parseFormAction, parseSyncAction } from '../../server/routes/checkin/door-actions.ts'
import { Value } from '@sinclair/typebox/value'

const KEY = 'door-key-0001'
const newKey = () => 'fresh-key-0001'

describe("the door's one action parser", () => {
  it('reads a form post and a tablet action alike', () => {
    const pairs: Array<[form: Record<string, string>, json: Record<string, unknown>]> = [
      [{ key: KEY, type: 'in', booking_id: '12' }, { key: KEY, type: 'in', bookingId: 12 }],
      [{ key: KEY, type: 'out', booking_id: '12' }, { key: KEY, type: 'out', bookingId: '12' }],
      [{ key: KEY, type: 'code', code: 'k7m 4px' }, { key: KEY, type: 'code', code: 'k7m 4px' }],
      [{ key: KEY, type: 'walkin', name: 'Ali Hassan', phone: '', email: '', overfill: '1' }, { key: KEY, type: 'walkin', person: { name: 'Ali Hassan' }, overfill: true }]
    ]
    for (const [form, json] of pairs) {
      const fromForm = parseFormAction(form, newKey)
      expect(fromForm.ok, JSON.stringify(form)).toBe(true)
      expect(parseSyncAction(json)).toEqual({ key: KEY, ...fromForm })
    }
    expect(parseFormAction({ key: KEY, type: 'code', code: 'K7M4PX' }, newKey)).toEqual({ ok: true, action: { key: KEY, type: 'code', code: 'K7M4PX' } })
  })

  it('gives a form without a usable key a fresh one, and refuses a tablet action without one', () => {
    expect(parseFormAction({ key: 'short', type: 'in', booking_id: '1' }, newKey)).toMatchObject({ ok: true, action: { key: 'fresh-key-0001' } })
    expect(parseSyncAction({ key: 'short', type: 'in', bookingId: 1 })).toMatchObject({ key: null, ok: false, error: 'bad_key' })
    expect(parseSyncAction('nonsense')).toMatchObject({ key: null, ok: false, error: 'bad_key' })
  })

  it('says what is wrong with a code, a walk-in or an action', () => {
    expect(parseFormAction({ key: KEY, type: 'code', code: 'K7M' }, newKey)).toMatchObject({ ok: false, error: 'bad_code', message: expect.stringContaining('6 tegn') })
    expect(parseSyncAction({ key: KEY, type: 'code', code: 'K7M 0OO' })).toMatchObject({ key: KEY, ok: false, error: 'code_not_found' })
    const walkIn = parseFormAction({ key: KEY, type: 'walkin', name: '' }, newKey)
    expect(walkIn).toMatchObject({ ok: false, error: 'invalid', errors: { name: expect.any(String) } })
    expect(parseSyncAction({ key: KEY, type: 'walkin', person: { name: '' } })).toMatchObject({ ok: false, error: 'invalid' })
    expect(parseFormAction({ key: KEY, type: 'in', booking_id: 'abc' }, newKey)).toMatchObject({ ok: false, error: 'bad_action' })
    expect(parseFormAction({ key: KEY, type: 'dance', booking_id: '1' }, newKey)).toMatchObject({ ok: false, error: 'bad_action' })
    expect(parseSyncAction({ key: KEY, type: 'in', bookingId: 1.5 })).toMatchObject({ key: KEY, ok: false, error: 'bad_action' })
    expect(parseSyncAction({ key: KEY, type: 'walkin', person: null })).toMatchObject({ key: KEY, ok: false, error: 'bad_action' })
  })

  it('takes a sync body of at most MAX_BATCH actions', () => {
    expect(Value.Check(SyncBody, { _csrf: 'x', actions: [] })).toBe(true)
    expect(Value.Check(SyncBody, { actions: Array.from({ length: MAX_BATCH }, () => ({})) })).toBe(true)
    expect(Value.Check(SyncBody, { actions: Array.from({ length: MAX_BATCH + 1 }, () => ({})) })).toBe(false)
    expect(Value.Check(SyncBody, { actions: 'nonsense' })).toBe(false)
    expect(Value.Check(SyncBody, undefined)).toBe(false)
  })
})
