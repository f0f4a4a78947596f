// Unit tests of the page's prompt-to-token-ids code (web/text.js), in Node: no browser needed.
// The page spells a prompt only with the tokenizer its pinned verifier key binds (labels as the
// vocabulary, `text` as the rules); the browser suite checks the path end to end, and that the
// CLI (core/src/text_input.rs) spells prompts the same way.

import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

// web/ has no package.json, so Node would read text.js as CommonJS; load it as a module.
const src = fs.readFileSync(
  path.join(path.dirname(fileURLToPath(import.meta.url)), "../../web/text.js"),
  "utf8",
);
const { tokenizerFromKey, encode, window } = await import(`data:text/javascript,${encodeURIComponent(src)}`);

// The header as the WebAssembly verifier gives it: labels and text rules (other fields unused).
const header = (text, labels = [" ", "a", "b", "c", "."]) => ({ labels, text });
const rules = { context: 4, pad: 0, lowercase: true };

test("a key's labels and rules make the tokenizer the CLI uses", () => {
  const t = tokenizerFromKey(header(rules));
  // core/src/text_input.rs: a_short_prompt_is_lowercased_and_left_padded and its neighbour.
  assert.deepEqual(window(t, "Ab"), [0, 0, 1, 2]);
  assert.deepEqual(window(t, "cab \n\t a."), [2, 0, 1, 4]);
  assert.throws(() => window(t, "abz"), /"z" is not in this model's vocabulary/);
});

test("the key's rules, not anyone else's, decide padding and lowercasing", () => {
  const t = tokenizerFromKey(header({ context: 4, pad: 4, lowercase: false }));
  assert.deepEqual(window(t, "ab"), [4, 4, 1, 2]);
  assert.throws(() => encode(t, "Ab"), /"A" is not in this model's vocabulary/);
});

test("the longest matching token wins", () => {
  const t = tokenizerFromKey(header({ context: 3, pad: 3, lowercase: false }, ["a", "ab", "b", "_"]));
  assert.deepEqual(encode(t, "aab"), [0, 1]);
  assert.deepEqual(window(t, "aab"), [3, 0, 1]);
});

test("a key without a tokenizer, or with a malformed one, gives none and says why", () => {
  assert.throws(() => tokenizerFromKey(header(null)), /binds no tokenizer in its verifier key/);
  assert.throws(() => tokenizerFromKey(null), /binds no tokenizer/);
  for (const bad of [
    header(rules, null),
    header(rules, []),
    header(rules, ["a", ""]),
    header({ ...rules, pad: 5 }),
    header({ ...rules, pad: -1 }),
    header({ ...rules, context: 0 }),
    header({ ...rules, context: 1.5 }),
  ]) {
    assert.throws(() => tokenizerFromKey(bad), /tokenizer is malformed/, JSON.stringify(bad));
  }
});
