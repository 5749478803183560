// A verbatim copy of the project's yardstick, ../shared/bench/bun-minimal.ts: do not change it (bench/run.ts
// checks it still matches that file when it exists). Everything below this header is that file, byte for byte.
// biome-ignore-all format: a verbatim copy, kept as it is
// Minimal Bun passthrough: the ceiling for a Bun implementation, and the yardstick lmlb's hot-path ratios are
// held to (lmlb and this, alone on one core each in turn, same load, same upstream, req/s divided).
// Note `decompress: false` and the headers dropped: a yardstick that does more work flatters the ratio.
// Env (same as the product): PORT, OPENAI_API_KEYS="k1,k2", SERVICE_ENDPOINTS='{"openai":["http://127.0.0.1:P/v1",...]}'
const keys = (process.env.OPENAI_API_KEYS ?? "sk-bench-key-1").split(",").map((k) => k.trim());
const eps: string[] = JSON.parse(process.env.SERVICE_ENDPOINTS ?? '{"openai":["http://127.0.0.1:18001/v1"]}').openai;
const DROP = ["host", "connection", "keep-alive", "content-length", "transfer-encoding", "accept-encoding"];
let ki = 0, ei = 0;

Bun.serve({
  port: Number(process.env.PORT ?? 8080),
  hostname: "127.0.0.1",
  idleTimeout: 255,
  async fetch(req) {
    const url = new URL(req.url);
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
    const headers = new Headers(req.headers);
    for (const h of DROP) headers.delete(h);
    headers.set("authorization", `Bearer ${keys[ki++ % keys.length]}`);
    const target = eps[ei++ % eps.length] + url.pathname.replace(/^\/v1/, "") + url.search;
    const up = await fetch(target, { method: req.method, headers, body, decompress: false } as RequestInit);
    const rh = new Headers(up.headers);
    rh.delete("transfer-encoding"); rh.delete("connection"); rh.delete("keep-alive");
    return new Response(up.body, { status: up.status, headers: rh });
  },
});
