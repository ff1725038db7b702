import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'

/** Timestamps are UTC ISO-8601 text; booleans are 0/1; lists are JSON text. */
export interface CourseTable {
  slug: string
  title: string
  topic: string
  level: string
  duration_minutes: number
  bring_json: string
  learning_goals_json: string
  next_json: string
  description_md: string
  in_catalogue: number
  synced_at: string
}

export interface LocationTable {
  id: Generated<number>
  name: string
  kind: string
  street: string
  postal_code: string
  city: string
  room: string | null
  step_free: number
  hearing_loop: number
  access_note: string | null
  archived_at: string | null
  created_at: string
}

export interface ClassTable {
  id: Generated<number>
  course_slug: string
  location_id: number
  partner_id: ColumnType<number | null, number | null | undefined, number | null>
  capacity: number
  is_public: number
  /** 'auto': a freed seat goes to the first in line at once; 'call': staff phone the list. */
  waitlist_mode: ColumnType<WaitlistMode, WaitlistMode | undefined, WaitlistMode>
  /** 1 when walk-ins may be let in beyond the seats (recorded on their booking). */
  walkins_over_capacity: ColumnType<number, number | undefined, number>
  note: string | null
  cancelled_at: string | null
  created_at: string
  updated_at: string
  /** Bumped by every change of the class or its meetings; a save from an older version is refused. */
  version: ColumnType<number, number | undefined, number>
  /** The SEQUENCE of the class's calendar events: raised when a meeting's time, the place or the class's being on changes. */
  calendar_sequence: ColumnType<number, number | undefined, number>
  /** When calendar_sequence was last raised (LAST-MODIFIED); null: never, created_at stands for it. */
  calendar_modified_at: ColumnType<string | null, string | null | undefined, string | null>
  /** 'offer' mode: hours a citizen has to answer an offered seat. */
  offer_hours: ColumnType<number, number | undefined, number>
  /** "Kommer du?": 'auto' asks when people are waiting, 'always', or 'off'. */
  confirm_mode: ColumnType<ConfirmMode, ConfirmMode | undefined, ConfirmMode>
  /** Days before the first meeting that "Kommer du?" is asked. */
  confirm_days: ColumnType<number, number | undefined, number>
  /** Seats not confirmed this many hours before the start are released; null: never. */
  release_hours: ColumnType<number | null, number | null | undefined, number | null>
}

export type ConfirmMode = 'auto' | 'always' | 'off'

/** 'auto': a freed seat goes to the first in line at once; 'call': staff phone the list; 'offer': offered with a deadline. */
export type WaitlistMode = 'auto' | 'call' | 'offer'

export interface MeetingTable {
  id: Generated<number>
  class_id: number
  starts_at: string
  ends_at: string
}

export interface ParticipantTable {
  id: Generated<number>
  name: string
  phone: string | null
  email: string | null
  birth_year: number | null
  created_at: string
  /** Set when the personal data was removed (retention or erasure); the row stays for counting. */
  anonymised_at: ColumnType<string | null, string | null | undefined, string | null>
  /** The start of the earliest meeting they came to (null: none). Kept by triggers (migrations/20261203100000_report_tallies.ts). */
  first_came_at: Generated<string | null>
}

export type BookingStatus = 'confirmed' | 'waitlisted' | 'cancelled'
export type BookingSource = 'online' | 'phone' | 'walkin'
/** 'released': the seat went on because "Kommer du?" was not answered in time. */
export type CancelledBy = 'participant' | 'organiser' | 'staff' | 'released'

