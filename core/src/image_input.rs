//! Image inputs: decode a JPEG or PNG, take the central crop, resize bilinearly to the model's
//! input size, and map pixels to the model's input values. The mapping is part of the compiled
//! model ([`ImagePreprocess`]) and written in its verifier key, so a prover and a consumer turn
//! the same file into the same integers. The mapping itself is on the verify path (a consumer
//! reads it from the pinned key); decoding files is the prover's.

use crate::error::{Error, Result};
use crate::qgraph::{QGraph, QTensor};
#[cfg(feature = "prover")]
use crate::tflite::Loaded;
use serde::{Deserialize, Serialize};
#[cfg(feature = "prover")]
use std::path::Path;

/// The central crop every preset takes: 87.5% of each side, as ImageNet evaluation of
/// MobileNet/Inception does (and TFLite's own image pipeline for its classification models).
pub const CENTRAL_FRACTION: f32 = 0.875;

/// The height and width of a model input that takes an image: `[1, 3, H, W]` (NCHW RGB); None
/// for any other shape.
pub fn image_hw(shape: &[usize]) -> Option<(usize, usize)> {
    match shape {
        [1, 3, h, w] => Some((*h, *w)),
        _ => None,
    }
}

/// How pixels (0..=255, RGB) become input values: `value = pixel · scale + offset`, laid out
/// NCHW at the model's input height and width, after a central crop keeping `central_fraction`
/// of each side.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImagePreprocess {
    pub central_fraction: f32,
    pub scale: f32,
    pub offset: f32,
}

impl ImagePreprocess {
    /// ImageNet MobileNet/Inception style: 87.5% central crop, pixels to [-1, 1]
    /// (`p / 127.5 - 1`, Keras' `preprocess_input`).
    pub const INCEPTION: ImagePreprocess = ImagePreprocess {
        central_fraction: CENTRAL_FRACTION,
        scale: 1.0 / 127.5,
        offset: -1.0,
    };

    /// For a model quantized by TFLite whose uint8 input takes pixels as they are: the value
    /// whose quantization is the pixel itself, `(p - zero_point) · scale`.
    pub fn raw_pixels_of(scale: f32, zero_point: i64, central_fraction: f32) -> Self {
        ImagePreprocess {
            central_fraction,
            scale,
            offset: -(zero_point as f32) * scale,
        }
    }

    /// The preprocessing that feeds a TFLite-quantized input the pixels themselves: its stored
    /// integers are the pixels (`raw_pixels_of` its scale and zero point), after the central
    /// crop. None for an input without affine quantization.
    pub fn stored_pixels_of(input: &QTensor) -> Option<Self> {
        let a = input.affine?;
        Some(Self::raw_pixels_of(a.scale, a.zero_point, CENTRAL_FRACTION))
    }

    /// What `zkinfer compile` accepts `--image` inputs with when given no `--image-preprocess`,
    /// for a model TFLite quantized: an image input (`[1, 3, H, W]`, affine) takes the stored
    /// pixels TFLite's own pipeline feeds it. None otherwise (that model then takes JSON inputs
    /// only, as does a float model compiled without the option).
    pub fn default_for_quantized(graph: &QGraph) -> Option<Self> {
        let input = graph.input_tensor();
        image_hw(&input.shape)?;
        Self::stored_pixels_of(input)
    }

    /// What `zkinfer classify` feeds a TFLite model: a uint8/int8 model's own input
    /// quantization takes the pixels ([`ImagePreprocess::stored_pixels_of`]); a float model
    /// gets [`ImagePreprocess::INCEPTION`].
    #[cfg(feature = "prover")]
    pub fn for_classify(model: &Loaded) -> Result<Self> {
        match model {
            Loaded::Quantized(g) => Self::stored_pixels_of(g.input_tensor()).ok_or_else(|| {
                Error::InvalidModel("the quantized model's input has no zero point".into())
            }),
            Loaded::Float(_) => Ok(Self::INCEPTION),
        }
    }

