import type { Db, Tx } from '../db/connection.ts'
import type { AttendanceRow, MilestoneRuleRow, MilestoneScopeKind } from '../db/schema.ts'
import { type Actor, actingStaffId } from '../domain/actor.ts'
import { TOPICS, topicLabel } from '../domain/catalogue-vocabulary.ts'
import { type ScopeNames, isMilestone, nextMilestone, ruleCovers, ruleLabel, scopeLabel, scopesOf } from '../domain/milestones.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import {
  type MeetingContext, countAllScopes, countAttendances, countInScope, deleteFirstInScope, findFirstAttendanceInScope, findFirstInScope,
  findNthInScope, insertFirstsInScopes, lockScopes, moveFirstInScope
} from '../repositories/attendance-repository.ts'
import type { BookingWithPerson } from '../repositories/booking-repository.ts'
import { listAllLocations } from '../repositories/location-repository.ts'
import {
  type MilestoneEntry, deleteMilestoneRule, deleteMilestonesOfAttendance, insertMilestone, insertMilestoneRule, listMilestoneRules, listMilestones,
  moveMilestonesToAttendance
} from '../repositories/milestone-repository.ts'
import { notifyMilestoneReached, notifyMilestoneUndone } from './notification-service.ts'

export interface Progress { scope: string, label: string, count: number, next: number | null, toGo: number | null }

export interface RuleProgress { rule: MilestoneRuleRow, label: string, progress: Progress[] }

export interface MilestonesPage {
  uniqueParticipants: number
  attendances: number
  rules: RuleProgress[]
  history: Array<MilestoneEntry & { scopeLabel: string }>
}

/** Progress toward each rule's next milestone, per scope it covers, and who reached the past ones. */
export async function getMilestonesPage (db: Db): Promise<MilestonesPage> {
  const [rules, counts, attendances, locations, history] = await Promise.all([
    listMilestoneRules(db), countAllScopes(db), countAttendances(db), listAllLocations(db), listMilestones(db)
  ])
  const names: ScopeNames = { locations: new Map(locations.map(l => [l.id, l.name])), topicLabel }
  const scopesFor = (rule: MilestoneRuleRow): string[] => {
    if (rule.scope_kind === 'all') return ['all']
    if (rule.scope_kind === 'location') return rule.location_id !== null ? [`location:${rule.location_id}`] : locations.filter(l => l.archived_at === null || counts.has(`location:${l.id}`)).map(l => `location:${l.id}`)
    return rule.topic !== null ? [`topic:${rule.topic}`] : Object.keys(TOPICS).map(t => `topic:${t}`)
  }
  return {
    uniqueParticipants: counts.get('all') ?? 0,
    attendances,
    rules: rules.map(rule => ({
      rule,
      label: ruleLabel(rule, names),
      progress: scopesFor(rule).map(scope => {
        const count = counts.get(scope) ?? 0
        const next = nextMilestone(rule, count)
        return { scope, label: scopeLabel(scope, names), count, next, toGo: next === null ? null : next - count }
      })
    })),
    history: history.map(h => ({ ...h, scopeLabel: scopeLabel(h.scope, names) }))
  }
}

export interface RuleInput { scopeKind: MilestoneScopeKind, locationId: number | null, topic: string | null, mode: 'every' | 'once', number: number }

export async function addMilestoneRule (db: Db, actor: Actor, input: RuleInput, now: Date = new Date()): Promise<number> {
  const staffId = actingStaffId(actor)
  return await db.transaction().execute(async tx => {
    const id = await insertMilestoneRule(tx, { scope_kind: input.scopeKind, location_id: input.locationId, topic: input.topic, mode: input.mode, number: input.number, created_by: staffId, created_at: now.toISOString() })
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffId, action: 'milestone_rule_added', subject_type: 'milestone_rule', subject_id: id, detail: `${input.scopeKind} ${input.mode} ${input.number}` })
    return id
  })
}

export async function removeMilestoneRule (db: Db, actor: Actor, id: number, now: Date = new Date()): Promise<void> {
  const staffId = actingStaffId(actor)
  await db.transaction().execute(async tx => {
    if (await deleteMilestoneRule(tx, id)) {
      await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffId, action: 'milestone_rule_removed', subject_type: 'milestone_rule', subject_id: id, detail: null })
    }
  })
}

export interface MilestoneHit { id: number, number: number, scope: string, scopeLabel: string }

/**
 * A milestone that left a participant when their check-in was taken back, and who holds
 * the number now: the participant counted at that place since, or nobody yet. A holder on
 * another class is named only by class (the door sees the names of its own class only).
 */
export interface MilestoneMove {
  number: number
  scope: string
  scopeLabel: string
  holder: { bookingId: number, name: string | null, here: boolean, courseTitle: string, locationName: string } | null
}

