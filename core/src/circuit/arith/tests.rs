//! The arithmetic chip's tests: honest rows of each kind of operation, and a corrupted cell per
//! constraint rejected.

use super::super::table::TableSpec;
use super::super::testing::{assert_rejected, fixed_point_shape, mock_k, TestCircuit};
use super::super::{fe, CircuitShape};
use super::*;
use halo2_proofs::circuit::Value;

/// The chip's rows do not depend on the activation width; an 8-bit domain keeps the table (and
/// each MockProver run) at 2^16 rows.
fn shape() -> CircuitShape {
    CircuitShape {
        byte_softmax: true,
        act_bits: 8,
        ..fixed_point_shape()
    }
}

const K: u32 = 16;

/// The range table's powers of two as a softmax graph holds them, and the uint8 clamp (tag 2).
fn spec() -> TableSpec {
    TableSpec {
        clips: vec![(0, 255)],
        sign: true,
        below_pow2_bits: Some(vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15]),
        no_relu: true,
        ..TableSpec::default()
    }
}

/// Cells of a row to overwrite.
type Corruption = fn(&ArithConfig) -> Vec<(Column<Advice>, Fr)>;

/// One row per case: `a` and `b` are public values `2i` and `2i+1`; the row's `q` and `r` are
/// exposed after every case's operands, as `2n + 2i` and `2n + 2i + 1`.
fn rows(cases: Vec<(i64, i64, ArithOp, Option<Corruption>)>) -> TestCircuit {
    let n = cases.len();
    let operands = cases.iter().flat_map(|c| [c.0, c.1]).collect();
    TestCircuit::new(operands, move |config, region, links, public| {
        let chip = config.arith.as_ref().expect("a softmax shape");
        for (row, (_, _, op, corrupt)) in cases.iter().enumerate() {
            let operands = Operands {
                a: public[2 * row],
                b: Some(public[2 * row + 1]),
                c: None,
            };
            let out = chip.assign(region, links, row, operands, *op)?;
            for (i, w) in [out.q, out.r].into_iter().enumerate() {
                if let Source::Advice(cell) = w.source {
                    links.expose(cell, 2 * n + 2 * row + i);
                }
            }
            if let Some(corrupt) = corrupt {
                for (col, v) in corrupt(chip) {
                    region.assign_advice(col, row, Value::known(v));
                }
            }
        }
        Ok(())
    })
    .with_shape(shape(), spec())
}

/// `a·(b + kb) + k = q·D + r` over the integers.
fn expected(a: i64, b: i64, op: ArithOp) -> (i128, i128) {
    let n = a as i128 * (b as i128 + op.kb) + op.k;
    match op.divisor {
        0 => (0, n),
        d => (n.div_euclid(d), n.rem_euclid(d)),
    }
}

fn public(cases: &[(i64, i64, ArithOp)]) -> Vec<Fr> {
    let mut v: Vec<Fr> = cases
        .iter()
        .flat_map(|c| [fe(c.0 as i128), fe(c.1 as i128)])
        .collect();
    for &(a, b, op) in cases {
        let (q, r) = expected(a, b, op);
        v.extend([fe(q), fe(r)]);
    }
    v
}

const SRDHM: ArithOp = ArithOp::floor_product(1 << 30, 31);

/// Floors of positive and negative products (gemmlowp's SRDHM), a range row, a shift by 2^34,
/// an exact sum.
fn honest_cases() -> Vec<(i64, i64, ArithOp)> {
    vec![
        (1_500_000_000, 1_200_000_000, SRDHM),
        (1 << 30, -1_010_580_540, SRDHM),
        (-5, 0, ArithOp::range(1 << 31, 32)),
        (
            123_456_789,
            1 << 11,
            ArithOp {
                k: 1 << 33,
                divisor: 1 << 34,
                limb_bits: [15, 15, 4],
                ..SRDHM
            },
        ),
        (77, 0, ArithOp::exact(4, 0, -3)),
    ]
}

#[test]
fn rows_prove_floors_ranges_and_exact_sums() {
    let cases = honest_cases();
    let circuit = rows(cases.iter().map(|&(a, b, op)| (a, b, op, None)).collect());
    mock_k(K, &circuit, &public(&cases)).unwrap_or_else(|e| panic!("{e:?}"));
}