    /// Parses `inception`, `raw` (pixels 0..255), `unit` (pixels / 255) or
    /// `scale=S,offset=O[,crop=F]`; the presets, and a spec without `crop`, crop
    /// [`CENTRAL_FRACTION`] of each side.
    pub fn parse(spec: &str) -> Result<Self> {
        let preset = |scale: f32, offset: f32| ImagePreprocess {
            central_fraction: CENTRAL_FRACTION,
            scale,
            offset,
        };
        match spec {
            "inception" => return Ok(Self::INCEPTION),
            "raw" => return Ok(preset(1.0, 0.0)),
            "unit" => return Ok(preset(1.0 / 255.0, 0.0)),
            _ => {}
        }
        let mut p = preset(1.0, 0.0);
        for part in spec.split(',') {
            let (k, v) = part.split_once('=').ok_or_else(|| bad_spec(spec))?;
            let v: f32 = v.trim().parse().map_err(|_| bad_spec(spec))?;
            match k.trim() {
                "scale" => p.scale = v,
                "offset" => p.offset = v,
                "crop" if v > 0.0 && v <= 1.0 => p.central_fraction = v,
                _ => return Err(bad_spec(spec)),
            }
        }
        if !p.is_valid() {
            return Err(bad_spec(spec));
        }
        Ok(p)
    }

    /// Why this preprocessing cannot feed an input of `shape` (it takes one RGB image, with a
    /// usable mapping), or None: what `compile` and a verifier key's reader both refuse.
    pub fn unfit_for(&self, shape: &[usize]) -> Option<String> {
        if image_hw(shape).is_none() {
            return Some(format!(
                "image preprocessing applies to a model that takes one RGB image, [1, 3, H, W]; \
                 this model's input is {shape:?}"
            ));
        }
        if !self.is_valid() {
            return Some(format!(
                "image preprocessing {self:?}: the mapping must be finite and the crop in (0, 1]"
            ));
        }
        None
    }

    /// A finite pixel mapping and a central crop in (0, 1]: what [`ImagePreprocess::parse`]
    /// accepts and a verifier key may carry.
    pub fn is_valid(&self) -> bool {
        self.scale.is_finite()
            && self.offset.is_finite()
            && self.central_fraction > 0.0
            && self.central_fraction <= 1.0
    }

    /// Decodes `path` and returns the model input (NCHW, `[1, 3, h, w]` flattened).
    #[cfg(feature = "prover")]
    pub fn load(&self, path: &Path, h: usize, w: usize) -> Result<Vec<f32>> {
        let pixels = load_rgb(path, h, w, self.central_fraction)?;
        Ok(self.apply(&pixels, h, w))
    }

    /// Maps HWC RGB pixels to NCHW input values.
    pub fn apply(&self, pixels: &[u8], h: usize, w: usize) -> Vec<f32> {
        let mut out = vec![0f32; 3 * h * w];
        for y in 0..h {
            for x in 0..w {
                for c in 0..3 {
                    out[(c * h + y) * w + x] =
                        pixels[(y * w + x) * 3 + c] as f32 * self.scale + self.offset;
                }
            }
        }
        out
    }
}

fn bad_spec(spec: &str) -> Error {
    Error::InvalidInput(format!(
        "image preprocessing '{spec}' is not one of inception, raw, unit or scale=S,offset=O[,crop=F]"
    ))
}

