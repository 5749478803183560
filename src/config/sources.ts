/**
 * Where configuration comes from on disk: `.env` (or --env-file) and the
 * optional config file (--config, or LMLB_CONFIG from the environment or
 * `.env`). Read afresh on every (re)load.
 */
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseDotenv } from './dotenv'
import { loadConfig, type Env, type LoadResult } from './load'

export interface Sources {
  envFile: string
  /** Given on the command line: then it must exist. */
  envFileRequired: boolean
  configFile?: string
  host?: string
  port?: string
  /** Where relative paths start (default: the working directory); messages name them as given. */
  dir?: string
}

/** The files a reload watches. */
export function watchedFiles(sources: Sources, env: Env): string[] {
  const config = configPath(sources, env, readIfExists(sources, sources.envFile))
  return [sources.envFile, ...(config ? [config] : [])].map((path) => resolve(sources.dir ?? '', path))
}

export function readConfig(sources: Sources, env: Env): LoadResult {
  const envText = readIfExists(sources, sources.envFile)
  if (envText === undefined && sources.envFileRequired) return { ok: false, errors: [`--env-file: ${sources.envFile} does not exist`] }
  const path = configPath(sources, env, envText)
  const fileText = path === undefined ? undefined : readIfExists(sources, path)
  if (path !== undefined && fileText === undefined) {
    return { ok: false, errors: [`${sources.configFile !== undefined ? '--config' : 'LMLB_CONFIG'}: ${path} does not exist`] }
  }
  return loadConfig({
    env,
    dotenv: envText === undefined ? undefined : { path: sources.envFile, text: envText },
    file: fileText === undefined ? undefined : { path: path!, text: fileText },
    host: sources.host,
    port: sources.port,
    dir: sources.dir,
  })
}

function configPath(sources: Sources, env: Env, envText: string | undefined): string | undefined {
  return sources.configFile ?? env.LMLB_CONFIG ?? (envText === undefined ? undefined : parseDotenv(envText).values.LMLB_CONFIG)
}

function readIfExists(sources: Sources, path: string): string | undefined {
  const at = resolve(sources.dir ?? '', path)
  return existsSync(at) ? readFileSync(at, 'utf8') : undefined
}
