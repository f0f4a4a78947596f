//! The requantization chip's tests: honest rows of every rounding path, and a corrupted cell
//! per constraint rejected.

use super::super::table::TableSpec;
use super::super::testing::{
    assert_rejected, failing_rows, fixed_point_shape, mock_k, TestCircuit,
};
use super::super::{fe, CircuitShape};
use super::*;
use halo2_proofs::circuit::Value;
use rand::{Rng, SeedableRng};

/// The table of these tests: identity, ReLU, the uint8 clamp (tag 2) and the sign function.
fn spec() -> TableSpec {
    TableSpec {
        clips: vec![(0, 255)],
        sign: true,
        maps: vec![],
        functions: vec![],
        lookups: vec![],
        ..TableSpec::default()
    }
}

/// Cells to overwrite, with field values (an inverse is not an integer).
type Corruption = fn(&RequantConfig) -> Vec<(Column<Advice>, Fr)>;

/// `x + bias` requantized by `params` and clamped to uint8, one case per row, with the
/// case's corruption (if any) written over its row: public = [x_0, .., x_n-1, y_0, ..,
/// y_n-1].
fn requant_rows(cases: Vec<(i64, i128, RequantParams, Option<Corruption>)>) -> TestCircuit {
    requant_rows_in(fixed_point_shape(), cases)
}

/// [`requant_rows`] in a circuit of `shape`.
fn requant_rows_in(
    shape: CircuitShape,
    cases: Vec<(i64, i128, RequantParams, Option<Corruption>)>,
) -> TestCircuit {
    let n = cases.len();
    TestCircuit::new(
        cases.iter().map(|c| c.0).collect(),
        move |config, region, links, public| {
            let chip = config.requant.as_ref().expect("fixed-point shape");
            for (row, (_, bias, params, corrupt)) in cases.iter().enumerate() {
                let (_, acc) = config.dot.assign(
                    region,
                    links,
                    row,
                    &public[row..row + 1],
                    &[1],
                    *bias,
                    None,
                )?;
                let y = chip.assign(region, row, acc, params, 2, None)?;
                if let Source::Advice(cell) = y.source {
                    links.expose(cell, n + row);
                }
                if let Some(corrupt) = corrupt {
                    for (col, v) in corrupt(chip) {
                        region.assign_advice(col, row, Value::known(v));
                    }
                }
            }
            Ok(())
        },
    )
    .with_shape(shape, spec())
}

fn uint8(multiplier: i32, shift: i32, zp: i64) -> RequantParams {
    RequantParams {
        multiplier: QuantizedMultiplier { multiplier, shift },
        zp_in: zp,
        zp_out: zp,
        lo: 0,
        hi: 255,
        ties_up: false,
    }
}

/// Honest rows for: a positive and a negative tie of the final shift, a shift above 15
/// bits (TFLite ADD's output), a left shift, and a value clamped at 255.
#[test]
fn requant_proves_tflite_rounding() {
    let cases = [
        (6, 0, uint8(1 << 30, -2, 0)),    // 6·2^-3 = 0.75 -> 1
        (-12, 0, uint8(1 << 30, -3, 10)), // -12/16 = -0.75 -> -1
        (-4, 0, uint8(1 << 30, -2, 10)),  // -0.5: a tie, away from zero -> -1
        (4, 0, uint8(1 << 30, -2, 10)),   // +0.5 -> 1
        (123_456_789, 0, uint8(1_995_052_007, -19, 133)),
        (-77, 5, uint8(1_500_000_000, 1, 100)), // left shift by 1
        (100_000, 0, uint8(1_200_000_000, -5, 3)), // saturates at 255
    ];
    let mut public = vec![];
    let mut outputs = vec![];
    for (x, bias, p) in cases {
        let w = p.witness(x as i128 + bias);
        assert_eq!(
            w.q,
            p.multiplier.apply(x + bias as i64).unwrap() as i128,
            "x={x}"
        );
        public.push(fe(x as i128));
        outputs.push(fe(w.y as i128));
    }
    // Every case on its own row of one circuit: one MockProver run at k = 19, not seven.
    public.extend(outputs);
    let circuit = requant_rows(cases.iter().map(|&(x, b, p)| (x, b, p, None)).collect());
    mock_k(19, &circuit, &public).unwrap_or_else(|e| panic!("{e:?}"));
}