type Counted = Pick<BookingWithPerson, 'id' | 'participant_id' | 'name'>

const namesAt = (ctx: MeetingContext): ScopeNames => ({ locations: new Map([[ctx.locationId, ctx.locationName]]), topicLabel })

/**
 * Locks every scope a meeting counts in, always in the same order. Taken before any
 * attendance row is touched, so a check-in and an undo or a correction can never wait
 * for each other in a circle, and exactly one person gets each number.
 */
export async function lockMilestoneScopes (tx: Tx, ctx: MeetingContext, now: Date): Promise<void> {
  await lockScopes(tx, scopesOf(ctx.locationId, ctx.topic), now.toISOString())
}

/**
 * Counts a new attendance in every scope where it is the participant's first. A number a
 * rule celebrates is recorded (once: the number is unique per scope) and the leaders are
 * told in the same transaction. Call with the scopes locked (lockMilestoneScopes); the
 * rules may be read before them.
 */
export async function countFirstAttendance (tx: Tx, ctx: MeetingContext, booking: Counted, attendanceId: number, rules: MilestoneRuleRow[], now: Date): Promise<MilestoneHit[]> {
  const at = now.toISOString()
  const names = namesAt(ctx)
  const milestones: MilestoneHit[] = []
  const scopes = scopesOf(ctx.locationId, ctx.topic)
  const counted = new Set(await insertFirstsInScopes(tx, scopes, booking.participant_id, attendanceId, at))
  for (const scope of scopes) {
    if (!counted.has(scope)) continue
    if (!rules.some(r => ruleCovers(r, scope))) continue
    const number = await countInScope(tx, scope)
    if (!isMilestone(rules, scope, number)) continue
    const reached = await insertMilestone(tx, { scope, number, participant_id: booking.participant_id, attendance_id: attendanceId, booking_id: booking.id, meeting_id: ctx.meeting.id, reached_at: at })
    if (!reached) continue
    const label = scopeLabel(scope, names)
    milestones.push({ id: reached.id, number, scope, scopeLabel: label })
    await notifyMilestoneReached(tx, { number, scopeLabel: label, participantName: booking.name, courseTitle: ctx.courseTitle, locationName: ctx.locationName, bookingId: booking.id, classId: ctx.classId }, now)
  }
  return milestones
}

/**
 * Uncounts an attendance that was taken back. Where it was the participant's first in a
 * scope, their next one takes its place, or, with none left, they no longer count there.
 * A milestone they held there is released and the leaders are told; when others have
 * been counted since, the number goes at once to whoever now holds that place in the
 * order of first attendances, so no milestone is ever skipped. Returns what moved, so
 * the door can say who gets the flowers now. Call with the scopes locked.
 */
export async function uncountAttendance (tx: Tx, ctx: MeetingContext, booking: Counted, removed: AttendanceRow, now: Date): Promise<MilestoneMove[]> {
  const at = now.toISOString()
  const moved: MilestoneMove[] = []
  const names = namesAt(ctx)
  for (const scope of scopesOf(ctx.locationId, ctx.topic)) {
    const first = await findFirstInScope(tx, scope, removed.participant_id)
    if (first?.attendance_id !== removed.id) continue
    const next = await findFirstAttendanceInScope(tx, removed.participant_id, scope)
    if (next) {
      await moveFirstInScope(tx, scope, removed.participant_id, next.id, next.checked_in_at)
      await moveMilestonesToAttendance(tx, removed.id, next.id, scope)
      continue
    }
    await deleteFirstInScope(tx, scope, removed.participant_id)
    for (const m of await deleteMilestonesOfAttendance(tx, removed.id, scope)) {
      const label = scopeLabel(scope, names)
      await notifyMilestoneUndone(tx, { number: m.number, scope, scopeLabel: label, participantName: booking.name, bookingId: booking.id, classId: ctx.classId }, now)
      const holder = await findNthInScope(tx, scope, m.number)
      const here = holder?.classId === ctx.classId
      moved.push({ number: m.number, scope, scopeLabel: label, holder: holder ? { bookingId: holder.bookingId, name: here ? holder.name : null, here, courseTitle: holder.courseTitle, locationName: holder.locationName } : null })
      if (!holder) continue
      const reached = await insertMilestone(tx, { scope, number: m.number, participant_id: holder.participantId, attendance_id: holder.attendanceId, booking_id: holder.bookingId, meeting_id: holder.meetingId, reached_at: at })
      if (reached) await notifyMilestoneReached(tx, { number: m.number, scopeLabel: label, participantName: holder.name, courseTitle: holder.courseTitle, locationName: holder.locationName, bookingId: holder.bookingId, classId: holder.classId }, now)
    }
  }
  return moved
}
