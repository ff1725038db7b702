import type { Db } from '../db/connection.ts'
import { type Actor, actingStaffId } from '../domain/actor.ts'
import type { LocationInput, PartnerInput } from '../domain/place-forms.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { listClassIdsAtLocationNotEnded, raiseCalendarSequence } from '../repositories/class-repository.ts'
import { findLocation, insertLocation, updateLocation } from '../repositories/location-repository.ts'
import { insertPartner, updatePartner } from '../repositories/partner-repository.ts'

const locationRow = (input: LocationInput) => ({
  name: input.name,
  kind: input.kind,
  street: input.street,
  postal_code: input.postalCode,
  city: input.city,
  room: input.room,
  access_note: input.accessNote,
  step_free: input.stepFree ? 1 : 0,
  hearing_loop: input.hearingLoop ? 1 : 0
})

/** What a calendar event's LOCATION is made of. */
const placeText = (l: Pick<ReturnType<typeof locationRow>, 'name' | 'room' | 'street' | 'postal_code' | 'city'>) =>
  [l.name, l.room, l.street, l.postal_code, l.city].join('|')

/** Places and partners: each change in one transaction with its audit entry. */
export async function createLocation (db: Db, actor: Actor, input: LocationInput, now: Date = new Date()): Promise<number> {
  const staffId = actingStaffId(actor)
  return await db.transaction().execute(async tx => {
    const id = await insertLocation(tx, { ...locationRow(input), created_at: now.toISOString() })
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffId, action: 'location_created', subject_type: 'location', subject_id: id, detail: null })
    return id
  })
}

export async function editLocation (db: Db, actor: Actor, id: number, input: LocationInput, now: Date = new Date()): Promise<boolean> {
  const staffId = actingStaffId(actor)
  return await db.transaction().execute(async tx => {
    const before = await findLocation(tx, id)
    if (!before || !await updateLocation(tx, id, locationRow(input))) return false
    // The place in its classes' calendar events changed: they need a higher SEQUENCE.
    if (placeText(before) !== placeText(locationRow(input))) {
      await raiseCalendarSequence(tx, await listClassIdsAtLocationNotEnded(tx, id, now.toISOString()), now.toISOString())
    }
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffId, action: 'location_updated', subject_type: 'location', subject_id: id, detail: null })
    return true
  })
}

export async function archiveLocation (db: Db, actor: Actor, id: number, archived: boolean, now: Date = new Date()): Promise<boolean> {
  const staffId = actingStaffId(actor)
  return await db.transaction().execute(async tx => {
    if (!await updateLocation(tx, id, { archived_at: archived ? now.toISOString() : null })) return false
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffId, action: archived ? 'location_archived' : 'location_restored', subject_type: 'location', subject_id: id, detail: null })
    return true
  })
}

export async function createPartner (db: Db, actor: Actor, input: PartnerInput, now: Date = new Date()): Promise<number> {
  const staffId = actingStaffId(actor)
  return await db.transaction().execute(async tx => {
    const id = await insertPartner(tx, { ...input, created_at: now.toISOString() })
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffId, action: 'partner_created', subject_type: 'partner', subject_id: id, detail: null })
    return id
  })
}

export async function editPartner (db: Db, actor: Actor, id: number, input: PartnerInput, now: Date = new Date()): Promise<boolean> {
  const staffId = actingStaffId(actor)
  return await db.transaction().execute(async tx => {
    if (!await updatePartner(tx, id, input)) return false
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffId, action: 'partner_updated', subject_type: 'partner', subject_id: id, detail: null })
    return true
  })
}

export async function archivePartner (db: Db, actor: Actor, id: number, archived: boolean, now: Date = new Date()): Promise<boolean> {
  const staffId = actingStaffId(actor)
  return await db.transaction().execute(async tx => {
    if (!await updatePartner(tx, id, { archived_at: archived ? now.toISOString() : null })) return false
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffId, action: archived ? 'partner_archived' : 'partner_restored', subject_type: 'partner', subject_id: id, detail: null })
    return true
  })
}
