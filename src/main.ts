/** lmlb's entry on Bun (`bun src/main.ts`, the compiled binary); runtime/deno.ts is Deno's. */
import { bunPlatform } from './runtime/bun'
import { start } from './start'

start(bunPlatform)
