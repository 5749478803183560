/**
 * Chat Completions streams tool calls as fragments numbered by `index`:
 * the first names the call (`id`, `function.name`), the rest carry pieces
 * of its arguments. Some upstreams number every call 0, so a new id at a
 * known index is a new call.
 */
import type { OpenAIChunk } from './wire'

export type ToolFragment = NonNullable<NonNullable<OpenAIChunk['choices']>[number]['delta']['tool_calls']>[number]

/** The call `fragment` belongs to, made with `create` (and listed in `calls`) when it starts one. */
export function callOfFragment<C extends { id: string; name: string }>(
  fragment: ToolFragment,
  byIndex: Map<number, C>,
  calls: C[],
  create: (id: string, name: string) => C,
): C {
  const index = fragment.index ?? 0
  let call = byIndex.get(index)
  if (!call || (fragment.id && call.id && fragment.id !== call.id)) {
    call = create(fragment.id ?? '', fragment.function?.name ?? '')
    calls.push(call)
    byIndex.set(index, call)
  } else {
    if (fragment.id && !call.id) call.id = fragment.id
    if (fragment.function?.name && !call.name) call.name = fragment.function.name
  }
  return call
}
