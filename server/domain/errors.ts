export type DomainErrorCode =
  | 'class_not_found'
  | 'class_cancelled'
  | 'class_started'
  | 'class_not_public'
  | 'booking_not_found'
  | 'booking_already_cancelled'
  | 'booking_moved'
  | 'class_ended'
  | 'booking_not_waiting'
  | 'class_full'
  | 'same_class'
  | 'same_participant'
  | 'participant_not_found'
  | 'merge_conflict'
  | 'course_not_found'
  | 'meeting_not_found'
  | 'not_checkin_day'
  | 'meeting_not_started'
  | 'booking_not_on_class'
  | 'booking_cancelled'
  | 'code_not_found'
  | 'walkin_class_full'
  | 'checkin_key_reused'
  | 'participant_anonymised'
  | 'booking_limit_address'
  | 'booking_limit_class'
  | 'booking_limit_booker'
  | 'class_changed'
  | 'meeting_has_attendance'
  | 'meeting_not_on_class'
  | 'capacity_below_seats_taken'
  | 'email_taken'
  | 'setup_done'

/** What a broken rule was about, for a message that names it (ids and counts, no personal data). */
export interface DomainErrorDetails { meetingIds?: number[], seatsTaken?: number }

/** A rule was broken. Routes map the code to a Danish message; tests assert the code. */
export class DomainError extends Error {
  override name = 'DomainError'
  constructor (readonly code: DomainErrorCode, message: string = code, readonly details: DomainErrorDetails = {}) {
    super(message)
  }
}
