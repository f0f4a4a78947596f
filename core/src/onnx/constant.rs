//! Constants known at load time (initializers and Constant nodes), read from ONNX tensors.

use super::bad_model;
use crate::error::Result;
use crate::tensor::Tensor;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use tract_onnx::pb::{self, tensor_proto::DataType};

/// Reads into `raw_data` every initializer the exporter stored outside the model file (ONNX's
/// external data: `torch.onnx.export` writes any non-tiny weight to `MODEL.onnx.data` by
/// default), from `dir`, the model file's directory. A location must be a plain relative path
/// inside `dir` (no `..`, not absolute, not leading out through a link), and the bytes read are
/// exactly what the tensor's type and shape declare: a model file cannot make the loader read
/// anything else, or more.
pub(super) fn read_external_data(graph: &mut pb::GraphProto, dir: Option<&Path>) -> Result<()> {
    for t in graph.initializer.iter_mut() {
        if t.external_data.is_empty() && t.data_location != Some(1) {
            continue;
        }
        let Some(dir) = dir else {
            return Err(bad_model(format!(
                "tensor '{}' uses external data, which needs the model's own file (its \
                 directory holds the data)",
                t.name
            )));
        };
        let entry = |key: &str| {
            t.external_data
                .iter()
                .find(|e| e.key == key)
                .map(|e| e.value.as_str())
        };
        let number = |key: &str| -> Result<Option<u64>> {
            entry(key)
                .map(|v| {
                    v.parse::<u64>().map_err(|_| {
                        bad_model(format!("tensor '{}': external data {key} '{v}'", t.name))
                    })
                })
                .transpose()
        };
        let location = entry("location").ok_or_else(|| {
            bad_model(format!(
                "tensor '{}': external data without a location",
                t.name
            ))
        })?;
        let relative = Path::new(location);
        let plain = relative
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if location.is_empty() || !plain {
            return Err(bad_model(format!(
                "tensor '{}': external data location '{location}' is not a relative path \
                 inside the model's directory",
                t.name
            )));
        }
        let file = dir.join(relative);
        let inside = match (file.canonicalize(), dir.canonicalize()) {
            (Ok(f), Ok(d)) => f.starts_with(&d),
            _ => false,
        };
        if !inside {
            return Err(bad_model(format!(
                "tensor '{}': external data file '{}' is missing or outside the model's \
                 directory",
                t.name,
                file.display()
            )));
        }
        let expected = declared_bytes(t)?;
        let offset = number("offset")?.unwrap_or(0);
        let length = number("length")?.unwrap_or(expected);
        if length != expected {
            return Err(bad_model(format!(
                "tensor '{}': external data of {length} bytes for {expected} declared",
                t.name
            )));
        }
        let read = |file: &Path| -> std::io::Result<Vec<u8>> {
            let mut f = std::fs::File::open(file)?;
            let size = f.metadata()?.len();
            if offset.checked_add(length).is_none_or(|end| end > size) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("bytes {offset}..{} of a {size}-byte file", offset + length),
                ));
            }
            f.seek(SeekFrom::Start(offset))?;
            let mut bytes = vec![0u8; length as usize];
            f.read_exact(&mut bytes)?;
            Ok(bytes)
        };
        t.raw_data = read(&file).map_err(|e| {
            bad_model(format!(
                "tensor '{}': external data in '{}': {e}",
                t.name,
                file.display()
            ))
        })?;
        t.external_data.clear();
        t.data_location = None;
    }
    Ok(())
}

/// The bytes a tensor of its type and shape holds as raw data (of the types [`load_const`]
/// reads).
fn declared_bytes(t: &pb::TensorProto) -> Result<u64> {
    let (_, elem) = element_type(t)?;
    t.dims
        .iter()
        .try_fold(elem as u64, |a, &d| a.checked_mul(u64::try_from(d).ok()?))
        .ok_or_else(|| bad_model(format!("tensor '{}' is too large", t.name)))
}

/// A tensor's element type, of those a float model uses, and its size in bytes.
fn element_type(t: &pb::TensorProto) -> Result<(DataType, usize)> {
    let dt = DataType::try_from(t.data_type)
        .map_err(|_| bad_model(format!("tensor '{}' has unknown type", t.name)))?;
    let bytes = match dt {
        // 8- and 16-bit integers and float16: quantized weights, their zero points, and
        // weights stored at half precision.
        DataType::Bool | DataType::Int8 | DataType::Uint8 => 1,
        DataType::Int16 | DataType::Uint16 | DataType::Float16 => 2,
        DataType::Float | DataType::Int32 => 4,
        DataType::Double | DataType::Int64 => 8,
        _ => {
            return Err(bad_model(format!(
                "tensor '{}' has unsupported element type {dt:?}",
                t.name
            )))
        }
    };
    Ok((dt, bytes))
}

/// A constant known at load time: initializers and Constant nodes.
#[derive(Clone)]
pub(super) struct Const {
    pub(super) shape: Vec<usize>,
    pub(super) values: Vec<f64>,
    /// Of an integer type (shape arithmetic divides these with truncation).
    pub(super) integer: bool,
}

/// A Constant node's value: its `value` tensor, or (opset 12 on) a `value_float`,
/// `value_floats`, `value_int` or `value_ints` attribute. Strings and sparse tensors are refused
/// (the message says which attribute the node has).
pub(super) fn constant_node_value(
    node: &pb::NodeProto,
) -> std::result::Result<Result<Const>, String> {
    let Some(a) = node.attribute.first() else {
        return Err("no value attribute".into());
    };
    let c = |shape: Vec<usize>, values: Vec<f64>, integer: bool| {
        Ok(Ok(Const {
            shape,
            values,
            integer,
        }))
    };
    match a.name.as_str() {
        "value" => match &a.t {
            Some(t) => Ok(load_const(t)),
            None => Err("a 'value' attribute without a tensor".into()),
        },
        "value_float" => c(vec![], vec![a.f as f64], false),
        "value_floats" => c(
            vec![a.floats.len()],
            a.floats.iter().map(|&v| v as f64).collect(),
            false,
        ),
        "value_int" => c(vec![], vec![a.i as f64], true),
        "value_ints" => c(
            vec![a.ints.len()],
            a.ints.iter().map(|&v| v as f64).collect(),
            true,
        ),
        other => Err(format!("a '{other}' value (only numbers)")),
    }
}

/// Converts a TensorProto to f64 values. Only numeric types a float model uses are accepted;
/// anything else is an error rather than reaching parser paths that are not implemented.
pub(super) fn load_const(t: &pb::TensorProto) -> Result<Const> {
    let (dt, elem) = element_type(t)?;
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
        integer: matches!(
            dt,
            DataType::Int64
                | DataType::Int32
                | DataType::Int16
                | DataType::Uint16
                | DataType::Int8
                | DataType::Uint8
                | DataType::Bool
        ),
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