/// Decodes a JPEG or PNG, crops the centre (`central_fraction` of each side) and resizes it
/// bilinearly to `h`×`w`: HWC RGB bytes.
#[cfg(feature = "prover")]
pub fn load_rgb(path: &Path, h: usize, w: usize, central_fraction: f32) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let img = image::load_from_memory(&bytes)
        .map_err(|e| {
            Error::InvalidInput(format!("{} is not a readable image: {e}", path.display()))
        })?
        .to_rgb8();
    let (iw, ih) = img.dimensions();
    let cw = ((iw as f32 * central_fraction).round() as u32).clamp(1, iw);
    let ch = ((ih as f32 * central_fraction).round() as u32).clamp(1, ih);
    let cropped = image::imageops::crop_imm(&img, (iw - cw) / 2, (ih - ch) / 2, cw, ch).to_image();
    let resized = image::imageops::resize(
        &cropped,
        w as u32,
        h as u32,
        image::imageops::FilterType::Triangle,
    );
    Ok(resized.into_raw())
}

#[cfg(all(test, feature = "prover"))]
mod tests {
    use super::*;
    use crate::qgraph::AffineQuant;

    /// Decoded pixels are HWC (RGB interleaved); model inputs are NCHW, the layout of our IR and
    /// of ONNX image models: all red values first, then green, then blue, each row-major.
    #[test]
    fn apply_lays_pixels_out_nchw_with_the_preset_mapping() {
        // A 2x2 RGB image, HWC: pixel (y, x) has channels [10y+x, 100+10y+x, 200+10y+x].
        let pixels: Vec<u8> = (0..2u8)
            .flat_map(|y| {
                (0..2u8).flat_map(move |x| [10 * y + x, 100 + 10 * y + x, 200 + 10 * y + x])
            })
            .collect();
        let raw = ImagePreprocess::parse("raw").unwrap();
        let expected: Vec<f32> = [
            0., 1., 10., 11., 100., 101., 110., 111., 200., 201., 210., 211.,
        ]
        .to_vec();
        assert_eq!(raw.apply(&pixels, 2, 2), expected);
        // inception: p/127.5 - 1, so 0 -> -1 and 255 -> 1.
        let v = ImagePreprocess::INCEPTION.apply(&[0, 255, 51], 1, 1);
        assert_eq!(v.len(), 3);
        assert!((v[0] + 1.0).abs() < 1e-6 && (v[1] - 1.0).abs() < 1e-6);
        assert!((v[2] - (51.0 / 127.5 - 1.0)).abs() < 1e-6);
        assert_eq!(
            ImagePreprocess::parse("inception").unwrap(),
            ImagePreprocess::INCEPTION
        );
        assert!(ImagePreprocess::parse("scale=1,bogus=2").is_err());
    }

