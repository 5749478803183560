/**
 * The little of SQLite lmlb uses (the usage store), so that the store is
 * the same code on Bun (`bun:sqlite`) and Deno (`node:sqlite`): each
 * runtime's module opens one (runtime/bun.ts, runtime/deno.ts).
 */
export type SqlValue = string | number | Uint8Array | null

export interface SqlDatabase {
  exec(sql: string): void
  /** Runs a statement (prepared once per text) with positional `?` parameters. */
  run(sql: string, ...params: SqlValue[]): void
  all(sql: string, ...params: SqlValue[]): Record<string, SqlValue>[]
  close(): void
}

/** Prepared statements by their text, for a database whose statements have run and all. */
export function cachedStatements<S>(prepare: (sql: string) => S): (sql: string) => S {
  const statements = new Map<string, S>()
  return (sql) => {
    let statement = statements.get(sql)
    if (!statement) statements.set(sql, (statement = prepare(sql)))
    return statement
  }
}
