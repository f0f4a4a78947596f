//! Text inputs: a prompt becomes a language model's token ids. The tokenizer is part of the
//! compiled model (`zkinfer compile --tokenizer`), so a prover and a consumer turn the same
//! prompt into the same ids, and its vocabulary names the model's outputs (the labels, which the
//! verifier key binds).
//!
//! Tokenization is greedy longest match over the vocabulary's strings, after lowercasing (when
//! the tokenizer says so) and collapsing each run of whitespace into one space. A character no
//! token starts with is an error that names it: dropping it would prove a prompt the user did
//! not type. The last `context` ids are the model's input, left-padded with the padding token
//! when the prompt is shorter.
//!
//! A verifier key binds the whole tokenizer: its vocabulary is the key's labels and the rest
//! ([`PromptRules`]: context, padding id, lowercasing) is the key's `text` field, so a consumer
//! spells its prompt from the key it pinned ([`Tokenizer::from_key`]), never from what a server
//! says.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// A vocabulary of token strings, the model's context length and its padding token. Decoding
/// one (from `compiled.bin`) runs the same checks as [`Tokenizer::from_json`]: an empty token
/// would make tokenization loop forever.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Unchecked")]
pub struct Tokenizer {
    /// Token `i`'s text.
    pub vocabulary: Vec<String>,
    /// How many token ids the model reads.
    pub context: usize,
    /// The id that fills the window before a short prompt.
    pub pad: u32,
    /// Lowercase the prompt first (the vocabulary has no capitals).
    pub lowercase: bool,
}

/// What a verifier key binds of a tokenizer besides its vocabulary (which is the key's labels):
/// how many ids the model reads, the padding id and whether a prompt is lowercased.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptRules {
    pub context: usize,
    pub pad: u32,
    pub lowercase: bool,
}

/// A tokenizer as decoded, before its checks.
#[derive(Deserialize)]
struct Unchecked {
    vocabulary: Vec<String>,
    context: usize,
    pad: u32,
    lowercase: bool,
}

impl TryFrom<Unchecked> for Tokenizer {
    type Error = String;
    fn try_from(t: Unchecked) -> std::result::Result<Tokenizer, String> {
        check_vocabulary(&t.vocabulary, t.context)?;
        if t.pad as usize >= t.vocabulary.len() {
            return Err(format!(
                "the padding id {} is outside the vocabulary",
                t.pad
            ));
        }
        Ok(Tokenizer {
            vocabulary: t.vocabulary,
            context: t.context,
            pad: t.pad,
            lowercase: t.lowercase,
        })
    }
}

/// A usable vocabulary: not empty, no empty or repeated token; a context of at least one token.
fn check_vocabulary(vocabulary: &[String], context: usize) -> std::result::Result<(), String> {
    if vocabulary.is_empty() {
        return Err("the vocabulary is empty".into());
    }
    let mut seen = std::collections::HashSet::new();
    for (i, token) in vocabulary.iter().enumerate() {
        if token.is_empty() {
            return Err(format!("token {i} is the empty string"));
        }
        if !seen.insert(token) {
            return Err(format!("token {token:?} is in the vocabulary twice"));
        }
    }
    if context == 0 {
        return Err("the context length is 0".into());
    }
    Ok(())
}

/// `tokenizer.json`'s form: `{"vocabulary": [...], "context": N, "pad": " ", "lowercase": true}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenizerFile {
    vocabulary: Vec<String>,
    context: usize,
    pad: String,
    #[serde(default)]
    lowercase: bool,
}

impl Tokenizer {
    /// The tokenizer a verifier key binds: its labels as the vocabulary, with its rules; the
    /// reason when they make no usable tokenizer.
    pub fn from_key(
        vocabulary: &[String],
        rules: PromptRules,
    ) -> std::result::Result<Self, String> {
        Tokenizer::try_from(Unchecked {
            vocabulary: vocabulary.to_vec(),
            context: rules.context,
            pad: rules.pad,
            lowercase: rules.lowercase,
        })
    }

