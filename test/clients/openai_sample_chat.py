"""`npm start -- --sample llm`: the official `openai` Python client (hack/llm-venv.sh), unchanged, streams one chat
answer from a ModelDeployment's Service.

usage: openai_sample_chat.py <base_url> <api_key> <model> <max_tokens> <question>
Prints one JSON object a line, as they arrive: {"role"} first, {"token": text} per streamed piece, then
{"finish", "usage", "model", "fingerprint"} (the last from the final chunk, which carries the usage).
"""

import json
import sys

import openai

base_url, key, model, max_tokens, question = sys.argv[1:6]
client = openai.OpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=300)


def emit(obj):
    print(json.dumps(obj), flush=True)


finish, fingerprint, served = None, None, None
with client.chat.completions.create(
    model=model,
    messages=[{"role": "user", "content": question}],
    max_tokens=int(max_tokens),
    temperature=0,
    stream=True,
    stream_options={"include_usage": True},
) as stream:
    for chunk in stream:
        served = chunk.model
        fingerprint = chunk.system_fingerprint or fingerprint
        for c in chunk.choices:
            if c.delta.role:
                emit({"role": c.delta.role})
            if c.delta.content:
                emit({"token": c.delta.content})
            finish = c.finish_reason or finish
        if chunk.usage is not None:
            u = chunk.usage
            usage = {"prompt": u.prompt_tokens, "completion": u.completion_tokens, "total": u.total_tokens}
            emit({"finish": finish, "usage": usage, "model": served, "fingerprint": fingerprint})
