// Text prompts for a model compiled with a tokenizer (`zkinfer compile --tokenizer`): the same
// tokenization as the prover's (core/src/text_input.rs), so the page computes the token ids it
// sends, and later checks the proof's input hash against, itself. Greedy longest match over the
// vocabulary after lowercasing (when the tokenizer says so) and collapsing whitespace runs into
// one space; the last `context` ids, left-padded with the padding token.

/** A tokenizer from a model card's `tokenizer`, or an Error saying what is wrong with it. */
export function tokenizerFrom(card) {
  const t = card && card.tokenizer;
  const ok =
    t &&
    Array.isArray(t.vocabulary) &&
    t.vocabulary.length > 0 &&
    t.vocabulary.every((s) => typeof s === "string" && s.length > 0) &&
    Number.isInteger(t.context) &&
    t.context > 0 &&
    Number.isInteger(t.pad) &&
    t.pad >= 0 &&
    t.pad < t.vocabulary.length;
  if (!ok) throw new Error("the model card's tokenizer is malformed");
  return { vocabulary: t.vocabulary, context: t.context, pad: t.pad, lowercase: t.lowercase === true };
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
