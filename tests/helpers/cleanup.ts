import { onTestFinished } from 'vitest'

/**
 * Runs `close` when the test that is running ends, passed or failed, so that nothing a
 * test opened outlives it. Outside a test (in a beforeAll) there is no test to wait for:
 * the file's afterAll closes what its beforeAll opened.
 */
export function closeWhenTestEnds (close: () => Promise<unknown>): void {
  try {
    onTestFinished(async () => { await close() })
  } catch (error) {
    if (!(error instanceof Error && error.message.includes('only be called inside a test'))) throw error
  }
}
