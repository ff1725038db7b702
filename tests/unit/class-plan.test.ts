import { describe, expect, it } from 'vitest'
import { type ClassPlanContext, checkClassPlan } from '../../server/domain/class-form.ts'

const now = new Date('2030-03-01T12:00:00Z')
const context = (current: ClassPlanContext['current'] = null): ClassPlanContext => ({
  courses: new Set(['mitid-appen']),
  locations: new Map([[1, false], [2, true]]),
  partners: new Map([[7, false], [8, true]]),
  current,
  now
})
const plan = (changes: Partial<Parameters<typeof checkClassPlan>[0]> = {}) => ({
  courseSlug: 'mitid-appen',
  locationId: 1,
  partnerId: null,
  capacity: 12,
  isPublic: true,
  waitlistMode: 'auto' as const,
  note: null,
  meetings: [{ startsAt: '2030-03-05T09:00:00.000Z', endsAt: '2030-03-05T11:00:00.000Z' }],
  ...changes
})
const fields = (problems: ReturnType<typeof checkClassPlan>) => problems.map(p => p.meeting === undefined ? p.field : `${p.field}[${p.meeting}]`)

describe('the rules of a class plan, for the staff form and the API alike', () => {
  it('takes a sound plan', () => {
    expect(checkClassPlan(plan({ partnerId: 7 }), context())).toEqual([])
  })

  it('refuses an unknown course, place or partner, and seats or a note out of bounds', () => {
    expect(fields(checkClassPlan(plan({ courseSlug: 'findes-ikke', locationId: 99, partnerId: 99, capacity: 0, note: 'x'.repeat(1001) }), context())))
      .toEqual(['course', 'location', 'partner', 'capacity', 'note'])
    expect(fields(checkClassPlan(plan({ capacity: 501 }), context()))).toEqual(['capacity'])
    expect(fields(checkClassPlan(plan({ capacity: 2.5 }), context()))).toEqual(['capacity'])
  })

  it('refuses an archived place or partner, unless the class being changed already has it', () => {
    const archived = checkClassPlan(plan({ locationId: 2, partnerId: 8 }), context())
    expect(archived).toEqual([
      { field: 'location', message: 'Stedet er arkiveret. Vælg et andet sted.' },
      { field: 'partner', message: 'Partneren er arkiveret. Vælg en anden partner, eller ingen.' }
    ])
    expect(checkClassPlan(plan({ locationId: 2, partnerId: 8 }), context({ locationId: 2, partnerId: 8 }))).toEqual([])
    expect(fields(checkClassPlan(plan({ locationId: 2, partnerId: 8 }), context({ locationId: 1, partnerId: 7 })))).toEqual(['location', 'partner'])
  })

  it('names the meeting that ends before it starts, or has begun on a new class', () => {
    const meetings = [
      { startsAt: '2030-03-05T09:00:00.000Z', endsAt: '2030-03-05T11:00:00.000Z' },
      { startsAt: '2030-03-12T11:00:00.000Z', endsAt: '2030-03-12T09:00:00.000Z' },
      { startsAt: '2030-02-26T09:00:00.000Z', endsAt: '2030-02-26T11:00:00.000Z' },
      { startsAt: 'not a time', endsAt: '2030-03-19T11:00:00.000Z' }
    ]
    const problems = checkClassPlan(plan({ meetings }), context())
    expect(problems).toEqual([
      { field: 'meetings', meeting: 1, message: 'slut skal være efter start.' },
      { field: 'meetings', meeting: 2, message: 'tidspunktet er allerede passeret.' },
      { field: 'meetings', meeting: 3, message: 'slut skal være efter start.' }
    ])
    // A class being changed keeps its meetings in the past.
    expect(fields(checkClassPlan(plan({ meetings }), context({ locationId: 1, partnerId: null })))).toEqual(['meetings[1]', 'meetings[3]'])
  })

  it('refuses overlapping meetings in any order, and none or too many', () => {
    const overlapping = [
      { startsAt: '2030-03-12T09:00:00.000Z', endsAt: '2030-03-12T11:00:00.000Z' },
      { startsAt: '2030-03-05T09:00:00.000Z', endsAt: '2030-03-05T11:00:00.000Z' },
      { startsAt: '2030-03-12T10:59:00.000Z', endsAt: '2030-03-12T12:00:00.000Z' }
    ]
    expect(checkClassPlan(plan({ meetings: overlapping }), context())).toEqual([{ field: 'meetings', message: 'To mødegange overlapper hinanden.' }])
    // One ending as the next begins is no overlap.
    expect(checkClassPlan(plan({ meetings: [overlapping[0]!, { startsAt: '2030-03-12T11:00:00.000Z', endsAt: '2030-03-12T12:00:00.000Z' }] }), context())).toEqual([])
    expect(fields(checkClassPlan(plan({ meetings: [] }), context()))).toEqual(['meetings'])
    const many = Array.from({ length: 21 }, (_, i) => ({ startsAt: `2030-04-${String(i + 1).padStart(2, '0')}T09:00:00.000Z`, endsAt: `2030-04-${String(i + 1).padStart(2, '0')}T11:00:00.000Z` }))
    expect(fields(checkClassPlan(plan({ meetings: many }), context()))).toEqual(['meetings'])
  })
})
