import type { Db } from '../db/connection.ts'
import type { MilestoneRuleRow, MilestoneScopeKind } from '../db/schema.ts'
import { TOPICS, topicLabel } from '../domain/catalogue-vocabulary.ts'
import { type ScopeNames, nextMilestone, ruleLabel, scopeLabel } from '../domain/milestones.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { countAllScopes, countAttendances } from '../repositories/attendance-repository.ts'
import { listAllLocations } from '../repositories/location-repository.ts'
import { type MilestoneEntry, deleteMilestoneRule, insertMilestoneRule, listMilestoneRules, listMilestones } from '../repositories/milestone-repository.ts'
import { type Actor, actingStaffId } from '../domain/actor.ts'

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
