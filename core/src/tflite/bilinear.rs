//! TFLite's int8 RESIZE_BILINEAR as the interpreter computes it (the builtin kernel hands int8
//! to `reference_ops::ResizeBilinearInteger`): per axis, a 10-bit fixed-point scale
//! `s = ((1 << 10)·in + out/2) / out` (`align_corners`: `in - 1` over `out - 1`), the source
//! position `p = y·s` (half-pixel centres: `y·s + s/2 - 512`), the neighbours
//! `y0 = max(p / 1024, 0)` and `y1 = min((p + 1023) / 1024, in - 1)` (C division, toward
//! zero) and the fraction `f = p - 1024·y0`; the output is the raw (stored) codes of the four
//! neighbours weighted by `(1024 - fy)(1024 - fx)`, `fy(1024 - fx)`, `(1024 - fy)fx` and
//! `fy·fx`, summed and divided by 2^20 rounding half away from zero, once.
//!
//! [`taps`] gives each output's neighbours and integer weights in our NCHW layout, duplicates
//! merged and divided by their common factor with 2^20, so that the divisor is as small as the
//! weights allow: 16 for a 2x upsampling with half-pixel centres.

/// One axis: for each output position, `(y0, y1, f)`.
fn axis(
    n_in: usize,
    n_out: usize,
    align_corners: bool,
    half_pixel: bool,
) -> Result<Vec<(usize, usize, i64)>, String> {
    let (i, o) = (n_in as i64, n_out as i64);
    let mut scale = ((1 << 10) * i + o / 2) / o;
    if align_corners && o > 1 {
        scale = ((1 << 10) * (i - 1) + (o - 1) / 2) / (o - 1);
    }
    (0..o)
        .map(|y| {
            let p = if half_pixel {
                y * scale + scale / 2 - (1 << 9)
            } else {
                y * scale
            };
            // C++ integer division truncates toward zero, as Rust's does.
            let y0 = (p / 1024).max(0);
            let y1 = ((p + 1023) / 1024).min(i - 1);
            if y0 > i - 1 {
                return Err(format!(
                    "output position {y} of {n_out} maps past the {n_in} input positions"
                ));
            }
            Ok((y0 as usize, y1 as usize, p - 1024 * y0))
        })
        .collect()
}

/// Each output's `(input index, weight)` pairs.
pub type Taps = Vec<Vec<(usize, i64)>>;

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a.abs()
    } else {
        gcd(b, a % b)
    }
}

/// The taps of RESIZE_BILINEAR from `[channels, h, w]` to `[channels, out_h, out_w]` (NCHW
/// indices into the input) and their divisor: each output is `round_away(Σ w·raw / divisor)`.
pub fn taps(
    [channels, h, w]: [usize; 3],
    [out_h, out_w]: [usize; 2],
    align_corners: bool,
    half_pixel_centers: bool,
) -> Result<(Taps, i64), String> {
    if align_corners && half_pixel_centers {
        return Err(
            "align_corners and half_pixel_centers together (the interpreter refuses them)".into(),
        );
    }
    if [channels, h, w, out_h, out_w].contains(&0) {
        return Err("an empty tensor".into());
    }
    let ys = axis(h, out_h, align_corners, half_pixel_centers)?;
    let xs = axis(w, out_w, align_corners, half_pixel_centers)?;
    let mut plane: Vec<Vec<(usize, i64)>> = Vec::with_capacity(out_h * out_w);
    let mut common = 1i64 << 20;
    for &(y0, y1, fy) in &ys {
        for &(x0, x1, fx) in &xs {
            let mut taps: Vec<(usize, i64)> = Vec::with_capacity(4);
            for (y, x, weight) in [
                (y0, x0, (1024 - fy) * (1024 - fx)),
                (y1, x0, fy * (1024 - fx)),
                (y0, x1, (1024 - fy) * fx),
                (y1, x1, fy * fx),
            ] {
                let index = y * w + x;
                match taps.iter_mut().find(|(i, _)| *i == index) {
                    Some((_, total)) => *total += weight,
                    None => taps.push((index, weight)),
                }
            }
            taps.retain(|&(_, weight)| weight != 0);
            for &(_, weight) in &taps {
                common = gcd(common, weight);
            }
            plane.push(taps);
        }
    }
    let divisor = (1i64 << 20) / common;
    let all = (0..channels)
        .flat_map(|c| {
            plane.iter().map(move |taps| {
                taps.iter()
                    .map(|&(i, weight)| (c * h * w + i, weight / common))
                    .collect()
            })
        })
        .collect();
    Ok((all, divisor))
}