#[test]
fn a_wrong_quotient_or_remainder_is_rejected() {
    let (a, b) = (1_500_000_000i64, 1_200_000_000i64);
    let (q, r) = expected(a, b, SRDHM);
    let corruptions: [(&str, Corruption, i128, i128); 3] = [
        // q one higher: r = r - 2^31 < 0, its top limb negative.
        (
            "quotient up",
            |c| {
                let (q, r) = expected(1_500_000_000, 1_200_000_000, SRDHM);
                let r = r - (1 << 31);
                vec![
                    (c.q, fe(q + 1)),
                    (c.r, fe(r)),
                    (c.limbs[0], fe(r & 0x7fff)),
                    (c.limbs[1], fe((r >> 15) & 0x7fff)),
                    (c.limbs[2], fe(r >> 30)),
                ]
            },
            q + 1,
            r - (1 << 31),
        ),
        // q one lower: r = r + 2^31, its top limb 2 or 3, not below 2.
        (
            "quotient down",
            |c| {
                let (q, r) = expected(1_500_000_000, 1_200_000_000, SRDHM);
                let r = r + (1 << 31);
                vec![
                    (c.q, fe(q - 1)),
                    (c.r, fe(r)),
                    (c.limbs[0], fe(r & 0x7fff)),
                    (c.limbs[1], fe((r >> 15) & 0x7fff)),
                    (c.limbs[2], fe(r >> 30)),
                ]
            },
            q - 1,
            r + (1 << 31),
        ),
        // The remainder's limbs not its own.
        ("limb", |c| vec![(c.limbs[0], fe(1))], q, r),
    ];
    for (name, corrupt, q, r) in corruptions {
        let circuit = rows(vec![(a, b, SRDHM, Some(corrupt))]);
        let instance = vec![fe(a as i128), fe(b as i128), fe(q), fe(r)];
        assert_rejected(mock_k(K, &circuit, &instance));
        eprintln!("rejected: {name}");
    }
}

#[test]
fn a_value_beyond_its_range_row_is_rejected() {
    // 2^31 is not below 2^31, and -1 not above 0.
    for a in [1i64 << 31, -1] {
        let op = ArithOp::range(0, 31);
        let circuit = rows(vec![(a, 0, op, None)]);
        let (q, r) = expected(a, 0, op);
        assert_rejected(mock_k(K, &circuit, &[fe(a as i128), fe(0), fe(q), fe(r)]));
    }
}

/// A table row: `q = b - a` looked up with `tag`, `t` public at 2.
fn lookup_row(tag: u64, a: i64, b: i64, t: i64) -> (TestCircuit, Vec<Fr>) {
    let circuit = TestCircuit::new(vec![a, b], move |config, region, links, public| {
        let chip = config.arith.as_ref().expect("a softmax shape");
        let operands = Operands {
            a: public[0],
            b: None,
            c: Some(public[1]),
        };
        chip.assign(region, links, 0, operands, ArithOp::exact(-1, 1, 0))?;
        let w = match tag {
            TAG_BELOW_POW2 => chip.assign_power_of_two(region, 1, Some(t))?,
            _ => chip.assign_lookup(region, 0, tag, Some(t))?,
        };
        if let Source::Advice(cell) = w.source {
            links.expose(cell, 2);
        }
        Ok(())
    })
    .with_shape(shape(), spec());
    (circuit, vec![fe(a as i128), fe(b as i128), fe(t as i128)])
}

#[test]
fn looked_up_values_are_the_tables() {
    let clamp = 2;
    // clamp(120 - 20) = 100 (the 8-bit domain's clamp to [0, 255] is a ReLU).
    let (c, p) = lookup_row(clamp, 20, 120, 100);
    mock_k(K, &c, &p).unwrap_or_else(|e| panic!("{e:?}"));
    let (c, p) = lookup_row(clamp, 20, 120, 99);
    assert_rejected(mock_k(K, &c, &p));
    for (t, ok) in [
        (1, true),
        (1 << 11, true),
        (1 << 15, true),
        (3, false),
        (1 << 12, false),
        (0, false),
    ] {
        let (c, p) = lookup_row(TAG_BELOW_POW2, 0, 0, t);
        assert_eq!(mock_k(K, &c, &p).is_ok(), ok, "power of two {t}");
    }
}
