import { afterAll } from 'vitest'
import { validateRecordedHtml } from '../helpers/html-validation.ts'

// Every test file checks the HTML pages it rendered through buildTestApp. A file that
// renders hundreds of distinct pages (tests/routes/hostile-input.test.ts) takes most of a
// minute to validate on a busy machine: the hook may take five.
afterAll(async () => {
  const problems = await validateRecordedHtml()
  if (problems.length > 0) throw new Error(`html-validate found ${problems.length} error(s):\n${problems.join('\n')}`)
}, 300_000)