#[test]
fn requant_rejects_corrupted_witness() {
    // acc = -4 at 2^-3: h = -1, qh = 0 with r2 = 0, a negative tie: q = -1; the clamp
    // sees -1 + 10 = 9, and the centred output is y = -1.
    let p = uint8(1 << 30, -2, 10);
    let (x, y) = (-4, -1);
    // Honest: T = 2^30, so qh = 0 and R = 2^30: r1 = 0, t = 1 (ta = 1 < pa = 8, tb = 0),
    // a tie (z = 1, inv = 0), n = 1, q = -1.
    let corruptions: [(&str, Corruption, i64); 7] = [
        // Skipping the tie correction (n = 0 claims qh > 0) gives round half up.
        (
            "sign bit",
            |c| vec![(c.n, fe(0)), (c.q, fe(0)), (c.y, fe(0))],
            0,
        ),
        // qh one higher with t = -7 (as a field element) satisfies the main gate, and with
        // z = 0 and inv = 1/(t(t-1)) = 1/56 the tie gates: only t's range rejects it.
        (
            "negative remainder",
            |c| {
                let inv = fe(56).invert().unwrap();
                vec![(c.qh, fe(1)), (c.ta, fe(-7)), (c.z, fe(0)), (c.inv, inv)]
                    .into_iter()
                    .chain([(c.n, fe(0)), (c.q, fe(1)), (c.y, fe(1))])
                    .collect()
            },
            1,
        ),
        // qh one lower with t = 9 >= 2^(e+1) = 8: the main gate and the tie gates hold
        // (z = 0, inv = 1/72), and the output is even the honest one; t's range rejects it.
        (
            "remainder too large",
            |c| {
                let inv = fe(72).invert().unwrap();
                vec![(c.qh, fe(-1)), (c.ta, fe(9)), (c.z, fe(0)), (c.inv, inv)]
                    .into_iter()
                    .chain([(c.n, fe(1)), (c.q, fe(-1))])
                    .collect()
            },
            -1,
        ),
        // The same t as a high limb (pb = 1 allows only 0) and a low limb 1 - 2^15.
        (
            "t high limb",
            |c| vec![(c.ta, fe(1 - (1 << 15))), (c.tb, fe(1))],
            -1,
        ),
        // R's 2^30 carried by r1's high limb (2^15, out of its range) instead of t = 1:
        // the main gate holds and t = 0 is still a tie.
        (
            "r1 high limb",
            |c| vec![(c.r1b, fe(1 << 15)), (c.ta, fe(0))],
            -1,
        ),
        // A wrong output for the right quotient.
        ("output", |c| vec![(c.y, fe(-2))], -2),
        // A wrong quotient.
        ("quotient", |c| vec![(c.q, fe(0))], -1),
    ];
    // Row 0 honest, then one corrupted copy of it per row, all in one circuit (one MockProver
    // run at k = 19, not eight): every corrupted row must fail, and only those.
    let mut rows = vec![(x, 0, p, None)];
    let mut public_ys = vec![y];
    for (_, corrupt, public_y) in corruptions {
        rows.push((x, 0, p, Some(corrupt)));
        public_ys.push(public_y);
    }
    let public: Vec<Fr> = rows
        .iter()
        .map(|r| fe(r.0 as i128))
        .chain(public_ys.iter().map(|&y| fe(y as i128)))
        .collect();
    let failures = mock_k(19, &requant_rows(rows), &public).expect_err("corrupted rows accepted");
    let failing = failing_rows(&failures);
    for (i, (what, _, _)) in corruptions.iter().enumerate() {
        assert!(
            failing.contains(&(i + 1)),
            "{what}: a corrupted witness was accepted"
        );
    }
    assert_eq!(
        failing,
        (1..=corruptions.len()).collect(),
        "the honest row (0) failed too: {failures:?}"
    );
    // A wrong public output for an honest witness.
    assert_rejected(mock_k(
        19,
        &requant_rows(vec![(x, 0, p, None)]),
        &[fe(x as i128), fe(y as i128 + 1)],
    ));
}

