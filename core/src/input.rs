//! Model inputs from JSON: `{"input_data": [[...], ...]}` (one flattened NCHW sample per inner
//! list, the common EZKL/ONNX-tooling layout), or a bare list of numbers. A single inner list
//! whose length is a multiple of the input size holds several samples back to back. The object
//! form may carry the consumer's `"input_salt"` (64 hex digits) for a model whose input hash is
//! salted ([`crate::circuit::TensorVisibility::Salted`]): [`parse_input_salt`].

use crate::error::{Error, Result};
use serde_json::Value;

/// Parses one or more samples of `input_len` values each.
pub fn parse_samples(json: &str, input_len: usize) -> Result<Vec<Vec<f32>>> {
    samples_of(&parse_json(json)?, input_len)
}

fn parse_json(json: &str) -> Result<Value> {
    serde_json::from_str(json).map_err(|e| Error::InvalidInput(format!("not valid JSON: {e}")))
}

/// [`parse_samples`] on parsed JSON.
fn samples_of(v: &Value, input_len: usize) -> Result<Vec<Vec<f32>>> {
    let lists: Vec<&Value> = match v {
        Value::Object(map) => match map.get("input_data") {
            Some(Value::Array(items)) if items.iter().all(Value::is_array) => {
                items.iter().collect()
            }
            Some(Value::Array(_)) => vec![map.get("input_data").unwrap()],
            _ => {
                return Err(Error::InvalidInput(
                    "expected an \"input_data\" list of lists of numbers".into(),
                ))
            }
        },
        Value::Array(_) => vec![v],
        _ => {
            return Err(Error::InvalidInput(
                "expected {\"input_data\": [[...]]} or a list of numbers".into(),
            ))
        }
    };
    let mut samples = vec![];
    for (li, list) in lists.into_iter().enumerate() {
        let nums = flatten_numbers(list)
            .map_err(|e| Error::InvalidInput(format!("input_data[{li}]: {e}")))?;
        if nums.is_empty() || nums.len() % input_len != 0 {
            return Err(Error::InvalidInput(format!(
                "input_data[{li}] has {} values; the model's input has {input_len}",
                nums.len()
            )));
        }
        samples.extend(nums.chunks(input_len).map(<[f32]>::to_vec));
    }
    if samples.is_empty() {
        return Err(Error::InvalidInput("no input samples".into()));
    }
    Ok(samples)
}

/// Parses exactly one sample.
pub fn parse_single(json: &str, input_len: usize) -> Result<Vec<f32>> {
    single_of(&parse_json(json)?, input_len)
}

/// One sample and the input salt it was sent with, parsing the JSON once (what a server does
/// with each request body).
pub fn parse_single_with_salt(
    json: &str,
    input_len: usize,
) -> Result<(Vec<f32>, Option<halo2curves::bn256::Fr>)> {
    let v = parse_json(json)?;
    Ok((single_of(&v, input_len)?, salt_of(&v)?))
}

/// [`parse_single`] on parsed JSON.
fn single_of(v: &Value, input_len: usize) -> Result<Vec<f32>> {
    let mut s = samples_of(v, input_len)?;
    if s.len() != 1 {
        return Err(Error::InvalidInput(format!(
            "expected one input sample, found {}",
            s.len()
        )));
    }
    Ok(s.remove(0))
}

/// The `"input_salt"` of an input JSON object, if it has one.
pub fn parse_input_salt(json: &str) -> Result<Option<halo2curves::bn256::Fr>> {
    salt_of(&parse_json(json)?)
}

/// [`parse_input_salt`] on parsed JSON.
fn salt_of(v: &Value) -> Result<Option<halo2curves::bn256::Fr>> {
    match v.get("input_salt") {
        None => Ok(None),
        Some(Value::String(hex)) => crate::commitment::parse_input_salt(hex).map(Some),
        Some(other) => Err(Error::InvalidInput(format!(
            "\"input_salt\" must be a string of 64 hex digits, not {other}"
        ))),
    }
}

/// Numbers of a (possibly nested) list, in row-major order.
fn flatten_numbers(v: &Value) -> std::result::Result<Vec<f32>, String> {
    let mut out = vec![];
    let mut stack = vec![v];
    let mut depth_guard = 0;
    // Iterative so deeply nested input cannot overflow the stack.
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => {
                depth_guard += 1;
                if depth_guard > 1 << 24 {
                    return Err("too deeply nested".into());
                }
                stack.extend(items.iter().rev());
            }
            Value::Number(n) => {
                let f = n.as_f64().ok_or("number out of range")? as f32;
                if !f.is_finite() {
                    return Err(format!("value {n} is not a finite 32-bit float"));
                }
                out.push(f);
            }
            other => return Err(format!("expected a number, found {other}")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_layouts_and_rejects_bad_ones() {
        assert_eq!(
            parse_single(r#"{"input_data": [[1, 2.5, 3]]}"#, 3).unwrap(),
            vec![1.0, 2.5, 3.0]
        );
        assert_eq!(
            parse_single("[[1, 2], [3, 4]]", 4).unwrap(),
            vec![1.0, 2.0, 3.0, 4.0]
        );
        assert_eq!(
            parse_samples(r#"{"input_data": [[1, 2, 3, 4]]}"#, 2)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            parse_samples(r#"{"input_data": [[1, 2], [3, 4]]}"#, 2)
                .unwrap()
                .len(),
            2
        );
        assert!(parse_single(r#"{"input_data": [[1, 2]]}"#, 3).is_err());
        assert!(parse_single(r#"{"input_data": [["a"]]}"#, 1).is_err());
        assert!(parse_single(r#"{"input_data": [[1e300]]}"#, 1).is_err());
        assert!(parse_single("not json", 1).is_err());
        assert!(parse_single(r#"{"other": 1}"#, 1).is_err());
    }

    #[test]
    fn an_input_salt_is_read_when_present_and_refused_when_malformed() {
        let salt = "0x00000000000000000000000000000000000000000000000000000000000000ff";
        let with = format!(r#"{{"input_data": [[1, 2]], "input_salt": "{salt}"}}"#);
        assert_eq!(parse_single(&with, 2).unwrap(), vec![1.0, 2.0]);
        assert_eq!(
            parse_single_with_salt(&with, 2).unwrap(),
            (vec![1.0, 2.0], Some(halo2curves::bn256::Fr::from(255)))
        );
        assert_eq!(
            parse_input_salt(&with).unwrap(),
            Some(halo2curves::bn256::Fr::from(255))
        );
        assert_eq!(parse_input_salt(r#"{"input_data": [[1]]}"#).unwrap(), None);
        assert_eq!(parse_input_salt("[1, 2]").unwrap(), None);
        for bad in [
            r#"{"input_salt": 7}"#,
            r#"{"input_salt": "0x12"}"#,
            // The BN254 scalar modulus itself: not a field element.
            r#"{"input_salt": "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001"}"#,
        ] {
            assert!(parse_input_salt(bad).is_err(), "{bad}");
        }
    }
}
