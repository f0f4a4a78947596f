//! Elementwise operators: Add (of two tensors, or of a broadcast constant such as a bias), Relu
//! and Clip.

use crate::tensor::{broadcast_indices, Tensor};
use serde::{Deserialize, Serialize};

mod quant;
pub(crate) use quant::{clip_activation, lower_add, lower_clip, lower_relu};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum AddOperand {
    /// The node's second tensor input (a residual connection).
    Tensor,
    /// A constant broadcast to the input's shape.
    Constant(Tensor),
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Clip {
    pub min: f32,
    pub max: f32,
}

pub(crate) fn add(op: &AddOperand, args: &[&Tensor], shape: Vec<usize>) -> Tensor {
    let x = args[0];
    let data = match op {
        AddOperand::Tensor => x
            .data
            .iter()
            .zip(&args[1].data)
            .map(|(a, b)| a + b)
            .collect(),
        AddOperand::Constant(c) => {
            let idx = broadcast_indices(&c.shape, &shape).expect("checked at build time");
            x.data.iter().zip(idx).map(|(a, i)| a + c.data[i]).collect()
        }
    };
    Tensor::new(shape, data)
}

pub(crate) fn map(x: &Tensor, f: impl Fn(f32) -> f32) -> Tensor {
    Tensor::new(x.shape.clone(), x.data.iter().map(|&v| f(v)).collect())
}