/// A map row (shapes without the rescale chip): `y = map(x)` for TFLite ADD's input map,
/// looked up through the clamp lookup. The true value is accepted; a wrong one, a value of
/// another map and an identity claim are rejected.
#[test]
fn map_rows_look_up_the_add_input_map() {
    use super::super::table::AddInputMap;
    let map = AddInputMap {
        multiplier: QuantizedMultiplier {
            multiplier: 1_623_821_475,
            shift: -1,
        },
        left_shift: 20,
        negated: false,
    };
    let other = AddInputMap {
        multiplier: QuantizedMultiplier {
            multiplier: 1_073_741_824,
            shift: 0,
        },
        left_shift: 20,
        negated: false,
    };
    let table = TableSpec {
        maps: vec![map, other],
        ..spec()
    };
    let shape = CircuitShape {
        no_rescale: true,
        ..fixed_point_shape()
    };
    let tag = table.map_tag(&map).unwrap();
    // One map row per (input, claimed value); public = the inputs, then the claims.
    let check = |rows: &[(i64, i64)]| {
        let rows = rows.to_vec();
        let n = rows.len();
        let public: Vec<Fr> = rows
            .iter()
            .map(|r| fe(r.0 as i128))
            .chain(rows.iter().map(|r| fe(r.1 as i128)))
            .collect();
        let xs = rows.iter().map(|r| r.0).collect();
        let circuit = TestCircuit::new(xs, move |config, region, links, public| {
            let chip = config.requant.as_ref().expect("fixed-point shape");
            for (row, &(_, claimed)) in rows.iter().enumerate() {
                config
                    .dot
                    .assign(region, links, row, &public[row..row + 1], &[1], 0, None)?;
                let y = chip.assign_map(region, row, tag, Some(claimed))?;
                if let Source::Advice(cell) = y.source {
                    links.expose(cell, n + row);
                }
            }
            Ok(())
        })
        .with_shape(shape.clone(), table.clone());
        mock_k(19, &circuit, &public)
    };
    // The true values first.
    let xs = [-37i64, 0, 90];
    let honest: Vec<(i64, i64)> = xs.iter().map(|&x| (x, map.apply(x).unwrap())).collect();
    // Then false claims, for a negative and a positive input: a wrong value, another map's
    // value, the identity. All in one circuit (one MockProver run at k = 19, not seven),
    // one row each: every false row must fail, and only those.
    let mut rows = honest.clone();
    let mut what = vec![];
    for x in [-37i64, 90] {
        let y = map.apply(x).unwrap();
        let y_other = other.apply(x).unwrap();
        assert_ne!(y_other, y, "the two maps must differ at x={x}");
        assert_ne!(x, y, "the map must not be the identity at x={x}");
        for (claim, why) in [
            (y + 1, "a wrong value"),
            (y_other, "another map's value"),
            (x, "the identity"),
        ] {
            rows.push((x, claim));
            what.push(format!("x={x}: {why}"));
        }
    }
    let failing = failing_rows(&check(&rows).expect_err("false map claims accepted"));
    for (i, what) in what.iter().enumerate() {
        assert!(failing.contains(&(honest.len() + i)), "{what} was accepted");
    }
    assert_eq!(
        failing,
        (honest.len()..rows.len()).collect(),
        "an honest row failed too"
    );
}