export interface BookingTable {
  id: Generated<number>
  class_id: number
  participant_id: number
  token: string
  status: BookingStatus
  source: BookingSource
  needs_companion: number
  needs_hearing_loop: number
  needs_other: string | null
  booker_name: string | null
  booker_phone: string | null
  booker_email: string | null
  created_at: string
  confirmed_at: string | null
  cancelled_at: string | null
  cancelled_by: CancelledBy | null
  staff_note: ColumnType<string | null, string | null | undefined, string | null>
  /** The short code in the booking's QR code; typed or scanned at the door. */
  checkin_code: string
  device: ColumnType<Device | null, Device | null | undefined, Device | null>
  /** 1 for a walk-in the leader let in beyond the class's seats. */
  over_capacity: ColumnType<number, number | undefined, number>
  /**
   * The person as given in this booking: what its pages show and where messages about it
   * go, never details another booking brought to the participant record. A null name
   * (anonymised) reads as the participant's.
   */
  person_name: ColumnType<string | null, string | null | undefined, string | null>
  person_birth_year: ColumnType<number | null, number | null | undefined, number | null>
  contact_phone: string | null
  contact_email: string | null
  /** When the same person was booked again with other contact details; staff check it. */
  contact_conflict_at: ColumnType<string | null, string | null | undefined, string | null>
  /** When the link was last sent again because the same person booked again. */
  link_resent_at: ColumnType<string | null, string | null | undefined, string | null>
  /** A keyed hash of the address an online booking came from; cleared when no longer needed. */
  source_key: ColumnType<string | null, string | null | undefined, string | null>
  /** The booking staff moved this one from (now cancelled); null for a booking made directly. */
  moved_from_booking_id: ColumnType<number | null, number | null | undefined, number | null>
  /** 1 when the person who booked said yes to text messages (SMS) about this booking. */
  sms_consent: ColumnType<number, number | undefined, number>
  /** The answer to "Kommer du?": 'yes', 'no', or null (not asked or no answer). */
  coming: ColumnType<ComingAnswer | null, ComingAnswer | null | undefined, ComingAnswer | null>
  coming_at: ColumnType<string | null, string | null | undefined, string | null>
  /** When "Kommer du?" was asked (e-mail, text and the booking page); null: not asked. */
  coming_asked_at: ColumnType<string | null, string | null | undefined, string | null>
  /** How a booking from the waiting list got its seat; null for a seat given at booking. */
  filled_by: ColumnType<FilledBy | null, FilledBy | null | undefined, FilledBy | null>
}

export type ComingAnswer = 'yes' | 'no'
export type FilledBy = 'auto' | 'offer' | 'call'

export type OfferState = 'open' | 'accepted' | 'declined' | 'expired' | 'withdrawn'

/** A freed seat offered to someone on the waiting list, with a deadline. */
export interface SeatOfferTable {
  id: Generated<number>
  class_id: number
  booking_id: number
  /** The key in the offer page's address (/tilbud/<token>). */
  token: string
  offered_at: string
  deadline: string
  state: OfferState
  answered_at: string | null
  /** 'sms', 'email' (the page), 'staff' (phoned), or 'system' (expired, withdrawn). */
  answered_via: string | null
}

export type Device = 'iphone' | 'android' | 'ipad' | 'tablet' | 'pc' | 'borrowed' | 'other'

export type CallOutcome = 'accepted' | 'declined' | 'no_answer'

export interface WaitlistCallTable {
  id: Generated<number>
  booking_id: number
  staff_user_id: number | null
  at: string
  outcome: CallOutcome
}

/** A club or association that co-hosts classes. */
export interface PartnerTable {
  id: Generated<number>
  name: string
  contact: string | null
  note: string | null
  archived_at: string | null
  created_at: string
}

export type StaffRole = 'admin' | 'leader' | 'volunteer'

export interface StaffUserTable {
  id: Generated<number>
  email: string
  name: string
  role: StaffRole
  password_hash: string | null
  active: number
  created_at: string
  last_sign_in_at: string | null
  invite_token_hash: ColumnType<string | null, string | null | undefined, string | null>
  invite_expires_at: ColumnType<string | null, string | null | undefined, string | null>
  phone: ColumnType<string | null, string | null | undefined, string | null>
  /** Counted up to end every session of the user; a session cookie carries the value it began with. */
  session_generation: Generated<number>
}

export type StaffTask = 'instructor' | 'helper'

export interface ClassStaffTable {
  class_id: number
  staff_user_id: number
  task: StaffTask
}

export interface StaffLocationTable {
  staff_user_id: number
  location_id: number
}

/** Who did what to which class or booking, and when. Never personal data in `detail`. */
export interface AuditLogTable {
  id: Generated<number>
  at: string
  staff_user_id: number | null
  action: string
  subject_type: string | null
  subject_id: number | null
  detail: string | null
}

export interface ApiTokenTable {
  id: Generated<number>
  name: string
  token_hash: string
  created_by: number | null
  created_at: string
  revoked_at: string | null
  last_used_at: string | null
  /** Space-separated: classes:read classes:write bookings:read bookings:write. */
  scopes: string
  /** The token stops working at this moment (UTC ISO). */
  expires_at: string
}

export type OutboxStatus =
  /** Waiting to be sent at not_before. */
  | 'queued'
  /** Taken by a worker (claimed_by) until claimed_until; not yet handed to the mail server. */
  | 'claimed'
  /** The whole message has been handed over; only the server's answer is missing. */
  | 'sending'
  | 'sent'
  /** Kept here only: no mail server is configured (demo and development). */
  | 'kept'
  /** Refused by the mail server, or still failing after the last retry. */
  | 'failed'
  /** The worker stopped while the server was answering: it may or may not have arrived. */
  | 'unknown'
  /** Not sent because it no longer holds: its booking was cancelled or its class changed. */
  | 'withdrawn'

