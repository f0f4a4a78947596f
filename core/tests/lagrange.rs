//! The vendored halo2's `EvaluationDomain::l_i_range` (patched in vendor/halo2-axiom to compute
//! omega^r by one multiplication per consecutive rotation) against the Lagrange basis formula
//!     l_r(x) = omega^r (x^n - 1) / (n (x - omega^r)),
//! for contiguous ranges (the verifier's instance columns) and for gapped and negative rotations
//! (the branch that falls back to exponentiation). The verifier evaluates public inputs with it,
//! so a wrong value here would make valid proofs fail or, worse, bind the wrong public values.

use halo2_proofs::poly::EvaluationDomain;
use halo2curves::bn256::Fr;
use halo2curves::ff::{Field, PrimeField};

fn omega_pow(omega: Fr, r: i32) -> Fr {
    let p = omega.pow_vartime([r.unsigned_abs() as u64]);
    if r < 0 {
        p.invert().unwrap()
    } else {
        p
    }
}

fn expected(domain: &EvaluationDomain<Fr>, x: Fr, r: i32) -> Fr {
    let n = Fr::from(domain.get_n());
    let w = omega_pow(domain.get_omega(), r);
    w * (x.pow_vartime([domain.get_n()]) - Fr::ONE) * (n * (x - w)).invert().unwrap()
}

#[test]
fn l_i_range_matches_the_lagrange_formula() {
    for k in [3u32, 8, 14] {
        let domain = EvaluationDomain::<Fr>::new(4, k);
        let x = Fr::from_u128(0x1234_5678_9abc_def0_1122_3344_5566_7788);
        let xn = x.pow_vartime([domain.get_n()]);
        let cases: Vec<Vec<i32>> = vec![
            (0..50).collect(),               // contiguous, as for instance columns
            (-7..=0).collect(),              // negative, as for blinding rows
            vec![3, 5, 6, 7, 20, -2, -1, 0], // gaps and a step backwards
            vec![],                          // nothing
        ];
        for rotations in cases {
            let got = domain.l_i_range(x, xn, rotations.clone());
            assert_eq!(got.len(), rotations.len());
            for (&r, value) in rotations.iter().zip(&got) {
                assert_eq!(*value, expected(&domain, x, r), "k={k}, rotation {r}");
            }
        }
    }
}
