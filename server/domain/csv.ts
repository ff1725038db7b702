import { stringify } from 'csv-stringify/sync'

/**
 * CSV the way Danish Excel opens it: a BOM (so it reads UTF-8), semicolons, CRLF line
 * endings and a decimal comma. Text that starts like a formula gets a leading
 * apostrophe, so a name such as `=HYPERLINK(…)` stays text.
 */
export function excelCsv (records: Array<Array<string | number | null | undefined>>): string {
  return stringify(records, {
    delimiter: ';',
    record_delimiter: 'windows',
    bom: true,
    cast: {
      number: (value: number) => String(value).replace('.', ','),
      string: (value: string) => /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
    }
  })
}
