import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CatalogueError, checkCatalogue, parseCourseFile } from '../../server/domain/course-file.ts'
import { coursesDir } from '../helpers/database.ts'

const valid = `---
slug: mitid-test
title: Kom godt i gang med MitID
topic: mitid
level: begynder
duration_minutes: 120
bring:
  - Din telefon
learning_goals:
  - Kan logge på med MitID-appen
next: []
---
Et kursus for dig, der vil i gang med MitID.
`

function errorOf (fn: () => unknown): CatalogueError {
  try {
    fn()
  } catch (error) {
    if (error instanceof CatalogueError) return error
    throw error
  }
  throw new Error('expected a CatalogueError')
}

describe('the shipped course catalogue', () => {
  const files = readdirSync(coursesDir).filter(f => f.endsWith('.md'))

  it('has at least 8 courses covering the core topics', () => {
    const courses = files.map(f => parseCourseFile(f, readFileSync(join(coursesDir, f), 'utf8')))
    expect(courses.length).toBeGreaterThanOrEqual(8)
    const topics = new Set(courses.map(c => c.topic))
    for (const topic of ['mitid', 'digital-post', 'borger-dk', 'sundhed', 'netbank', 'sikkerhed', 'enheder']) expect(topics).toContain(topic)
  })

  it.each(files)('%s is valid, and its next courses exist', file => {
    const course = parseCourseFile(file, readFileSync(join(coursesDir, file), 'utf8'))
    expect(course.slug).toBe(file.replace(/\.md$/, ''))
    expect(course.learningGoals.length).toBeGreaterThan(0)
    expect(course.descriptionMd.length).toBeGreaterThan(100)
    expect(course.descriptionMd + course.title).not.toMatch(/\b\d{6}-?\d{4}\b/) // no CPR-like numbers
  })

  it('has unique slugs and only known next courses', () => {
    const all = files.map(f => ({ file: f, course: parseCourseFile(f, readFileSync(join(coursesDir, f), 'utf8')) }))
    expect(() => checkCatalogue(all)).not.toThrow()
  })
})

describe('a malformed course file', () => {
  it('parses a valid file', () => {
    expect(parseCourseFile('mitid-test.md', valid).title).toBe('Kom godt i gang med MitID')
  })

  it.each([
    ['title', valid.replace(/title: .*\n/, '')],
    ['topic', valid.replace('topic: mitid', 'topic: astrologi')],
    ['level', valid.replace('level: begynder', 'level: ekspert')],
    ['duration_minutes', valid.replace('duration_minutes: 120', 'duration_minutes: to timer')],
    ['learning_goals', valid.replace(/learning_goals:\n {2}- .*\n/, 'learning_goals: []\n')],
    ['slug', valid.replace('slug: mitid-test', 'slug: noget-andet')],
    ['slug', valid.replace('slug: mitid-test', 'slug: MitID Test')],
    ['colour', valid.replace('next: []', 'next: []\ncolour: blue')],
    ['front matter', valid.replace('topic: mitid', 'topic: [mitid')],
    ['description', valid.replace('Et kursus for dig, der vil i gang med MitID.', '')]
  ])('names the field %s and the file', (field, source) => {
    const error = errorOf(() => parseCourseFile('mitid-test.md', source))
    expect(error.file).toBe('mitid-test.md')
    expect(error.field).toBe(field)
    expect(error.message).toContain('mitid-test.md')
    expect(error.message).toContain(field)
  })

  it('names a next course that does not exist', () => {
    const course = parseCourseFile('mitid-test.md', valid.replace('next: []', 'next: [findes-ikke]'))
    const error = errorOf(() => checkCatalogue([{ file: 'mitid-test.md', course }]))
    expect(error.field).toBe('next')
    expect(error.message).toContain('findes-ikke')
  })
})
