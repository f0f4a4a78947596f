//! How closely a next-token model's proven semantics (the exact integer model) track its float
//! model on held-out text: the fraction of positions where both predict the same token, each
//! one's accuracy against the text's actual next token, and each one's perplexity.

use super::Compiled;
use crate::error::{Error, Result};
use crate::ir::Model;
use crate::tensor::argmax;

/// Next-token agreement, accuracy and perplexity of a float model and of its quantized, proven
/// integer semantics over `positions` held-out windows.
#[derive(Clone, Copy, Debug)]
pub struct NextTokenQuality {
    pub positions: usize,
    /// Fraction of positions where the proven model's next token is the float model's.
    pub agreement: f64,
    pub float_accuracy: f64,
    pub quantized_accuracy: f64,
    /// exp of the mean negative log-likelihood of the actual next token (softmax of the logits).
    pub float_perplexity: f64,
    pub quantized_perplexity: f64,
}

/// The negative log-likelihood of `target` under softmax(`logits`), computed stably.
fn nll(logits: &[f64], target: usize) -> f64 {
    let max = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = logits.iter().map(|&l| (l - max).exp()).sum();
    max + sum.ln() - logits[target]
}

/// Measures [`NextTokenQuality`] on `(window, next token)` pairs. The model's output must be
/// the next token's logits (one per vocabulary entry).
pub fn next_token_quality(
    model: &Model,
    compiled: &Compiled,
    windows: impl IntoIterator<Item = (Vec<f32>, usize)>,
) -> Result<NextTokenQuality> {
    let (mut n, mut agree, mut float_ok, mut int_ok) = (0usize, 0usize, 0usize, 0usize);
    let (mut float_nll, mut int_nll) = (0.0, 0.0);
    for (x, next) in windows {
        let (float, quantized) = super::float_and_proven_outputs(model, compiled, &x)?;
        if next >= float.len() || quantized.len() != float.len() {
            return Err(Error::InvalidInput(format!(
                "next token {next} for a model with {} outputs",
                float.len()
            )));
        }
        let (a, b) = (argmax(&float), argmax(&quantized));
        agree += (a == b) as usize;
        float_ok += (a == next) as usize;
        int_ok += (b == next) as usize;
        float_nll += nll(&float, next);
        int_nll += nll(&quantized, next);
        n += 1;
    }
    if n == 0 {
        return Err(Error::InvalidInput("no held-out positions".into()));
    }
    let frac = |k: usize| k as f64 / n as f64;
    Ok(NextTokenQuality {
        positions: n,
        agreement: frac(agree),
        float_accuracy: frac(float_ok),
        quantized_accuracy: frac(int_ok),
        float_perplexity: (float_nll / n as f64).exp(),
        quantized_perplexity: (int_nll / n as f64).exp(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_likelihood_of_a_token_is_its_softmax_probability() {
        let logits = [1.0, 2.0, 3.0];
        let p = (2.0f64).exp() / (1.0f64.exp() + 2.0f64.exp() + 3.0f64.exp());
        assert!((nll(&logits, 1) + p.ln()).abs() < 1e-12);
        // Large logits do not overflow.
        assert!((nll(&[1000.0, 1000.0], 0) - 2f64.ln()).abs() < 1e-12);
    }
}