/// A shape with rows that round ties up (ruy's int8 CONV_2D and FULLY_CONNECTED) beside rows
/// that round them away from zero: each row proves its own rounding of a negative tie, and
/// claiming the other rounding's value is rejected on both kinds of row.
#[test]
fn ties_up_rows_round_negative_ties_up_beside_rows_that_round_them_away() {
    let shape = CircuitShape {
        ties_up: true,
        ..fixed_point_shape()
    };
    let up = RequantParams {
        ties_up: true,
        ..uint8(1 << 30, -2, 10)
    };
    let away = uint8(1 << 30, -2, 10);
    let big = RequantParams {
        ties_up: true,
        ..uint8(1_995_052_007, -19, 133)
    };
    // acc = -4 at 2^-3 is -0.5: ties up give 0, away from zero -1; +0.5 gives 1 either way;
    // -0.75 is no tie (-1 both ways); a large accumulator saturates at 255.
    let honest = [
        (-4, up, 0),
        (4, up, 1),
        (-4, away, -1),
        (-12, up, -1),
        (123_456_789, big, 255 - 133),
    ];
    for &(x, p, y) in &honest {
        assert_eq!(p.witness(x as i128).y, y, "x={x} {p:?}");
    }
    // Corruptions: a ties-up row claiming the away-from-zero value (the sign bit's correction
    // applied), and an away row claiming the ties-up value (the correction skipped).
    let claim_away: Corruption = |c| vec![(c.q, fe(-1)), (c.y, fe(-1))];
    let claim_up: Corruption = |c| vec![(c.q, fe(0)), (c.y, fe(0))];
    let corrupted = [(-4, up, claim_away, -1), (-4, away, claim_up, 0)];
    let mut rows: Vec<(i64, i128, RequantParams, Option<Corruption>)> =
        honest.iter().map(|&(x, p, _)| (x, 0, p, None)).collect();
    let mut ys: Vec<i64> = honest.iter().map(|h| h.2).collect();
    for (x, p, corrupt, y) in corrupted {
        rows.push((x, 0, p, Some(corrupt)));
        ys.push(y);
    }
    let public: Vec<Fr> = rows
        .iter()
        .map(|r| fe(r.0 as i128))
        .chain(ys.iter().map(|&y| fe(y as i128)))
        .collect();
    let failures = mock_k(19, &requant_rows_in(shape.clone(), rows), &public)
        .expect_err("a ties-up row proved the other rounding");
    assert_eq!(
        failing_rows(&failures),
        (honest.len()..honest.len() + corrupted.len()).collect(),
        "only the corrupted rows may fail: {failures:?}"
    );
    // The honest rows alone are accepted.
    let rows = honest.iter().map(|&(x, p, _)| (x, 0, p, None)).collect();
    let public: Vec<Fr> = honest
        .iter()
        .map(|h| fe(h.0 as i128))
        .chain(honest.iter().map(|h| fe(h.2 as i128)))
        .collect();
    mock_k(19, &requant_rows_in(shape, rows), &public).unwrap_or_else(|e| panic!("{e:?}"));
}

/// A row that rounds ties up cannot be laid out in a shape planned without the `away` column:
/// there its negative ties would be proven away from zero.
#[test]
fn a_ties_up_row_is_refused_in_a_shape_without_the_away_column() {
    let up = RequantParams {
        ties_up: true,
        ..uint8(1 << 30, -2, 10)
    };
    let circuit = requant_rows(vec![(-4, 0, up, None)]);
    let run = halo2_proofs::dev::MockProver::run(19, &circuit, vec![vec![fe(-4), fe(0)]]);
    assert!(
        run.is_err(),
        "synthesis accepted a ties-up row without its column"
    );
}

/// No zero points and no clamp: the witness's `q` is MultiplyByQuantizedMultiplier's result.
fn unclamped(multiplier: QuantizedMultiplier) -> RequantParams {
    RequantParams {
        multiplier,
        zp_in: 0,
        zp_out: 0,
        lo: i64::MIN,
        hi: i64::MAX,
        ties_up: false,
    }
}

/// The chip's decomposition reproduces TFLite's MultiplyByQuantizedMultiplier, including
/// its double rounding, on random and on tie-making accumulators.
#[test]
fn witness_matches_tflite_arithmetic() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut checked = 0;
    for _ in 0..200_000 {
        let m = QuantizedMultiplier {
            multiplier: rng.gen_range(1 << 30..i32::MAX),
            shift: rng.gen_range(-22..=2),
        };
        let acc: i64 = match rng.gen_range(0..3) {
            0 => rng.gen_range(-300..300),
            1 => rng.gen_range(-200_000..200_000),
            _ => rng.gen_range(-(1 << 28)..(1 << 28)),
        };
        let Some(expected) = m.apply(acc) else {
            continue;
        };
        let p = unclamped(m);
        assert_eq!(
            p.witness(acc as i128).q,
            expected as i128,
            "{m:?} acc={acc}"
        );
        let up = RequantParams { ties_up: true, ..p };
        assert_eq!(
            up.witness(acc as i128).q,
            m.apply_ties_up(acc).unwrap() as i128,
            "ties up: {m:?} acc={acc}"
        );
        checked += 1;
    }
    assert!(checked > 100_000);
    // Exact ties of the final shift, both signs: M = 2^30 (a real multiplier of 2^-e/2).
    for e in 1..12 {
        let m = QuantizedMultiplier {
            multiplier: 1 << 30,
            shift: -e,
        };
        let p = unclamped(m);
        for acc in -(4i64 << e)..(4i64 << e) {
            assert_eq!(p.witness(acc as i128).q, m.apply(acc).unwrap() as i128);
        }
    }
}