    /// What a verifier key binds besides the vocabulary.
    pub fn rules(&self) -> PromptRules {
        PromptRules {
            context: self.context,
            pad: self.pad,
            lowercase: self.lowercase,
        }
    }

    /// Reads a tokenizer file; `source` names it in errors.
    pub fn from_json(text: &str, source: &str) -> Result<Tokenizer> {
        let bad = |why: String| Error::InvalidInput(format!("tokenizer {source}: {why}"));
        let file: TokenizerFile = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        check_vocabulary(&file.vocabulary, file.context).map_err(bad)?;
        let pad = file
            .vocabulary
            .iter()
            .position(|t| *t == file.pad)
            .ok_or_else(|| {
                bad(format!(
                    "the padding token {:?} is not in the vocabulary",
                    file.pad
                ))
            })?;
        Ok(Tokenizer {
            vocabulary: file.vocabulary,
            context: file.context,
            pad: pad as u32,
            lowercase: file.lowercase,
        })
    }

    /// The prompt's token ids, all of them.
    pub fn encode(&self, prompt: &str) -> Result<Vec<u32>> {
        let mut text = String::with_capacity(prompt.len());
        let mut in_space = false;
        for c in prompt.chars() {
            if c.is_whitespace() {
                if !in_space {
                    text.push(' ');
                }
                in_space = true;
                continue;
            }
            in_space = false;
            if self.lowercase {
                text.extend(c.to_lowercase());
            } else {
                text.push(c);
            }
        }
        let mut ids = Vec::new();
        let mut rest = text.as_str();
        while let Some(c) = rest.chars().next() {
            let (id, token) = self
                .vocabulary
                .iter()
                .enumerate()
                .filter(|(_, t)| rest.starts_with(t.as_str()))
                .max_by_key(|(_, t)| t.len())
                .ok_or_else(|| {
                    let offset = text.len() - rest.len();
                    Error::InvalidInput(format!(
                        "the prompt's character {c:?} (at byte {offset}) is not in this model's \
                         vocabulary: {}",
                        self.vocabulary.concat()
                    ))
                })?;
            ids.push(id as u32);
            rest = &rest[token.len()..];
        }
        Ok(ids)
    }

    /// The model's input for `prompt`: its last `context` ids, left-padded, as input values.
    pub fn window(&self, prompt: &str) -> Result<Vec<f32>> {
        let ids = self.encode(prompt)?;
        let keep = &ids[ids.len().saturating_sub(self.context)..];
        let mut window = vec![self.pad as f32; self.context - keep.len()];
        window.extend(keep.iter().map(|&id| id as f32));
        Ok(window)
    }

    /// Token `id`'s text.
    pub fn token(&self, id: usize) -> Option<&str> {
        self.vocabulary.get(id).map(String::as_str)
    }