export interface OutboxTable {
  id: Generated<number>
  kind: string
  recipient: string
  subject: string
  payload_json: string
  dedupe_key: string | null
  booking_id: number | null
  class_id: number | null
  status: OutboxStatus
  attempts: ColumnType<number, number | undefined, number>
  not_before: string
  /** Not worth sending after this moment (a reminder once its meeting has begun). */
  expires_at: string | null
  claimed_by: string | null
  claimed_until: string | null
  created_at: string
  sent_at: string | null
  /** The provider's id of a text (SMS), or the Message-ID of an e-mail. */
  message_id: string | null
  last_error: string | null
  channel: ColumnType<OutboxChannel, OutboxChannel | undefined, OutboxChannel>
  /** A text's delivery report from the provider; null until one comes. */
  delivery_status: ColumnType<DeliveryStatus | null, DeliveryStatus | null | undefined, DeliveryStatus | null>
  delivery_at: ColumnType<string | null, string | null | undefined, string | null>
  delivery_error: ColumnType<string | null, string | null | undefined, string | null>
}

export type OutboxChannel = 'email' | 'sms'

/** What the SMS provider reported about a text it took. */
export type DeliveryStatus = 'enroute' | 'delivered' | 'undeliverable' | 'expired' | 'rejected'

/** A number that said STOP, or that staff marked as a landline (E.164 digits without +). */
export interface SmsNumberTable {
  msisdn: string
  stopped_at: string | null
  landline_at: string | null
  updated_at: string
}

/** 'yes' / 'no': JA or NEJ that answered a seat offer or "Kommer du?"; unmatched ones are 'reply'. */
export type InboundKind = 'stop' | 'start' | 'yes' | 'no' | 'reply'

/** A text sent to our number. */
export interface SmsInboundTable {
  id: Generated<number>
  provider_id: string | null
  msisdn: string
  message: string
  kind: InboundKind
  received_at: string
  /** The booking of the sender that it most likely concerns (their next class). */
  booking_id: number | null
  /** When staff marked it as dealt with. */
  handled_at: string | null
}

export type CallTaskReason = 'undeliverable' | 'class_message'

/** Someone staff must phone on a day: a text that did not arrive, a message they cannot read. */
export interface CallTaskTable {
  id: Generated<number>
  booking_id: number
  /** The Copenhagen day (yyyy-mm-dd) it is on the call list. */
  day: string
  reason: CallTaskReason
  /** What to tell them (a message to the class); null when it is the reminder. */
  text: string | null
  dedupe_key: string
  created_at: string
  called_at: string | null
  called_by: number | null
}

export interface InterestSubscriptionTable {
  id: Generated<number>
  course_slug: string
  email: string
  token: string
  created_at: string
  unsubscribed_at: string | null
  /** When the link in the confirmation e-mail was used; null while the sign-up waits for it. */
  confirmed_at: string | null
  /** SHA-256 (hex) of the confirmation link's token. */
  confirm_token_hash: string | null
  /** When the last confirmation e-mail was queued. */
  confirm_sent_at: string | null
}

export interface InterestNoticeTable {
  subscription_id: number
  class_id: number
  at: string
}

export interface ReminderCallTable {
  booking_id: number
  meeting_id: number
  staff_user_id: number | null
  called_at: string
}

export type CheckinVia = 'tablet' | 'code' | 'walkin' | 'paper'

export interface AttendanceTable {
  id: Generated<number>
  booking_id: number
  meeting_id: number
  participant_id: number
  checked_in_at: string
  staff_user_id: number | null
  via: CheckinVia
  /** 1 when on a walk-in booking. Kept by triggers (migrations/20261203100000_report_tallies.ts). */
  walk_in: Generated<number>
  /** 1 when on a booking of the meeting's class that held a seat at its start. Kept by triggers. */
  held_seat: Generated<number>
}

/** Every check-in or undo sent from a tablet, by its idempotency key. */
export interface CheckinActionTable {
  idempotency_key: string
  meeting_id: number
  booking_id: number | null
  action: string
  result_json: string
  at: string
  staff_user_id: number | null
  link_id: number | null
}

/** A one-day check-in link with a PIN, for one meeting. */
export interface CheckinLinkTable {
  id: Generated<number>
  meeting_id: number
  token_hash: string
  pin_hash: string
  /** The Copenhagen date (yyyy-mm-dd) on which the link works. */
  valid_on: string
  failed_attempts: ColumnType<number, number | undefined, number>
  created_by: number | null
  created_at: string
  revoked_at: string | null
}

