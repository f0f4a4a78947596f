//! Fully connected layer y = W x + b (ONNX Gemm and MatMul with a constant operand are folded
//! into this form by the loader).

use crate::tensor::Tensor;
use serde::{Deserialize, Serialize};

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
        if x.len() != 2 || x[1] != self.in_features() {
            return Err(format!(
                "expects input [1, {}], got {x:?}",
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
        Ok(vec![1, self.out_features()])
    }

    pub fn eval(&self, x: &Tensor, out_shape: Vec<usize>) -> Tensor {
        let n_in = self.in_features();
        let data = (0..self.out_features())
            .map(|o| {
                let row = &self.weight.data[o * n_in..(o + 1) * n_in];
                let dot: f64 = row
                    .iter()
                    .zip(&x.data)
                    .map(|(w, v)| *w as f64 * *v as f64)
                    .sum();
                (dot + self.bias[o] as f64) as f32
            })
            .collect();
        Tensor::new(out_shape, data)
    }
}
