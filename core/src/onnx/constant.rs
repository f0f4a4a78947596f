//! Constants known at load time (initializers and Constant nodes), read from ONNX tensors.

use super::bad_model;
use crate::error::Result;
use crate::tensor::Tensor;
use tract_onnx::pb::{self, tensor_proto::DataType};

/// A constant known at load time: initializers and Constant nodes.
#[derive(Clone)]
pub(super) struct Const {
    pub(super) shape: Vec<usize>,
    pub(super) values: Vec<f64>,
    /// Of an integer type (shape arithmetic divides these with truncation).
    pub(super) integer: bool,
}

/// Converts a TensorProto to f64 values. Only numeric types a float model uses are accepted;
/// anything else is an error rather than reaching parser paths that are not implemented.
pub(super) fn load_const(t: &pb::TensorProto) -> Result<Const> {
    let dt = DataType::try_from(t.data_type)
        .map_err(|_| bad_model(format!("tensor '{}' has unknown type", t.name)))?;
    if !matches!(
        dt,
        DataType::Float | DataType::Double | DataType::Int64 | DataType::Int32 | DataType::Bool
    ) {
        return Err(bad_model(format!(
            "tensor '{}' has unsupported element type {dt:?}",
            t.name
        )));
    }
    if !t.external_data.is_empty() || t.data_location == Some(1) {
        return Err(bad_model(format!(
            "tensor '{}' uses external data, which is not supported",
            t.name
        )));
    }
    let shape: Vec<usize> = t
        .dims
        .iter()
        .map(|&d| {
            usize::try_from(d)
                .map_err(|_| bad_model(format!("tensor '{}' has dimension {d}", t.name)))
        })
        .collect::<Result<_>>()?;
    let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    let n = n.ok_or_else(|| bad_model(format!("tensor '{}' is too large", t.name)))?;
    let elem = match dt {
        DataType::Bool => 1,
        DataType::Float | DataType::Int32 => 4,
        _ => 8,
    };
    let stored = if t.raw_data.is_empty() {
        t.float_data.len() + t.int64_data.len() + t.int32_data.len() + t.double_data.len()
    } else {
        t.raw_data.len() / elem
    };
    if stored != n {
        return Err(bad_model(format!(
            "tensor '{}' declares {n} values but stores {stored}",
            t.name
        )));
    }
    let tensor =
        tract_onnx::tensor::load_tensor(&tract_onnx::data_resolver::FopenDataResolver, t, None)
            .map_err(|e| bad_model(format!("tensor '{}': {e:#}", t.name)))?;
    let as_f64 = tensor
        .cast_to::<f64>()
        .map_err(|e| bad_model(format!("tensor '{}': {e:#}", t.name)))?;
    let values: Vec<f64> = as_f64
        .to_plain_array_view::<f64>()
        .map_err(|e| bad_model(format!("{e:#}")))?
        .iter()
        .copied()
        .collect();
    Ok(Const {
        shape,
        values,
        integer: matches!(dt, DataType::Int64 | DataType::Int32 | DataType::Bool),
    })
}

impl Const {
    pub(super) fn to_tensor(&self) -> Tensor {
        Tensor::new(
            self.shape.clone(),
            self.values.iter().map(|&v| v as f32).collect(),
        )
    }
}
