import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Db } from '../db/connection.ts'
import { CatalogueError, type Course, checkCatalogue, parseCourseFile } from '../domain/course-file.ts'
import { nowIso } from '../domain/time.ts'
import { replaceCatalogue } from '../repositories/course-repository.ts'

/** Reads and checks every course file. Throws CatalogueError naming file and field. */
export async function loadCatalogue (dir: string): Promise<Course[]> {
  let files: string[]
  try {
    files = (await readdir(dir)).filter(f => f.endsWith('.md') && f.toLowerCase() !== 'readme.md').sort()
  } catch {
    throw new CatalogueError(dir, 'COURSES_DIR', 'cannot be read: the folder does not exist')
  }
  const parsed = await Promise.all(files.map(async file => ({
    file,
    course: parseCourseFile(file, await readFile(join(dir, file), 'utf8'))
  })))
  checkCatalogue(parsed)
  return parsed.map(p => p.course)
}

/** Syncs the course files into the database, in one transaction. */
export async function syncCatalogue (db: Db, dir: string): Promise<Course[]> {
  const courses = await loadCatalogue(dir)
  await db.transaction().execute(tx => replaceCatalogue(tx, courses, nowIso()))
  return courses
}