/** A participant's first attendance in a scope: 'all', 'location:<id>' or 'topic:<topic>'. */
export interface ParticipantFirstTable {
  scope: string
  participant_id: number
  attendance_id: number
  at: string
}

export interface MilestoneScopeTable {
  scope: string
  locked_at: string
}

export type MilestoneScopeKind = 'all' | 'location' | 'topic'

/** "Every 1000 overall", "3000 at Hovedbiblioteket", "every 500 in each topic". */
export interface MilestoneRuleTable {
  id: Generated<number>
  scope_kind: MilestoneScopeKind
  /** For 'location': one place, or null for each place. */
  location_id: number | null
  /** For 'topic': one topic, or null for each topic. */
  topic: string | null
  mode: 'every' | 'once'
  number: number
  created_by: number | null
  created_at: string
}

export interface MilestoneTable {
  id: Generated<number>
  scope: string
  number: number
  participant_id: number
  attendance_id: number
  booking_id: number
  meeting_id: number
  reached_at: string
}

export interface LearningGoalTickTable {
  booking_id: number
  goal: string
  staff_user_id: number | null
  ticked_at: string
}

/** A daily job's schedule, shared by every server on the database. */
export interface ScheduledJobTable {
  name: string
  last_run_at: string | null
  next_run_at: string
  last_result: string | null
}

/** Requests from one client to one route in the current window (several servers, PostgreSQL). */
export interface RateLimitTable {
  /** A keyed hash of the route and the client's address. */
  key: string
  hits: number
  /** Milliseconds since 1970 when the window ends. */
  expires_at: number
}

/** Bumped by every state-changing request: kept pages older than the count are out of date. */
export interface ChangeCounterTable {
  name: string
  n: number
}

export interface Database {
  courses: CourseTable
  locations: LocationTable
  classes: ClassTable
  meetings: MeetingTable
  participants: ParticipantTable
  bookings: BookingTable
  staff_users: StaffUserTable
  audit_log: AuditLogTable
  partners: PartnerTable
  waitlist_calls: WaitlistCallTable
  class_staff: ClassStaffTable
  staff_locations: StaffLocationTable
  api_tokens: ApiTokenTable
  outbox: OutboxTable
  interest_subscriptions: InterestSubscriptionTable
  interest_notices: InterestNoticeTable
  reminder_calls: ReminderCallTable
  attendances: AttendanceTable
  checkin_actions: CheckinActionTable
  checkin_links: CheckinLinkTable
  participant_firsts: ParticipantFirstTable
  milestone_scopes: MilestoneScopeTable
  milestone_rules: MilestoneRuleTable
  milestones: MilestoneTable
  learning_goal_ticks: LearningGoalTickTable
  scheduled_jobs: ScheduledJobTable
  rate_limits: RateLimitTable
  change_counters: ChangeCounterTable
  sms_numbers: SmsNumberTable
  sms_inbound: SmsInboundTable
  call_tasks: CallTaskTable
  seat_offers: SeatOfferTable
}

export type CourseRow = Selectable<CourseTable>
export type NewCourse = Insertable<CourseTable>
export type LocationRow = Selectable<LocationTable>
export type NewLocation = Insertable<LocationTable>
export type ClassRow = Selectable<ClassTable>
export type NewClass = Insertable<ClassTable>
export type ClassUpdate = Updateable<ClassTable>
export type MeetingRow = Selectable<MeetingTable>
export type NewMeeting = Insertable<MeetingTable>
export type ParticipantRow = Selectable<ParticipantTable>
export type NewParticipant = Insertable<ParticipantTable>
export type BookingRow = Selectable<BookingTable>
export type NewBooking = Insertable<BookingTable>
export type StaffUserRow = Selectable<StaffUserTable>
export type NewStaffUser = Insertable<StaffUserTable>
export type AuditLogRow = Selectable<AuditLogTable>
export type NewAuditEntry = Insertable<AuditLogTable>
export type PartnerRow = Selectable<PartnerTable>
export type NewPartner = Insertable<PartnerTable>
export type OutboxRow = Selectable<OutboxTable>
export type NewOutboxRow = Insertable<OutboxTable>
export type SmsInboundRow = Selectable<SmsInboundTable>
export type CallTaskRow = Selectable<CallTaskTable>
export type SeatOfferRow = Selectable<SeatOfferTable>
export type InterestSubscriptionRow = Selectable<InterestSubscriptionTable>
export type AttendanceRow = Selectable<AttendanceTable>
export type MilestoneRuleRow = Selectable<MilestoneRuleTable>
export type MilestoneRow = Selectable<MilestoneTable>
export type CheckinLinkRow = Selectable<CheckinLinkTable>
