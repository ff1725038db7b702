import { type Static, Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import matter from 'gray-matter'
import { LEVELS, TOPICS } from './catalogue-vocabulary.ts'

const Slug = Type.String({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', maxLength: 100 })
const Line = Type.String({ minLength: 2, maxLength: 300 })

export const CourseFrontMatter = Type.Object({
  slug: Slug,
  title: Type.String({ minLength: 3, maxLength: 200 }),
  topic: Type.Union(Object.keys(TOPICS).map(t => Type.Literal(t))),
  level: Type.Union(Object.keys(LEVELS).map(l => Type.Literal(l))),
  duration_minutes: Type.Integer({ minimum: 15, maximum: 2400 }),
  bring: Type.Array(Line, { maxItems: 10 }),
  learning_goals: Type.Array(Line, { minItems: 1, maxItems: 12 }),
  next: Type.Array(Slug, { maxItems: 5 })
}, { additionalProperties: false })

export interface Course {
  slug: string
  title: string
  topic: string
  level: string
  durationMinutes: number
  bring: string[]
  learningGoals: string[]
  next: string[]
  descriptionMd: string
}

export class CatalogueError extends Error {
  override name = 'CatalogueError'
  constructor (readonly file: string, readonly field: string, problem: string) {
    super(`Course file ${file}: field "${field}" ${problem}`)
  }
}

/** Parses one course file. Throws CatalogueError naming the file and the field. */
export function parseCourseFile (fileName: string, source: string): Course {
  let parsed: matter.GrayMatterFile<string>
  try {
    // gray-matter caches by content; an empty options object turns the cache off.
    parsed = matter(source, {})
  } catch (error) {
    throw new CatalogueError(fileName, 'front matter', `is not valid YAML: ${(error as Error).message.split('\n')[0]}`)
  }
  const data = parsed.data as Record<string, unknown>
  if (Object.keys(data).length === 0) throw new CatalogueError(fileName, 'front matter', 'is missing (the file must start with ---)')

  for (const key of Object.keys(data)) {
    if (!(key in CourseFrontMatter.properties)) throw new CatalogueError(fileName, key, 'is not a known field')
  }
  for (const key of Object.keys(CourseFrontMatter.properties)) {
    if (data[key] === undefined || data[key] === null) throw new CatalogueError(fileName, key, 'is missing')
  }
  const error = Value.Errors(CourseFrontMatter, data).First()
  if (error) {
    const field = error.path.replace(/^\//, '').replace(/\//g, '.')
    const allowed = field === 'topic' ? ` (one of: ${Object.keys(TOPICS).join(', ')})` : field === 'level' ? ` (one of: ${Object.keys(LEVELS).join(', ')})` : ''
    throw new CatalogueError(fileName, field, `is invalid: ${error.message}${allowed}`)
  }
  const front = data as Static<typeof CourseFrontMatter>
  const expectedSlug = fileName.replace(/^.*\//, '').replace(/\.md$/, '')
  if (front.slug !== expectedSlug) throw new CatalogueError(fileName, 'slug', `must equal the file name ("${expectedSlug}")`)
  if (front.next.includes(front.slug)) throw new CatalogueError(fileName, 'next', 'must not name the course itself')
  const body = parsed.content.trim()
  if (body.length < 20) throw new CatalogueError(fileName, 'description', 'is missing (write a plain-Danish description below the front matter)')

  return {
    slug: front.slug,
    title: front.title.trim(),
    topic: front.topic,
    level: front.level,
    durationMinutes: front.duration_minutes,
    bring: front.bring.map(s => s.trim()),
    learningGoals: front.learning_goals.map(s => s.trim()),
    next: front.next,
    descriptionMd: body
  }
}

/** Checks what can only be checked across files: unique slugs, existing next courses. */
export function checkCatalogue (courses: Array<{ file: string, course: Course }>): void {
  const slugs = new Map<string, string>()
  for (const { file, course } of courses) {
    const other = slugs.get(course.slug)
    if (other) throw new CatalogueError(file, 'slug', `"${course.slug}" is also used by ${other}`)
    slugs.set(course.slug, file)
  }
  for (const { file, course } of courses) {
    for (const next of course.next) {
      if (!slugs.has(next)) throw new CatalogueError(file, 'next', `names "${next}", which is not a course in the catalogue`)
    }
  }
}
