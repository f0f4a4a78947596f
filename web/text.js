// Text prompts for a model compiled with a tokenizer (`zkinfer compile --tokenizer`), which its
// verifier key binds (labels = vocabulary, `text` = context, padding, lowercasing): the same
// tokenization as the prover's (core/src/text_input.rs), so the page computes the token ids it
// sends, and later checks the proof's input hash against, itself. Greedy longest match over the
// vocabulary after lowercasing (when the tokenizer says so) and collapsing whitespace runs into
// one space; the last `context` ids, left-padded with the padding token.

/**
 * The tokenizer a verifier key binds (its header as the WebAssembly verifier reads it): the
 * labels are the vocabulary and `text` the rest, so a prompt is spelled as the key a consumer
 * pinned says, never as a server says. Throws saying why when the key binds none.
 */
export function tokenizerFromKey(header) {
  const t = header && header.text;
  if (!t) {
    throw new Error(
      "the model you trust binds no tokenizer in its verifier key (it was compiled without --tokenizer, " +
        "or before keys carried one), so this page cannot know how to spell a prompt for it",
    );
  }
  const v = header.labels;
  const ok =
    Array.isArray(v) &&
    v.length > 0 &&
    v.every((s) => typeof s === "string" && s.length > 0) &&
    Number.isInteger(t.context) &&
    t.context > 0 &&
    Number.isInteger(t.pad) &&
    t.pad >= 0 &&
    t.pad < v.length;
  if (!ok) throw new Error("the verifier key's tokenizer is malformed");
  return { vocabulary: v, context: t.context, pad: t.pad, lowercase: t.lowercase === true };
}

/** The prompt's token ids; throws, naming the character, on one the vocabulary cannot spell. */
export function encode(tokenizer, prompt) {
  // Unicode's White_Space property and per-character lowercasing: Rust's char::is_whitespace
  // and char::to_lowercase (JS's \s and whole-string toLowerCase differ on U+FEFF, U+0085 and
  // a word-final sigma).
  let text = prompt.replace(/\p{White_Space}+/gu, " ");
  if (tokenizer.lowercase) text = Array.from(text, (c) => c.toLowerCase()).join("");
  const ids = [];
  let at = 0;
  while (at < text.length) {
    let best = -1;
    tokenizer.vocabulary.forEach((token, id) => {
      if (text.startsWith(token, at) && (best < 0 || token.length > tokenizer.vocabulary[best].length)) best = id;
    });
    if (best < 0) {
      const ch = String.fromCodePoint(text.codePointAt(at));
      throw new Error(`"${ch}" is not in this model's vocabulary (${tokenizer.vocabulary.join("")})`);
    }
    ids.push(best);
    at += tokenizer.vocabulary[best].length;
  }
  return ids;
}

/** The model input for `prompt`: its last `context` token ids, left-padded, as numbers. */
export function window(tokenizer, prompt) {
  const ids = encode(tokenizer, prompt);
  const keep = ids.slice(Math.max(0, ids.length - tokenizer.context));
  return Array(tokenizer.context - keep.length).fill(tokenizer.pad).concat(keep);
}
