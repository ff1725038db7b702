import type { DbOrTx } from '../db/connection.ts'
import type { CourseRow } from '../db/schema.ts'
import type { Course } from '../domain/course-file.ts'

export function toCourse (row: CourseRow): Course {
  return {
    slug: row.slug,
    title: row.title,
    topic: row.topic,
    level: row.level,
    durationMinutes: row.duration_minutes,
    bring: JSON.parse(row.bring_json) as string[],
    learningGoals: JSON.parse(row.learning_goals_json) as string[],
    next: JSON.parse(row.next_json) as string[],
    descriptionMd: row.description_md
  }
}

/** Writes the catalogue: inserts new courses, updates changed ones, marks removed ones. */
export async function replaceCatalogue (db: DbOrTx, courses: Course[], now: string): Promise<void> {
  for (const c of courses) {
    const row = {
      title: c.title,
      topic: c.topic,
      level: c.level,
      duration_minutes: c.durationMinutes,
      bring_json: JSON.stringify(c.bring),
      learning_goals_json: JSON.stringify(c.learningGoals),
      next_json: JSON.stringify(c.next),
      description_md: c.descriptionMd,
      in_catalogue: 1,
      synced_at: now
    }
    // An upsert: several servers starting at once on a new database each sync the files.
    await db.insertInto('courses').values({ slug: c.slug, ...row })
      .onConflict(oc => oc.column('slug').doUpdateSet(row)).execute()
  }
  const current = courses.map(c => c.slug)
  let removed = db.updateTable('courses').set({ in_catalogue: 0, synced_at: now })
  if (current.length > 0) removed = removed.where('slug', 'not in', current)
  await removed.execute()
}

export async function findCourse (db: DbOrTx, slug: string): Promise<Course | undefined> {
  const row = await db.selectFrom('courses').selectAll().where('slug', '=', slug).where('in_catalogue', '=', 1).executeTakeFirst()
  return row ? toCourse(row) : undefined
}

export async function listCourses (db: DbOrTx): Promise<Course[]> {
  const rows = await db.selectFrom('courses').selectAll().where('in_catalogue', '=', 1).orderBy('title').execute()
  return rows.map(toCourse)
}

export async function findCoursesBySlugs (db: DbOrTx, slugs: string[]): Promise<Course[]> {
  if (slugs.length === 0) return []
  const rows = await db.selectFrom('courses').selectAll().where('slug', 'in', slugs).where('in_catalogue', '=', 1).execute()
  const bySlug = new Map(rows.map(r => [r.slug, toCourse(r)]))
  return slugs.flatMap(s => bySlug.get(s) ?? [])
}
