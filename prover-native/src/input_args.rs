//! `--input` / `--image` and `--input-salt`: how `prove` and `predict` read a model input and
//! the salt of a salted input hash (and how `verify` reads the input it checks against).

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use zkinfer_core::circuit::TensorVisibility;
use zkinfer_core::halo2curves::bn256::Fr;
use zkinfer_core::poseidon;

/// A model input: a JSON file, or an image preprocessed as the model was compiled to expect.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub(crate) struct InputArgs {
    /// Input JSON: {"input_data": [[...]]} (flattened, NCHW).
    #[arg(long, value_name = "INPUT.json")]
    input: Option<PathBuf>,
    /// A JPEG or PNG image (the model must be compiled with --image-preprocess).
    #[arg(long, value_name = "IMAGE")]
    image: Option<PathBuf>,
    /// A text prompt (the model must be compiled with --tokenizer): its last tokens, left-padded
    /// to the model's context, are the input.
    #[arg(long, value_name = "PROMPT")]
    text: Option<String>,
}

impl InputArgs {
    /// The salt to prove an input of visibility `vis` with: `flag` (64 hex digits, or
    /// `random`), else the input JSON's "input_salt", else, for a salted input, a fresh random
    /// salt, printed since the consumer needs it to check the proof against its input. None
    /// for an input that is not salted (a salt given then is refused: it would salt nothing).
    pub(crate) fn salt(&self, vis: TensorVisibility, flag: Option<&str>) -> Result<Option<Fr>> {
        let random = flag == Some("random");
        let given = match (&self.input, flag.filter(|_| !random)) {
            (Some(path), flag) => read_input_salt(path, flag)?,
            (None, Some(hex)) => {
                Some(zkinfer_core::commitment::parse_input_salt(hex).context("--input-salt")?)
            }
            (None, None) => None,
        };
        if random && given.is_some() {
            bail!(
                "--input-salt random, but the input JSON has its own \"input_salt\", which the \
                 proof could then not be checked against: give one"
            );
        }
        if vis != TensorVisibility::Salted {
            if given.is_some() || random {
                bail!(
                    "this model's input is {}, not salted: drop the input salt",
                    vis.name()
                );
            }
            return Ok(None);
        }
        if random || given.is_none() {
            let salt = zkinfer_core::commitment::random_input_salt();
            println!(
                "input salt (drawn at random{}): {}\n  keep it: checking the proof against your \
                 input needs it (zkinfer verify ... --input INPUT --input-salt SALT), and the \
                 bundle does not carry it",
                if random { "" } else { ": the input has none" },
                poseidon::to_hex(&salt)
            );
            return Ok(Some(salt));
        }
        Ok(given)
    }

    pub(crate) fn read(&self, compiled: &zkinfer_core::prove::Compiled) -> Result<Vec<f32>> {
        use zkinfer_core::build::{input_values, ModelInput};
        let input = match (&self.input, &self.image, &self.text) {
            (Some(p), _, _) => {
                ModelInput::Values(read_input(p, compiled.graph.input_tensor().len())?)
            }
            (None, Some(img), _) => ModelInput::Image(img.clone()),
            (None, None, Some(prompt)) => ModelInput::Prompt(prompt.clone()),
            (None, None, None) => anyhow::bail!("give --input, --image or --text"),
        };
        Ok(input_values(compiled, &input)?)
    }
}

pub(crate) fn read_input(path: &Path, len: usize) -> Result<Vec<f32>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading input {}", path.display()))?;
    Ok(zkinfer_core::input::parse_single(&text, len)?)
}

/// The input salt of the input JSON at `path` ("input_salt"), or `flag` (64 hex digits) when
/// given; refuses two different ones.
pub(crate) fn read_input_salt(path: &Path, flag: Option<&str>) -> Result<Option<Fr>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading input {}", path.display()))?;
    let in_file = zkinfer_core::input::parse_input_salt(&text)
        .with_context(|| format!("input {}", path.display()))?;
    let flag = flag
        .map(zkinfer_core::commitment::parse_input_salt)
        .transpose()
        .context("--input-salt")?;
    match (flag, in_file) {
        (Some(a), Some(b)) if a != b => bail!(
            "--input-salt differs from the \"input_salt\" in {}: give one",
            path.display()
        ),
        (flag, in_file) => Ok(flag.or(in_file)),
    }
}
