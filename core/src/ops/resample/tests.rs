use super::*;

fn rows(m: &[f32], n_in: usize) -> Vec<Vec<f32>> {
    m.chunks(n_in).map(|r| r.to_vec()).collect()
}

#[test]
fn bilinear_doubling_with_half_pixel_centres_reads_the_edges_beyond_them() {
    let m = matrix(2, 4, 2.0, CoordinateMode::HalfPixel, Kernel::Linear).unwrap();
    // Output centres map to -0.25, 0.25, 0.75, 1.25: the first and last clamp to the edges.
    assert_eq!(
        rows(&m, 2),
        vec![
            vec![1.0, 0.0],
            vec![0.75, 0.25],
            vec![0.25, 0.75],
            vec![0.0, 1.0]
        ]
    );
}

#[test]
fn align_corners_keeps_both_ends_fixed() {
    let m = matrix(2, 3, 1.5, CoordinateMode::AlignCorners, Kernel::Linear).unwrap();
    assert_eq!(
        rows(&m, 2),
        vec![vec![1.0, 0.0], vec![0.5, 0.5], vec![0.0, 1.0]]
    );
}

#[test]
fn every_row_sums_to_one_and_an_unchanged_axis_is_the_identity() {
    let cubic = Kernel::Cubic {
        a: -0.75,
        exclude_outside: false,
    };
    for kernel in [Kernel::Linear, cubic] {
        for (n_in, n_out) in [(3, 7), (8, 5), (5, 16)] {
            let scale = n_out as f64 / n_in as f64;
            let m = matrix(n_in, n_out, scale, CoordinateMode::HalfPixel, kernel).unwrap();
            for row in rows(&m, n_in) {
                let sum: f32 = row.iter().sum();
                assert!(
                    (sum - 1.0).abs() < 1e-5,
                    "{kernel:?} {n_in}->{n_out}: {row:?}"
                );
            }
        }
        let identity = matrix(4, 4, 1.0, CoordinateMode::HalfPixel, kernel).unwrap();
        for (i, row) in rows(&identity, 4).iter().enumerate() {
            let unit: Vec<f32> = (0..4).map(|j| (i == j) as u8 as f32).collect();
            assert_eq!(row, &unit, "{kernel:?}");
        }
    }
}

#[test]
fn cubic_excluding_outside_positions_renormalises_the_rest() {
    let kernel = Kernel::Cubic {
        a: -0.5,
        exclude_outside: true,
    };
    let m = matrix(4, 8, 2.0, CoordinateMode::HalfPixel, kernel).unwrap();
    let first = &rows(&m, 4)[0];
    // Position -0.25: neighbours -2..1, two of them outside; the inside two carry all the
    // weight.
    assert!((first.iter().sum::<f32>() - 1.0).abs() < 1e-6, "{first:?}");
    assert!(first[0] != 0.0 && first[1] != 0.0, "{first:?}");
    assert_eq!(&first[2..], &[0.0, 0.0]);
}

#[test]
fn degenerate_resizes_are_refused() {
    assert!(matrix(0, 2, 1.0, CoordinateMode::HalfPixel, Kernel::Linear).is_err());
    assert!(matrix(2, 2, f64::NAN, CoordinateMode::HalfPixel, Kernel::Linear).is_err());
    assert!(matrix(
        1 << 14,
        1 << 14,
        1.0,
        CoordinateMode::HalfPixel,
        Kernel::Linear
    )
    .is_err());
}
