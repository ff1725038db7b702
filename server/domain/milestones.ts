import type { MilestoneRuleRow } from '../db/schema.ts'

/**
 * Milestones count unique participants: a participant counts once in a scope, at their
 * first attended meeting there. Scopes are 'all', 'location:<id>' and 'topic:<topic>'.
 */
export type Scope = string

export type MilestoneRule = Pick<MilestoneRuleRow, 'scope_kind' | 'location_id' | 'topic' | 'mode' | 'number'>

/** The scopes one attendance counts in, sorted so that locks are always taken in one order. */
export function scopesOf (locationId: number, topic: string): Scope[] {
  return ['all', `location:${locationId}`, `topic:${topic}`].sort()
}

/** Whether a rule looks at this scope at all. */
export function ruleCovers (rule: MilestoneRule, scope: Scope): boolean {
  if (rule.scope_kind === 'all') return scope === 'all'
  if (rule.scope_kind === 'location') return rule.location_id === null ? scope.startsWith('location:') : scope === `location:${rule.location_id}`
  return rule.topic === null ? scope.startsWith('topic:') : scope === `topic:${rule.topic}`
}

/** True when the participant numbered `number` in `scope` is a milestone under any rule. */
export function isMilestone (rules: MilestoneRule[], scope: Scope, number: number): boolean {
  return rules.some(r => ruleCovers(r, scope) && r.number > 0 && (r.mode === 'every' ? number % r.number === 0 : number === r.number))
}

/** The next milestone number above `count` under one rule, or null when none is left. */
export function nextMilestone (rule: MilestoneRule, count: number): number | null {
  if (rule.number <= 0) return null
  if (rule.mode === 'once') return count < rule.number ? rule.number : null
  return (Math.floor(count / rule.number) + 1) * rule.number
}

export interface ScopeNames {
  locations: Map<number, string>
  topicLabel: (topic: string) => string
}

/** "i alt", "på Hovedbiblioteket", "i emnet MitID" – for sentences about a scope. */
export function scopeLabel (scope: Scope, names: ScopeNames): string {
  if (scope === 'all') return 'i alt'
  if (scope.startsWith('location:')) return `på ${names.locations.get(Number(scope.slice(9))) ?? 'et sted, der ikke findes mere'}`
  return `i emnet ${names.topicLabel(scope.slice(6))}`
}

/** A rule in words: "Hver 1.000. deltager i alt", "Deltager nr. 3.000 på hvert sted". */
export function ruleLabel (rule: MilestoneRule, names: ScopeNames): string {
  const where = rule.scope_kind === 'all'
    ? 'i alt'
    : rule.scope_kind === 'location'
      ? (rule.location_id === null ? 'på hvert sted' : scopeLabel(`location:${rule.location_id}`, names))
      : (rule.topic === null ? 'i hvert emne' : scopeLabel(`topic:${rule.topic}`, names))
  const n = rule.number.toLocaleString('da-DK')
  return rule.mode === 'every' ? `Hver ${n}. deltager ${where}` : `Deltager nr. ${n} ${where}`
}
