//! Max, average and sum pooling over 2-D windows; global average pooling is an average pool
//! whose window is the whole feature map, ReduceSum a sum pool.

use crate::ops::window::Window2d;
use crate::tensor::Tensor;
use serde::{Deserialize, Serialize};

mod quant;
pub(crate) use quant::lower;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PoolKind {
    Max,
    /// `count_include_pad`: divide by the full kernel area even where the window overlaps padding.
    Average {
        count_include_pad: bool,
    },
    /// The window's sum (ReduceSum, and softmax's normaliser).
    Sum,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Pool {
    pub kind: PoolKind,
    pub window: Window2d,
}

impl Pool {
    pub fn output_shape(&self, x: &[usize]) -> Result<Vec<usize>, String> {
        if x.len() != 4 {
            return Err(format!("expected a 4-D input, got {x:?}"));
        }
        if x[0] != 1 {
            return Err(format!(
                "input {x:?} holds {} samples (one at a time)",
                x[0]
            ));
        }
        let (oh, ow) = self
            .window
            .output_hw(x[2], x[3])
            .ok_or("window larger than the padded input")?;
        Ok(vec![1, x[1], oh, ow])
    }

    /// Input flat indices of the window of output element `out` (padding excluded).
    pub fn window_indices(
        &self,
        in_shape: &[usize],
        out_shape: &[usize],
        out: usize,
    ) -> Vec<usize> {
        self.window.pooled_indices(in_shape, out_shape, out)
    }

    /// The number an average divides by for output element `out`.
    pub fn divisor(&self, window_len: usize) -> usize {
        match self.kind {
            PoolKind::Average {
                count_include_pad: true,
            } => self.window.kernel[0] * self.window.kernel[1],
            PoolKind::Sum => 1,
            PoolKind::Max | PoolKind::Average { .. } => window_len,
        }
    }

    pub fn eval(&self, x: &Tensor, out_shape: Vec<usize>) -> Tensor {
        let n: usize = out_shape.iter().product();
        let data = (0..n)
            .map(|o| {
                let idx = self.window_indices(&x.shape, &out_shape, o);
                match self.kind {
                    PoolKind::Max => idx
                        .iter()
                        .map(|&i| x.data[i])
                        .fold(f32::NEG_INFINITY, f32::max),
                    PoolKind::Average { .. } | PoolKind::Sum => {
                        let s: f64 = idx.iter().map(|&i| x.data[i] as f64).sum();
                        (s / self.divisor(idx.len()) as f64) as f32
                    }
                }
            })
            .collect();
        Tensor::new(out_shape, data)
    }
}
