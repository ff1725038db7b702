import { describe, expect, it } from 'vitest'
import { planMeetings } from '../../server/domain/class-form.ts'

const existing = [
  { id: 1, starts_at: '2030-05-06T08:00:00.000Z' },
  { id: 2, starts_at: '2030-05-13T08:00:00.000Z' },
  { id: 3, starts_at: '2030-05-20T08:00:00.000Z' }
]
const at = (day: string) => ({ startsAt: `2030-05-${day}T08:00:00.000Z`, endsAt: `2030-05-${day}T10:00:00.000Z` })

describe('planMeetings', () => {
  it('matches by id, never by position', () => {
    expect(planMeetings(existing, [{ id: 2, ...at('13') }, { id: 3, ...at('20') }])).toEqual({ keep: [{ id: 2, ...at('13') }, { id: 3, ...at('20') }], add: [], remove: [1], unknown: [] })
    expect(planMeetings(existing, [{ id: 1, ...at('27') }, { id: 2, ...at('13') }, { id: 3, ...at('20') }]).keep.find(m => m.id === 1)).toEqual({ id: 1, ...at('27') })
  })

  it('takes a meeting without an id that starts when an unnamed one does as that one; the rest are new', () => {
    expect(planMeetings(existing, [at('13'), { id: 3, ...at('06') }, at('06'), at('27')])).toEqual({
      keep: [{ id: 3, ...at('06') }, { id: 2, ...at('13') }, { id: 1, ...at('06') }],
      add: [at('27')],
      remove: [],
      unknown: []
    })
  })

  it('names ids that are not the class\'s meetings', () => {
    expect(planMeetings(existing, [{ id: 99, ...at('06') }]).unknown).toEqual([99])
    expect(planMeetings(existing, [{ id: 99, ...at('06') }]).remove).toEqual([1, 2, 3])
  })
})
