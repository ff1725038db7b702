import type { StaffRole } from '../db/schema.ts'

export const ROLES: Record<StaffRole, string> = {
  admin: 'Administrator',
  leader: 'Projektleder',
  volunteer: 'Frivillig'
}

const RANK: Record<StaffRole, number> = { volunteer: 1, leader: 2, admin: 3 }

export const isRole = (value: unknown): value is StaffRole => typeof value === 'string' && Object.hasOwn(RANK, value)

/** Admins may do what leaders may; leaders what volunteers may. */
export function hasRole (role: StaffRole, minimum: StaffRole): boolean {
  return RANK[role] >= RANK[minimum]
}

export const PASSWORD_MIN_LENGTH = 12

/** Failed sign-ins to one account (from any address) before it pauses until the window ends. */
export const SIGN_IN_FAILURES_PER_ACCOUNT = 10
export const SIGN_IN_WINDOW_MINUTES = 15

/** The form of an e-mail address that sign-in looks up and counts failures under. */
export const normalizeStaffEmail = (email: string): string => email.normalize('NFC').trim().toLowerCase()

export interface StaffUserInput { email: string, name: string, role: StaffRole, password: string }
export type StaffUserErrors = Partial<Record<'email' | 'name' | 'role' | 'password', string>>

/** Validates a new staff user; messages in Danish, one per field. */
export function validateStaffUser (input: { email: string, name: string, role: string, password: string }): { ok: true, value: StaffUserInput } | { ok: false, errors: StaffUserErrors } {
  const errors: StaffUserErrors = {}
  const email = input.email.trim().toLowerCase()
  const name = input.name.normalize('NFC').replace(/\s+/g, ' ').trim()
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/.test(email) || email.length > 254) errors.email = 'Skriv en gyldig e-mailadresse, fx navn@bibliotek.dk.'
  if (name === '') errors.name = 'Skriv et navn.'
  else if (name.length > 100) errors.name = 'Navnet er for langt. Skriv højst 100 tegn.'
  if (!isRole(input.role)) errors.role = 'Vælg en rolle: administrator, projektleder eller frivillig.'
  if (input.password.length < PASSWORD_MIN_LENGTH) errors.password = `Adgangskoden skal have mindst ${PASSWORD_MIN_LENGTH} tegn.`
  else if (input.password.length > 200) errors.password = 'Adgangskoden må højst have 200 tegn.'
  if (Object.keys(errors).length > 0) return { ok: false, errors }
  return { ok: true, value: { email, name, role: input.role as StaffRole, password: input.password } }
}
