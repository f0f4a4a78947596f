//! How well a compiled model's proven semantics (the exact integer model) do on held-out data,
//! and how closely they track the float model: a classifier's top-1 accuracy on labelled items
//! ([`evaluate`], `zkinfer evaluate`), and a next-token model's agreement, accuracy and
//! perplexity on held-out text ([`next_token_quality`]).

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

/// A compiled classifier on labelled items: the proven integer model's top-1 accuracy and,
/// when the float model is given, how the two compare.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Evaluation {
    pub samples: usize,
    /// Items whose label is the proven integer model's class.
    pub quantized_correct: usize,
    pub quantized_accuracy: f64,
    pub float: Option<FloatComparison>,
}

/// The float model beside its compiled integer model on the same items.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct FloatComparison {
    pub float_correct: usize,
    pub float_accuracy: f64,
    /// Fraction of items where the proven model's class is the float model's.
    pub agreement: f64,
    /// Largest |float output - dequantized integer output| over every output of every item.
    pub max_abs_difference: f64,
}

/// Evaluates `compiled` (and `float_model`, when given) on labelled `items`. Every item's
/// length and label, and the float model's input and output sizes, are checked before any
/// model runs, each failure naming the item.
pub fn evaluate(
    compiled: &Compiled,
    float_model: Option<&Model>,
    items: &[(Vec<f32>, usize)],
) -> Result<Evaluation> {
    let input_len: usize = compiled.graph.input_tensor().shape.iter().product();
    let classes: usize = compiled.graph.output_tensor().shape.iter().product();
    if items.is_empty() {
        return Err(Error::InvalidInput(
            "no labelled items to evaluate on".into(),
        ));
    }
    for (i, (x, label)) in items.iter().enumerate() {
        if x.len() != input_len {
            return Err(Error::InvalidInput(format!(
                "item {i} has {} input values; the model reads {input_len}",
                x.len()
            )));
        }
        if let Some(bad) = x.iter().find(|v| !v.is_finite()) {
            return Err(Error::InvalidInput(format!("item {i} has the value {bad}")));
        }
        if *label >= classes {
            return Err(Error::InvalidInput(format!(
                "item {i} is labelled {label}, but the model has {classes} outputs (classes 0..{})",
                classes - 1
            )));
        }
    }
    if let Some(m) = float_model {
        let out: usize = m.output_shape().iter().product();
        if m.input_len() != input_len || out != classes {
            return Err(Error::InvalidInput(format!(
                "the float model maps {} inputs to {out} outputs; the compiled model maps \
                 {input_len} to {classes}: not the model it was compiled from",
                m.input_len()
            )));
        }
    }
    let (mut int_ok, mut float_ok, mut agree, mut max_diff) = (0usize, 0usize, 0usize, 0f64);
    for (x, label) in items {
        let quantized = super::proven_output(compiled, x)?;
        let class = argmax(&quantized);
        int_ok += (class == *label) as usize;
        if let Some(m) = float_model {
            let float = super::float_output(m, x)?;
            let float_class = argmax(&float);
            float_ok += (float_class == *label) as usize;
            agree += (float_class == class) as usize;
            for (a, b) in float.iter().zip(&quantized) {
                max_diff = max_diff.max((a - b).abs());
            }
        }
    }
    let n = items.len();
    let frac = |k: usize| k as f64 / n as f64;
    Ok(Evaluation {
        samples: n,
        quantized_correct: int_ok,
        quantized_accuracy: frac(int_ok),
        float: float_model.map(|_| FloatComparison {
            float_correct: float_ok,
            float_accuracy: frac(float_ok),
            agreement: frac(agree),
            max_abs_difference: max_diff,
        }),
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

    mod evaluation {
        use super::super::*;
        use crate::ir::{Dense, ModelBuilder, Op};
        use crate::prove::{compile, CompileOptions};
        use crate::tensor::Tensor;

        /// Two inputs, two classes: class 0 when x0 > x1.
        fn model() -> Model {
            let mut b = ModelBuilder::new("eval", "x", vec![1, 2]).unwrap();
            let dense = Dense {
                weight: Tensor::new(vec![2, 2], vec![1.0, -1.0, -1.0, 1.0]),
                bias: vec![0.0, 0.0],
            };
            let y = b.add("d", Op::Dense(dense), vec![0], "y", None).unwrap();
            b.finish(y).unwrap()
        }

        fn compiled(model: &Model) -> Compiled {
            let samples = vec![vec![1.0, -1.0], vec![-1.0, 1.0], vec![0.5, 0.25]];
            compile(model, &samples, &CompileOptions::default()).unwrap()
        }

        #[test]
        fn accuracy_counts_the_items_whose_label_is_the_proven_class() {
            let m = model();
            let c = compiled(&m);
            // Three labelled right, one wrong.
            let items = vec![
                (vec![0.9, 0.1], 0),
                (vec![0.1, 0.9], 1),
                (vec![-0.5, 0.5], 1),
                (vec![0.7, -0.2], 1),
            ];
            let e = evaluate(&c, Some(&m), &items).unwrap();
            assert_eq!((e.samples, e.quantized_correct), (4, 3));
            assert_eq!(e.quantized_accuracy, 0.75);
            let f = e.float.unwrap();
            assert_eq!((f.float_correct, f.agreement), (3, 1.0));
            assert!(
                f.max_abs_difference > 0.0 && f.max_abs_difference < 0.05,
                "{f:?}"
            );
            let alone = evaluate(&c, None, &items).unwrap();
            assert_eq!(alone.quantized_correct, 3);
            assert!(alone.float.is_none());
        }

        #[test]
        fn bad_items_are_refused_naming_the_item_before_any_model_runs() {
            let m = model();
            let c = compiled(&m);
            let err = |items: Vec<(Vec<f32>, usize)>| {
                evaluate(&c, Some(&m), &items).unwrap_err().to_string()
            };
            assert!(err(vec![]).contains("no labelled items"));
            let e = err(vec![(vec![0.1, 0.2], 0), (vec![0.1], 0)]);
            assert!(
                e.contains("item 1 has 1 input values; the model reads 2"),
                "{e}"
            );
            let e = err(vec![(vec![0.1, 0.2], 2)]);
            assert!(
                e.contains("item 0 is labelled 2, but the model has 2 outputs"),
                "{e}"
            );
            let e = err(vec![(vec![f32::NAN, 0.2], 0)]);
            assert!(e.contains("item 0 has the value NaN"), "{e}");
            // Another float model than the compiled one.
            let mut b = ModelBuilder::new("other", "x", vec![1, 3]).unwrap();
            let dense = Dense {
                weight: Tensor::new(vec![2, 3], vec![1.0; 6]),
                bias: vec![0.0, 0.0],
            };
            let y = b.add("d", Op::Dense(dense), vec![0], "y", None).unwrap();
            let other = b.finish(y).unwrap();
            let e = evaluate(&c, Some(&other), &[(vec![0.1, 0.2], 0)])
                .unwrap_err()
                .to_string();
            assert!(e.contains("not the model it was compiled from"), "{e}");
        }
    }
}