    /// `positions` evenly spaced (window, next token) pairs of `text`, each window `context`
    /// ids as input values, the first starting `offset` ids in: how held-out text measures a
    /// next-token model ([`crate::prove::next_token_quality`]).
    pub fn heldout_windows(
        &self,
        text: &str,
        positions: usize,
        offset: usize,
    ) -> Result<Vec<(Vec<f32>, usize)>> {
        let ids = self.encode(text)?;
        let span = ids.len().saturating_sub(self.context + 1 + offset);
        if positions == 0 || span < positions {
            return Err(Error::InvalidInput(format!(
                "{positions} held-out positions need more than {} tokens of text, not {}",
                positions + self.context + offset,
                ids.len()
            )));
        }
        let stride = span / positions;
        Ok((0..positions)
            .map(|i| {
                let start = offset + i * stride;
                let window = ids[start..start + self.context]
                    .iter()
                    .map(|&id| id as f32)
                    .collect();
                (window, ids[start + self.context] as usize)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heldout_windows_are_evenly_spaced_and_followed_by_their_next_token() {
        let t = characters();
        let text = "abcabcabcabcabcabcabcabc";
        let ids = t.encode(text).unwrap();
        let pairs = t.heldout_windows(text, 3, 1).unwrap();
        assert_eq!(pairs.len(), 3);
        let stride = (ids.len() - t.context - 1 - 1) / 3;
        for (i, (window, next)) in pairs.iter().enumerate() {
            let start = 1 + i * stride;
            let want: Vec<f32> = ids[start..start + t.context]
                .iter()
                .map(|&id| id as f32)
                .collect();
            assert_eq!(window, &want);
            assert_eq!(*next, ids[start + t.context] as usize);
        }
        // Too short a text for that many positions is an error, not a panic.
        let err = t.heldout_windows("ab", 3, 0).unwrap_err().to_string();
        assert!(err.contains("held-out positions"), "{err}");
    }

    fn characters() -> Tokenizer {
        Tokenizer::from_json(
            r#"{"vocabulary": [" ", "a", "b", "c", "."], "context": 4, "pad": " ", "lowercase": true}"#,
            "test",
        )
        .unwrap()
    }

    #[test]
    fn a_short_prompt_is_lowercased_and_left_padded() {
        assert_eq!(characters().window("Ab").unwrap(), vec![0.0, 0.0, 1.0, 2.0]);
    }

    #[test]
    fn a_long_prompt_keeps_its_last_tokens_and_whitespace_runs_become_one_space() {
        assert_eq!(
            characters().window("cab \n\t a.").unwrap(),
            vec![2.0, 0.0, 1.0, 4.0]
        );
    }

    #[test]
    fn a_character_outside_the_vocabulary_is_an_error_that_names_it() {
        let e = characters().window("abz").unwrap_err().to_string();
        assert!(e.contains("'z'") && e.contains("byte 2"), "{e}");
    }

    #[test]
    fn the_longest_matching_token_wins() {
        let t = Tokenizer::from_json(
            r#"{"vocabulary": ["a", "ab", "b", "_"], "context": 3, "pad": "_"}"#,
            "test",
        )
        .unwrap();
        assert_eq!(t.encode("aab").unwrap(), vec![0, 1]);
        assert_eq!(t.window("aab").unwrap(), vec![3.0, 0.0, 1.0]);
    }

    #[test]
    fn a_decoded_tokenizer_is_checked_like_a_read_one() {
        let good = characters();
        let bytes = bincode::serialize(&good).unwrap();
        assert_eq!(bincode::deserialize::<Tokenizer>(&bytes).unwrap(), good);
        let mut empty_token = good.clone();
        empty_token.vocabulary[1] = String::new();
        let e = bincode::deserialize::<Tokenizer>(&bincode::serialize(&empty_token).unwrap());
        assert!(e.unwrap_err().to_string().contains("empty string"));
        let mut pad = good;
        pad.pad = 5;
        let e = bincode::deserialize::<Tokenizer>(&bincode::serialize(&pad).unwrap());
        assert!(e.unwrap_err().to_string().contains("padding id 5"));
    }

    #[test]
    fn malformed_tokenizers_are_refused_with_the_reason() {
        for (json, why) in [
            (r#"{"vocabulary": [], "context": 4, "pad": " "}"#, "empty"),
            (
                r#"{"vocabulary": ["a", "a"], "context": 4, "pad": "a"}"#,
                "twice",
            ),
            (
                r#"{"vocabulary": ["a", ""], "context": 4, "pad": "a"}"#,
                "empty string",
            ),
            (
                r#"{"vocabulary": ["a"], "context": 0, "pad": "a"}"#,
                "context",
            ),
            (
                r#"{"vocabulary": ["a"], "context": 4, "pad": " "}"#,
                "padding",
            ),
            (
                r#"{"vocabulary": ["a"], "context": 4, "pad": "a", "x": 1}"#,
                "unknown field",
            ),
        ] {
            let e = Tokenizer::from_json(json, "t.json")
                .unwrap_err()
                .to_string();
            assert!(e.contains("t.json") && e.contains(why), "{json}: {e}");
        }
    }
}
