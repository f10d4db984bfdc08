"""The official `openai` Python client (hack/llm-venv.sh), unchanged, against a runtime serving a GGUF model.

usage: openai_client.py <base_url> <api_key> <model> <step>; prints one JSON object for test/clients/openai.test.ts.
"""

import json
import sys
import threading

import openai

base_url, key, model, step = sys.argv[1:5]
client = openai.OpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=600)
USER = [{"role": "user", "content": "What is the capital of France?"}]


def usage_of(u):
    return None if u is None else {"prompt": u.prompt_tokens, "completion": u.completion_tokens, "total": u.total_tokens}


def chat():
    r = client.chat.completions.create(model=model, messages=USER, max_tokens=4, temperature=0)
    return {"text": r.choices[0].message.content, "finish": r.choices[0].finish_reason, "usage": usage_of(r.usage)}


def stream():
    chunks, usage, finish, role = [], None, None, None
    with client.chat.completions.create(
        model=model, messages=USER, max_tokens=4, temperature=0, stream=True, stream_options={"include_usage": True}
    ) as s:
        for c in s:
            if c.usage is not None:
                usage = usage_of(c.usage)
            for ch in c.choices:
                role = role or ch.delta.role
                if ch.delta.content:
                    chunks.append(ch.delta.content)
                finish = ch.finish_reason or finish
    return {"text": "".join(chunks), "chunks": len(chunks), "role": role, "finish": finish, "usage": usage}


def seeded():
    texts = []
    for _ in range(2):
        r = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Tell me a story."}], max_tokens=6, temperature=1.0,
            top_p=0.95, seed=4242,
        )
        texts.append(r.choices[0].message.content)
    return {"texts": texts}


def concurrent():
    done = [None] * 4

    def run(i):
        text = []
        s = client.completions.create(model=model, prompt=f"Number {i}:", max_tokens=3, stream=True)
        for c in s:
            text.append(c.choices[0].text if c.choices else "")
        done[i] = {"text": "".join(text)}

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"completed": sum(1 for d in done if d is not None)}


def disconnect():
    # Read one chunk of a long stream, then close the connection: the server must stop and free the sequence.
    s = client.chat.completions.create(model=model, messages=USER, max_tokens=16, stream=True)
    first = next(iter(s))
    s.close()
    return {"first": first.object}


BAD = {
    "unknown_model": lambda: client.chat.completions.create(model="gpt-4o", messages=USER, max_tokens=2),
    "max_tokens_over_cap": lambda: client.chat.completions.create(model=model, messages=USER, max_tokens=100000),
    "malformed_messages": lambda: client.chat.completions.create(model=model, messages=[{"role": "wizard", "content": "x"}]),
    "prompt_over_context": lambda: client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "word " * 400}], max_tokens=2
    ),
    "bad_json_schema": lambda: client.chat.completions.create(
        model=model, messages=USER, max_tokens=2, response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "string", "pattern": "^a+$"}}}
    ),
    "unauthenticated": lambda: openai.OpenAI(base_url=base_url, api_key="wrong", max_retries=0).chat.completions.create(
        model=model, messages=USER, max_tokens=2
    ),
}


def bad():
    out = {}
    for name, call in BAD.items():
        try:
            call()
            out[name] = {"status": 200}
        except openai.APIStatusError as e:
            out[name] = {"status": e.status_code, "error": e.body, "class": type(e).__name__}
    return out


print(json.dumps({"chat": chat, "stream": stream, "seeded": seeded, "concurrent": concurrent, "disconnect": disconnect,
                  "bad": bad}[step]()))
