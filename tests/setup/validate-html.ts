import { afterAll } from 'vitest'
import { validateRecordedHtml } from '../helpers/html-validation.ts'

// Every test file checks the HTML pages it rendered through buildTestApp.
afterAll(async () => {
  const problems = await validateRecordedHtml()
  if (problems.length > 0) throw new Error(`html-validate found ${problems.length} error(s):\n${problems.join('\n')}`)
})