/// The interpreter's arithmetic, straight: raw NHWC codes of one image in, raw codes out.
#[cfg(test)]
pub fn reference(
    raw: &[i64],
    [h, w, c]: [usize; 3],
    [out_h, out_w]: [usize; 2],
    align_corners: bool,
    half_pixel_centers: bool,
) -> Vec<i64> {
    let ys = axis(h, out_h, align_corners, half_pixel_centers).unwrap();
    let xs = axis(w, out_w, align_corners, half_pixel_centers).unwrap();
    let at = |y: usize, x: usize, ch: usize| raw[(y * w + x) * c + ch];
    let mut out = vec![];
    for &(y0, y1, fy) in &ys {
        for &(x0, x1, fx) in &xs {
            for ch in 0..c {
                let acc = at(y0, x0, ch) * (1024 - fy) * (1024 - fx)
                    + at(y1, x0, ch) * fy * (1024 - fx)
                    + at(y0, x1, ch) * (1024 - fy) * fx
                    + at(y1, x1, ch) * fy * fx;
                let round = if acc > 0 { 1 << 19 } else { -(1 << 19) };
                out.push((acc + round) / (1 << 20));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_away(v: i64, d: i64) -> i64 {
        let q = (2 * v.abs() + d) / (2 * d);
        if v < 0 {
            -q
        } else {
            q
        }
    }

    /// The taps, divided and rounded as the circuit does, give the interpreter's codes, for
    /// upsampling by 2 and 4, downsampling, odd sizes and both coordinate rules.
    #[test]
    fn the_taps_reproduce_the_interpreters_arithmetic() {
        let cases = [
            ([4, 4], [8, 8], false, true),
            ([3, 5], [12, 20], false, true),
            ([4, 4], [8, 8], false, false),
            ([4, 4], [7, 7], true, false),
            ([8, 6], [3, 4], false, true),
            ([5, 5], [5, 5], false, true),
            ([1, 1], [3, 2], false, true),
        ];
        for ([h, w], [oh, ow], align, half) in cases {
            let c = 3;
            let raw: Vec<i64> = (0..h * w * c)
                .map(|i| ((i * 73 + 11) % 256) as i64 - 128)
                .collect();
            let want = reference(&raw, [h, w, c], [oh, ow], align, half);
            let (taps, divisor) = taps([c, h, w], [oh, ow], align, half).unwrap();
            // Our layout: NCHW input, NCHW output.
            let nchw = |i: usize| {
                let (ch, yx) = (i / (h * w), i % (h * w));
                raw[yx * c + ch]
            };
            for (o, t) in taps.iter().enumerate() {
                let (ch, yx) = (o / (oh * ow), o % (oh * ow));
                let sum: i64 = t.iter().map(|&(i, wt)| wt * nchw(i)).sum();
                assert_eq!(
                    round_away(sum, divisor),
                    want[yx * c + ch],
                    "{h}x{w} -> {oh}x{ow}, align {align}, half {half}, output {o}"
                );
                assert_eq!(t.iter().map(|&(_, wt)| wt).sum::<i64>(), divisor);
            }
        }
    }

    #[test]
    fn a_2x_half_pixel_upsampling_divides_by_16() {
        let (_, divisor) = taps([1, 8, 8], [16, 16], false, true).unwrap();
        assert_eq!(divisor, 16);
        let (_, divisor) = taps([1, 8, 8], [32, 32], false, true).unwrap();
        assert_eq!(divisor, 64);
    }

    #[test]
    fn both_coordinate_rules_or_an_empty_tensor_are_refused() {
        assert!(taps([1, 4, 4], [8, 8], true, true).is_err());
        assert!(taps([1, 0, 4], [8, 8], false, true).is_err());
        assert!(taps([1, 4, 4], [0, 8], false, true).is_err());
    }
}
