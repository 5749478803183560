/**
 * A watched-file reload waits for the file to settle: a `.env` truncated and
 * written back moments later is never applied empty (no `401 no API key`),
 * while a file that really stays keyless is applied after a second read.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { chat } from '../helpers/requests'
import { startUpstream } from '../helpers/upstream'

const running: { stop(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()))
})

/** `signals`: lmlb as a process of its own, to send it SIGHUP. */
async function setup(signals = false) {
  const up = startUpstream('up')
  const text = `OPENAI_API_KEYS=sk-settle-key-000001\nSERVICE_ENDPOINTS={"openai": ["${up.base}"]}\n`
  const lmlb = await startLmlb({ dotenv: text, process: signals })
  running.push(up, lmlb)
  return { up, lmlb, text, envPath: join(lmlb.cwd, '.env') }
}

/** Two clients sending requests back to back until `stop()`; the statuses they got. */
function keepSending(lmlb: RunningLmlb) {
  const statuses: number[] = []
  let going = true
  const client = async () => {
    while (going) {
      const res = await chat(lmlb.url, 'gpt-4o', { content: 'x' })
      await res.text()
      statuses.push(res.status)
    }
  }
  const clients = [client(), client()]
  return {
    statuses,
    stop: async () => {
      going = false
      await Promise.all(clients)
      return statuses
    },
  }
}

const HELD_BACK = 'reload (file changed) held back: it would leave openai with no API keys'

describe('watched-file reloads settle first', () => {
  test('.env truncated and written back: the empty read is held back, no request gets 401', async () => {
    const { lmlb, text, envPath } = await setup()
    const load = keepSending(lmlb)
    const heldBack = lmlb.waitForLog(HELD_BACK)
    writeFileSync(envPath, '')
    await heldBack
    const reloaded = lmlb.waitForLog('configuration reloaded (file changed)')
    writeFileSync(envPath, text)
    await reloaded
    const statuses = await load.stop()
    expect(statuses.length).toBeGreaterThan(10)
    expect(statuses.filter((s) => s !== 200)).toEqual([])
    expect(lmlb.log()).toContain('the files changed again 1000 ms later')
    expect(lmlb.log()).not.toContain('left with no API keys')
  })

  test('.env truncated and written back 400 ms later (an editor, a script): no request gets 401', async () => {
    const { lmlb, text, envPath } = await setup()
    const load = keepSending(lmlb)
    const reloaded = lmlb.waitForLog('configuration reloaded (file changed)')
    writeFileSync(envPath, '')
    setTimeout(() => writeFileSync(envPath, text), 400)
    await reloaded
    const statuses = await load.stop()
    expect(statuses.filter((s) => s !== 200)).toEqual([])
    expect(lmlb.log()).not.toContain('left with no API keys')
  })

  test('a .env that stays keyless is applied after a second, identical read 1 s later', async () => {
    const { lmlb, envPath } = await setup()
    const heldBack = lmlb.waitForLog(HELD_BACK)
    const reloaded = lmlb.waitForLog('configuration reloaded (file changed)')
    writeFileSync(envPath, 'LOG_LEVEL=info\n')
    await heldBack
    const heldAt = Date.now()
    // Until it is confirmed the old key still serves.
    expect((await chat(lmlb.url, 'gpt-4o', { content: 'x' })).status).toBe(200)
    await reloaded
    expect(Date.now() - heldAt).toBeGreaterThanOrEqual(900)
    const log = lmlb.log()
    expect(log.indexOf(HELD_BACK)).toBeLessThan(log.indexOf('applying it, openai left with no API keys'))
    expect(log.indexOf('applying it, openai left with no API keys')).toBeLessThan(log.indexOf('configuration reloaded (file changed)'))
    const res = await chat(lmlb.url, 'gpt-4o', { content: 'x' })
    expect(res.status).toBe(401)
    expect(await res.text()).toContain('no API key')
  })

  test('SIGHUP stays immediate: a keyless .env is applied at once', async () => {
    const { lmlb, envPath } = await setup(true)
    writeFileSync(envPath, 'LOG_LEVEL=info\n')
    const reloaded = lmlb.waitForLog('configuration reloaded (SIGHUP)')
    lmlb.proc!.kill('SIGHUP')
    await reloaded
    expect(lmlb.log().split('configuration reloaded (SIGHUP)')[0]).not.toContain('held back')
    expect((await chat(lmlb.url, 'gpt-4o', { content: 'x' })).status).toBe(401)
  })
})
