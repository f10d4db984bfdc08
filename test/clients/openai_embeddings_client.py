"""The official `openai` Python client (hack/llm-venv.sh), unchanged, against a runtime serving a GGUF embedding model.

usage: openai_embeddings_client.py <base_url> <api_key> <model> <step> < texts (JSON list); prints one JSON object
for test/clients/openai-embeddings.test.ts. Vectors come back as lists of floats whatever the wire encoding.
"""

import array
import base64
import json
import sys

import openai

base_url, key, model, step = sys.argv[1:5]
texts = json.load(sys.stdin)
client = openai.OpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=600)


def floats(e):
    # Asked for base64 explicitly, the client hands over the string as sent: little-endian float32 bytes.
    return array.array("f", base64.b64decode(e)).tolist() if isinstance(e, str) else list(e)


def result(r):
    return {
        "object": r.object,
        "model": r.model,
        "indexes": [d.index for d in r.data],
        "vectors": [floats(d.embedding) for d in r.data],
        "encoded": [isinstance(d.embedding, str) for d in r.data],
        "usage": {"prompt": r.usage.prompt_tokens, "total": r.usage.total_tokens},
    }


def single():
    return result(client.embeddings.create(model=model, input=texts[0], encoding_format="float"))


def batch_base64():
    return result(client.embeddings.create(model=model, input=texts, encoding_format="base64"))


def default():
    # No encoding_format: the client asks for base64 itself and decodes it.
    return result(client.embeddings.create(model=model, input=texts))


BAD = {
    "unknown_model": lambda: client.embeddings.create(model="text-embedding-3-small", input="x"),
    "empty_input": lambda: client.embeddings.create(model=model, input=""),
    "empty_in_batch": lambda: client.embeddings.create(model=model, input=["a", ""]),
    "over_context": lambda: client.embeddings.create(model=model, input="word " * 600),
    "dimensions": lambda: client.embeddings.create(model=model, input="x", dimensions=128),
    "chat_on_embedding_model": lambda: client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "hi"}], max_tokens=2
    ),
    "unauthenticated": lambda: openai.OpenAI(base_url=base_url, api_key="wrong", max_retries=0).embeddings.create(
        model=model, input="x"
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


print(json.dumps({"single": single, "batch_base64": batch_base64, "default": default, "bad": bad}[step]()))
