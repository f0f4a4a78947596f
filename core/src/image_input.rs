//! Image inputs: decode a JPEG or PNG, take the central crop, resize bilinearly to the model's
//! input size, and map pixels to the model's input values. The mapping is part of the compiled
//! model ([`ImagePreprocess`]), so a prover and a consumer turn the same file into the same
//! integers.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

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
        central_fraction: 0.875,
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

    /// Parses `inception`, `raw` (pixels 0..255), `unit` (pixels / 255) or
    /// `scale=S,offset=O[,crop=F]`.
    pub fn parse(spec: &str) -> Result<Self> {
        let preset = |scale: f32, offset: f32| ImagePreprocess {
            central_fraction: 0.875,
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
        if !p.scale.is_finite() || !p.offset.is_finite() {
            return Err(bad_spec(spec));
        }
        Ok(p)
    }

    /// Decodes `path` and returns the model input (NCHW, `[1, 3, h, w]` flattened).
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
