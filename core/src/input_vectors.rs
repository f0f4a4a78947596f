//! Known answers for input quantization, one set per input type a model can have: uint8 and int8
//! (TFLite's affine quantization, zero points 128, 0 and -128) and a power-of-two float scale.
//!
//! Why: a consumer checks that a proof is about the input it sent by quantizing that input
//! itself, natively or in the browser's WebAssembly, and hashing it. That check is only as good
//! as its agreement with the prover's quantization on every value: negative values, exact ties
//! (rounded half away from zero, as TFLite's `QUANTIZE` and `std::round` do), and values that
//! saturate the stored range. The core tests hold the prover's path (`QGraph::quantize_input`)
//! and a key header's (`TensorSpec::quantize`, after the header's JSON round trip) to these
//! answers; the WebAssembly tests hold the verifier compiled to WebAssembly to the same ones.
//! The expected integers are worked out by hand in the comments, not computed.

use crate::qgraph::AffineQuant;

/// One input type and the integers (centred: stored value minus zero point) that given float
/// values must quantize to.
pub struct InputCase {
    pub name: &'static str,
    /// Power-of-two scale, when `affine` is None.
    pub frac_bits: i32,
    pub affine: Option<AffineQuant>,
    /// Activation bits of a model with this input.
    pub act_bits: u32,
    /// (float value, expected integer).
    pub values: Vec<(f32, i64)>,
}

/// The cases. Scales are powers of two so that `x / scale` is exact in `f32` and the ties
/// below are real ties.
pub fn input_cases() -> Vec<InputCase> {
    let affine = |scale: f32, zero_point: i64, q_min: i64, q_max: i64| {
        Some(AffineQuant {
            scale,
            zero_point,
            q_min,
            q_max,
        })
    };
    vec![
        InputCase {
            // MobileNet's uint8 input: scale 1/128, zero point 128.
            name: "uint8, zero point 128",
            frac_bits: 0,
            affine: affine(1.0 / 128.0, 128, 0, 255),
            act_bits: 16,
            values: vec![
                (0.0, 0),
                (0.5 / 128.0, 1),   // +0.5: a tie, away from zero
                (-0.5 / 128.0, -1), // -0.5: a tie, away from zero
                (-1.5 / 128.0, -2), // -1.5
                (0.99, 127),        // 126.72 -> 127, stored 255
                (-1.0, -128),       // stored 0
                (-2.0, -128),       // -256 saturates at stored 0
                (5.0, 127),         // 640 saturates at stored 255
                (0.3, 38),          // 38.4
                (-0.3, -38),        // -38.4
            ],
        },
        InputCase {
            // An int8 input with zero point 0 (TensorFlow's default for symmetric inputs).
            name: "int8, zero point 0",
            frac_bits: 0,
            affine: affine(1.0 / 64.0, 0, -128, 127),
            act_bits: 16,
            values: vec![
                (0.0, 0),
                (0.5 / 64.0, 1),
                (-0.5 / 64.0, -1),
                (-2.5 / 64.0, -3),
                (127.0 / 64.0, 127),
                (2.5, 127), // 160 saturates
                (-2.0, -128),
                (-3.0, -128), // -192 saturates
                (0.3, 19),    // 19.2
                (-0.3, -19),
            ],
        },
        InputCase {
            // An int8 input with zero point -128: [0, 1) images at scale 1/256.
            name: "int8, zero point -128",
            frac_bits: 0,
            affine: affine(1.0 / 256.0, -128, -128, 127),
            act_bits: 16,
            values: vec![
                (0.0, 0),             // stored -128
                (1.5 / 256.0, 2),     // 1.5 -> 2
                (0.5, 128),           // stored 0
                (255.5 / 256.0, 255), // 255.5 -> 256, stored 128 saturates at 127
                (1.0, 255),           // stored 128 saturates at 127
                (-0.1, 0),            // -25.6 -> -26, stored -154 saturates at -128
                (-0.5 / 256.0, 0),    // -0.5 -> -1, stored -129 saturates at -128
            ],
        },
        InputCase {
            // The models zkinfer quantizes itself: value · 2^frac_bits, rounded half away from
            // zero (an error, not a clamp, outside the domain).
            name: "float, 2^4",
            frac_bits: 4,
            affine: None,
            act_bits: 13,
            values: vec![
                (0.0, 0),
                (1.0 / 32.0, 1),   // 0.5
                (-1.0 / 32.0, -1), // -0.5
                (-3.0 / 32.0, -2), // -1.5
                (1.0, 16),
                (-2.53, -40),     // -40.48
                (255.9375, 4095), // the top of the 13-bit domain
                (-256.0, -4096),  // its bottom
            ],
        },
    ]
}

#[cfg(all(test, feature = "prover"))]
mod tests {
    use super::*;
    use crate::circuit::Visibility;
    use crate::prove::{compile_quantized, CompileOptions};
    use crate::verifier_key::VkHeader;

    /// The prover's quantization (a compiled graph's `quantize_input`) and the verifier's (the
    /// input spec of the key header that graph writes, read back from its JSON) both give the
    /// known answers, for every input type.
    #[test]
    fn prover_and_key_header_quantize_every_input_type_to_the_known_answers() {
        // A compiled graph and the header its key carries; each case changes only their input.
        let opts = CompileOptions {
            visibility: Visibility::PUBLIC,
            ..Default::default()
        };
        let compiled = compile_quantized(crate::test_fixtures::tiny_graph(), &opts).unwrap();
        let key_header = compiled.vk_header("dev");
        for case in input_cases() {
            let mut graph = compiled.graph.clone();
            graph.act_bits = case.act_bits;
            let n = case.values.len();
            let input = graph.input;
            graph.tensors[input].shape = vec![1, n];
            graph.tensors[input].frac_bits = case.frac_bits;
            graph.tensors[input].affine = case.affine;
            let x: Vec<f32> = case.values.iter().map(|v| v.0).collect();
            let expected: Vec<i64> = case.values.iter().map(|v| v.1).collect();
            assert_eq!(
                graph.quantize_input(&x).unwrap(),
                expected,
                "{}: the prover",
                case.name
            );
            let mut header = key_header.clone();
            header.input.shape = vec![1, n];
            header.input.frac_bits = case.frac_bits;
            header.input.affine = case.affine;
            let read: VkHeader =
                serde_json::from_str(&serde_json::to_string(&header).unwrap()).unwrap();
            assert_eq!(
                read.input.quantize(&x, case.act_bits).unwrap(),
                expected,
                "{}: the key header",
                case.name
            );
        }
    }

    /// Outside a power-of-two input's domain the prover refuses the input rather than clamping
    /// it, so no proof exists for a value the consumer's check would clamp.
    #[test]
    fn a_float_input_outside_its_domain_is_refused_not_clamped() {
        let case = input_cases().pop().unwrap();
        assert!(case.affine.is_none());
        for x in [256.0f32, -256.0625] {
            let err = crate::qgraph::quantize_values(&[x], &[1], case.frac_bits, case.act_bits)
                .unwrap_err()
                .to_string();
            assert!(err.contains("outside the range"), "{x}: {err}");
        }
    }
}
