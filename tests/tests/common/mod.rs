//! Shared helpers for the end-to-end tests (included with `mod common;`).
#![allow(dead_code)]

pub mod exports;

use std::path::PathBuf;
use std::sync::OnceLock;
use zkinfer_core::prove::{Compiled, ModelDir};

#[allow(unused_imports)]
pub use zkinfer_tests::shared_data::{bench_dir, imagenet_dir, repo};

pub fn mnist_dir() -> PathBuf {
    repo().join("examples/mnist")
}

pub use zkinfer_tests::fixtures::dev_srs as srs;

pub fn mnist_model() -> zkinfer_core::ir::Model {
    zkinfer_core::onnx::load_onnx(mnist_dir().join("model.onnx")).unwrap()
}

pub fn mnist_calibration(input_len: usize) -> Vec<Vec<f32>> {
    let text = std::fs::read_to_string(mnist_dir().join("calibration.json")).unwrap();
    zkinfer_core::input::parse_samples(&text, input_len).unwrap()
}

pub fn mnist_digit(d: u8) -> Vec<f32> {
    let text = std::fs::read_to_string(mnist_dir().join(format!("digits/digit_{d}.json"))).unwrap();
    zkinfer_core::input::parse_single(&text, 784).unwrap()
}

/// The bundled MNIST example (default options: everything public; labels 0-9), from the
/// compiled fixture every test binary shares ([`zkinfer_tests::fixtures::mnist_public`]).
pub fn mnist_compiled() -> &'static Compiled {
    static C: OnceLock<Compiled> = OnceLock::new();
    C.get_or_init(|| {
        ModelDir::new(zkinfer_tests::fixtures::mnist_public())
            .compiled()
            .unwrap()
    })
}

#[allow(unused_imports)]
pub use zkinfer_core::tensor::argmax;

/// Keys for the compiled MNIST example under the development parameters.
pub struct MnistKeys {
    pub params: halo2_proofs::poly::kzg::commitment::ParamsKZG<halo2curves::bn256::Bn256>,
    pub pk: halo2_proofs::plonk::ProvingKey<halo2curves::bn256::G1Affine>,
    pub key_bytes: Vec<u8>,
    pub key: zkinfer_core::VerifierKey,
}

/// The shared MNIST fixture's keys, read from its model directory (no key generation).
pub fn mnist_keys() -> MnistKeys {
    let prover = ModelDir::new(zkinfer_tests::fixtures::mnist_public())
        .prover(&srs())
        .unwrap();
    MnistKeys {
        params: prover.params,
        pk: prover.pk,
        key_bytes: prover.verifier_key_bytes,
        key: prover.verifier_key,
    }
}

/// Keys for the MNIST example and a real proof of held-out digit `digit`, both from the shared
/// fixtures (made once per run).
pub fn mnist_digit_proof(digit: u8) -> (MnistKeys, zkinfer_core::ProofBundle) {
    let bytes = std::fs::read(zkinfer_tests::fixtures::mnist_public_proof(digit)).unwrap();
    (
        mnist_keys(),
        zkinfer_core::ProofBundle::from_bytes(&bytes).unwrap(),
    )
}

/// The dev images' (file name, 0-based class id) pairs from `dev/labels.csv`.
#[allow(dead_code)]
pub fn dev_labels(imagenet: &std::path::Path) -> Vec<(String, usize)> {
    let text = std::fs::read_to_string(imagenet.join("dev/labels.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[1].parse().unwrap())
        })
        .collect()
}

/// The parsed uint8 MobileNet v2 1.0/224 TFLite graph, or None when the data set is absent.
#[allow(dead_code)]
pub fn mobilenet_tflite() -> Option<zkinfer_core::tflite::TfGraph> {
    let imagenet = imagenet_dir()?;
    let bytes = std::fs::read(imagenet.join("mobilenet_v2_1.0_224_quant.tflite")).unwrap();
    Some(zkinfer_core::tflite::parse(&bytes, "mobilenet_v2", "test").unwrap())
}

/// Dev image `name` as the TFLite graph's raw input pixels at `size`×`size` (MobileNet's
/// preprocessing: central crop of 87.5%, the input tensor's scale and zero point).
#[allow(dead_code)]
pub fn tflite_dev_pixels(
    graph: &zkinfer_core::qgraph::QGraph,
    imagenet: &std::path::Path,
    name: &str,
    size: usize,
) -> Vec<f32> {
    zkinfer_core::image_input::ImagePreprocess::stored_pixels_of(graph.input_tensor())
        .expect("a TFLite input has a zero point")
        .load(&imagenet.join("dev").join(name), size, size)
        .unwrap()
}
