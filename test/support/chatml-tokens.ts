/** The model's own tokenizer (llama.cpp, vocabulary only) counting the ChatML prompt of one user message, written
 * out by hand: what `usage.prompt_tokens` must be for a ChatML model such as SmolLM2. */
export async function chatMlTokens(file: string, user: string): Promise<number> {
  const { getLlama } = await import("node-llama-cpp");
  const llama = await getLlama({ gpu: false, build: "never" });
  const vocab = await llama.loadModel({ modelPath: file, vocabOnly: true });
  try {
    const text = `<|im_start|>user\n${user}<|im_end|>\n<|im_start|>assistant\n`;
    return vocab.tokenize(text, true).length;
  } finally {
    await vocab.dispose();
    await llama.dispose();
  }
}
