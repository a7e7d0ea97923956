// The official OpenAI Node client against `wattserve serve` (tests/cli/serve_openai_client_test.sh):
// a completion and a streamed chat, each of which must carry usage.energy.
//   node openai_client.cjs OPENAI_NODE_DIR BASE_URL MODEL
const [dir, baseURL, model] = process.argv.slice(2);
const OpenAI = require(`${dir}/node_modules/openai`);

function check(cond, what) {
  if (!cond) throw new Error(what);
}

async function main() {
  const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: 'not-needed', maxRetries: 0 });
  const models = await client.models.list();
  check(models.data.some((m) => m.id === model), `${model} not in /v1/models`);

  const c = await client.completions.create({
    model, prompt: 'import os\n\n\ndef ', max_tokens: 8, temperature: 0, ignore_eos: true,
  });
  check(typeof c.choices[0].text === 'string', 'no completion text');
  check(c.usage.completion_tokens === 8, `completion_tokens ${c.usage.completion_tokens}`);
  check(c.usage.energy.joules > 0 && c.usage.energy.source, 'completion without usage.energy');

  const stream = await client.chat.completions.create({
    model, messages: [{ role: 'user', content: 'Write a function.' }], max_tokens: 8,
    temperature: 0, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let usage = null;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks += 1;
    if (chunk.choices.length && chunk.choices[0].delta.content) text += chunk.choices[0].delta.content;
    if (chunk.usage) usage = chunk.usage;
  }
  check(chunks >= 2, `only ${chunks} chunks`);
  check(usage && usage.energy && usage.energy.joules > 0, 'stream without usage.energy');
  console.log(JSON.stringify({
    completion: c.choices[0].text, completion_joules: c.usage.energy.joules,
    chat: text, chat_chunks: chunks, chat_joules: usage.energy.joules,
  }));
}

main().catch((e) => {
  console.error(`openai client: ${e.message}`);
  process.exit(1);
});