    #[test]
    fn parse_gives_the_presets_and_explicit_mappings_with_the_central_crop() {
        let p = |s: &str| ImagePreprocess::parse(s).unwrap();
        assert_eq!(CENTRAL_FRACTION, 0.875);
        assert_eq!(
            ImagePreprocess::INCEPTION.central_fraction,
            CENTRAL_FRACTION
        );
        assert_eq!(
            p("raw"),
            ImagePreprocess {
                central_fraction: CENTRAL_FRACTION,
                scale: 1.0,
                offset: 0.0
            }
        );
        assert_eq!(
            p("unit"),
            ImagePreprocess {
                central_fraction: CENTRAL_FRACTION,
                scale: 1.0 / 255.0,
                offset: 0.0
            }
        );
        // Keys in any order, spaces around them ignored; no crop given: the central crop.
        assert_eq!(
            p("offset=-1, scale=0.5"),
            ImagePreprocess {
                central_fraction: CENTRAL_FRACTION,
                scale: 0.5,
                offset: -1.0
            }
        );
        assert_eq!(p("scale=2,offset=3,crop=1").central_fraction, 1.0);
        assert_eq!(p("crop=0.5").central_fraction, 0.5);
        assert_eq!(p("crop=0.5").scale, 1.0);
        for bad in [
            "",
            "Inception",
            "scale",
            "scale=x",
            "scale=1,,offset=2",
            "crop=0",
            "crop=1.5",
            "crop=-0.5",
            "scale=inf",
            "offset=NaN",
            "scale=1,gamma=2",
        ] {
            let e = ImagePreprocess::parse(bad).unwrap_err().to_string();
            assert!(
                e.contains(&format!("'{bad}'")) && e.contains("scale=S,offset=O[,crop=F]"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn image_inputs_are_one_nchw_rgb_image() {
        assert_eq!(image_hw(&[1, 3, 224, 160]), Some((224, 160)));
        assert_eq!(image_hw(&[1, 1, 28, 28]), None, "grayscale");
        assert_eq!(image_hw(&[2, 3, 8, 8]), None, "a batch");
        assert_eq!(image_hw(&[3, 8, 8]), None);
        assert_eq!(image_hw(&[1, 784]), None);
    }

    fn quantized_graph(shape: Vec<usize>, affine: Option<AffineQuant>) -> QGraph {
        QGraph {
            name: "g".into(),
            act_bits: 8,
            tensors: vec![QTensor {
                name: "input".into(),
                shape,
                frac_bits: 0,
                affine,
            }],
            input: 0,
            output: 0,
            steps: vec![],
        }
    }

    const UINT8: AffineQuant = AffineQuant {
        scale: 0.0078125,
        zero_point: 128,
        q_min: 0,
        q_max: 255,
    };

    /// A TFLite-quantized image model's default preprocessing gives back, once the input is
    /// quantized, the pixels themselves: what TFLite's pipeline feeds the model.
    #[test]
    fn a_quantized_image_model_takes_its_stored_pixels_by_default() {
        let g = quantized_graph(vec![1, 3, 2, 2], Some(UINT8));
        let pre = ImagePreprocess::default_for_quantized(&g).unwrap();
        assert_eq!(pre, ImagePreprocess::raw_pixels_of(0.0078125, 128, 0.875));
        assert_eq!(pre.central_fraction, CENTRAL_FRACTION);
        let pixels: Vec<u8> = vec![0, 1, 2, 127, 128, 129, 200, 254, 255, 3, 4, 5];
        let x = pre.apply(&pixels, 2, 2);
        let q: Vec<i64> = x.iter().map(|&v| UINT8.quantize_centred(v)).collect();
        let stored: Vec<i64> = q.iter().map(|&c| c + UINT8.zero_point).collect();
        let mut nchw: Vec<i64> = vec![0; 12];
        for (i, &p) in pixels.iter().enumerate() {
            let (yx, c) = (i / 3, i % 3);
            nchw[c * 4 + yx] = p as i64;
        }
        assert_eq!(stored, nchw);
        // Not an image, or not affine: no default, JSON inputs only.
        assert_eq!(
            ImagePreprocess::default_for_quantized(&quantized_graph(vec![1, 784], Some(UINT8))),
            None
        );
        assert_eq!(
            ImagePreprocess::default_for_quantized(&quantized_graph(vec![1, 3, 2, 2], None)),
            None
        );
    }

    #[test]
    fn classify_feeds_a_quantized_model_its_pixels_and_a_float_model_inception() {
        let q = Loaded::Quantized(quantized_graph(vec![1, 3, 4, 4], Some(UINT8)));
        assert_eq!(
            ImagePreprocess::for_classify(&q).unwrap(),
            ImagePreprocess::raw_pixels_of(UINT8.scale, UINT8.zero_point, CENTRAL_FRACTION)
        );
        let no_zero_point = Loaded::Quantized(quantized_graph(vec![1, 3, 4, 4], None));
        assert!(ImagePreprocess::for_classify(&no_zero_point).is_err());
        let mut b = crate::ir::ModelBuilder::new("f", "x", vec![1, 3, 4, 4]).unwrap();
        let y = b.add("r", crate::ir::Op::Relu, vec![0], "y", None).unwrap();
        let float = Loaded::Float(b.finish(y).unwrap());
        assert_eq!(
            ImagePreprocess::for_classify(&float).unwrap(),
            ImagePreprocess::INCEPTION
        );
    }
}
