//! Fully connected layer y = W x + b, applied to every row of the input (its last axis):
//! an input `[..., in_features]` gives `[..., out_features]`, as ONNX MatMul by a constant
//! matrix does (and Gemm, whose input is `[M, K]`).

use crate::tensor::Tensor;
use serde::{Deserialize, Serialize};

mod quant;
pub(crate) use quant::lower;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Dense {
    /// [out_features, in_features]
    pub weight: Tensor,
    pub bias: Vec<f32>,
}

impl Dense {
    pub fn in_features(&self) -> usize {
        self.weight.shape[1]
    }

    pub fn out_features(&self) -> usize {
        self.weight.shape[0]
    }

    pub fn output_shape(&self, x: &[usize]) -> Result<Vec<usize>, String> {
        if x.last() != Some(&self.in_features()) {
            return Err(format!(
                "expects rows of {} values (input [..., {0}]), got {x:?}",
                self.in_features()
            ));
        }
        if self.bias.len() != self.out_features() {
            return Err(format!(
                "bias has {} values for {} outputs",
                self.bias.len(),
                self.out_features()
            ));
        }
        let mut out = x.to_vec();
        *out.last_mut().expect("checked above") = self.out_features();
        Ok(out)
    }

    pub fn eval(&self, x: &Tensor, out_shape: Vec<usize>) -> Tensor {
        let (n_in, n_out) = (self.in_features(), self.out_features());
        let data = (0..x.data.len() / n_in * n_out)
            .map(|out| {
                let (r, o) = (out / n_out, out % n_out);
                let row = &self.weight.data[o * n_in..(o + 1) * n_in];
                let dot: f64 = row
                    .iter()
                    .zip(&x.data[r * n_in..(r + 1) * n_in])
                    .map(|(w, v)| *w as f64 * *v as f64)
                    .sum();
                (dot + self.bias[o] as f64) as f32
            })
            .collect();
        Tensor::new(out_shape, data)
    }
}
