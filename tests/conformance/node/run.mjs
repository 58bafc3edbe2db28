// Runs openai-node calls for the conformance suite and prints what it parsed.
// Input (argv[2] as a JSON file path, or stdin): {"calls": [{"base_url", "method",
// "request"}]}, run one after the other; method is "create" (non-stream),
// "create_stream" (raw chunks) or "stream_helper" (chat.completions.stream() and
// finalChatCompletion()). Output: one JSON list, per call {"completion": ...},
// {"chunks": [...]}, or {"error": {name, status, code, message}}.
import { readFileSync } from "node:fs";
import OpenAI from "openai";

const input = JSON.parse(readFileSync(process.argv[2] ?? 0, "utf8"));

async function run(call) {
  const client = new OpenAI({ baseURL: call.base_url, apiKey: "sk-test", maxRetries: 0, timeout: 10000 });
  const body = { model: "gpt-4o-mini", ...call.request };
  switch (call.method) {
    case "create":
      return { completion: await client.chat.completions.create(body) };
    case "create_stream": {
      const chunks = [];
      for await (const chunk of await client.chat.completions.create({ ...body, stream: true })) {
        chunks.push(chunk);
      }
      return { chunks };
    }
    case "stream_helper": {
      const stream = client.chat.completions.stream(body);
      for await (const _ of stream) {
        // drain: the helper accumulates as it reads
      }
      return { completion: await stream.finalChatCompletion() };
    }
    default:
      throw new Error(`unknown method ${call.method}`);
  }
}

const results = [];
for (const call of input.calls) {
  try {
    results.push(await run(call));
  } catch (err) {
    results.push({
      error: { name: err?.constructor?.name ?? "Error", status: err?.status ?? null, code: err?.code ?? null, message: String(err?.message ?? err) },
    });
  }
}
process.stdout.write(JSON.stringify(results));
