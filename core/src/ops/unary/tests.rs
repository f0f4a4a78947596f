use super::*;

const ALL: [UnaryFn; 24] = [
    UnaryFn::Sigmoid,
    UnaryFn::Tanh,
    UnaryFn::HardSigmoid {
        alpha: Param(0x3e2aaaab), // 1/6 as f32
        beta: Param(0x3f000000),  // 0.5
    },
    UnaryFn::HardSwish,
    UnaryFn::LeakyRelu {
        alpha: Param(0x3dcccccd), // 0.1
    },
    UnaryFn::Elu {
        alpha: Param(0x3f800000), // 1.0
    },
    UnaryFn::Exp,
    UnaryFn::Silu,
    UnaryFn::Gelu {
        tanh_approximation: false,
    },
    UnaryFn::Gelu {
        tanh_approximation: true,
    },
    UnaryFn::Erf,
    UnaryFn::Softplus,
    UnaryFn::Softsign,
    UnaryFn::Abs,
    UnaryFn::Mish,
    UnaryFn::Selu {
        alpha: Param(0x3fd62d7d), // ONNX's default, 1.6732632
        gamma: Param(0x3f867d5f), // 1.050701
    },
    UnaryFn::Celu {
        alpha: Param(0x40000000), // 2.0
    },
    UnaryFn::ThresholdedRelu {
        alpha: Param(0x3f800000), // 1.0
    },
    UnaryFn::Sin,
    UnaryFn::Cos,
    UnaryFn::Floor,
    UnaryFn::Ceil,
    UnaryFn::Round,
    UnaryFn::Sign,
];

#[test]
fn functions_match_their_textbook_values() {
    let close = |f: UnaryFn, x: f64, want: f64| {
        let got = f.eval(x);
        assert!(
            (got - want).abs() < 1e-12,
            "{f:?}({x}) = {got}, want {want}"
        );
    };
    close(UnaryFn::Sigmoid, 0.0, 0.5);
    close(UnaryFn::Sigmoid, 2.0, 0.8807970779778823);
    close(UnaryFn::Sigmoid, -2.0, 0.11920292202211755);
    close(UnaryFn::Sigmoid, -800.0, 0.0);
    close(UnaryFn::Tanh, 1.0, 0.7615941559557649);
    close(UnaryFn::Silu, 1.0, 0.7310585786300049);
    close(UnaryFn::Exp, 1.0, std::f64::consts::E);
    close(UnaryFn::Erf, 1.0, 0.8427007929497149);
    close(
        UnaryFn::Gelu {
            tanh_approximation: false,
        },
        1.0,
        0.8413447460685429,
    );
    close(
        UnaryFn::Gelu {
            tanh_approximation: true,
        },
        1.0,
        0.8411919906082768,
    );
    close(UnaryFn::Softplus, 0.0, std::f64::consts::LN_2);
    close(UnaryFn::Softplus, 40.0, 40.0);
    close(UnaryFn::Softsign, 3.0, 0.75);
    close(UnaryFn::HardSwish, 1.0, 1.0 * (1.0 / 6.0 + 0.5));
    close(UnaryFn::HardSwish, -4.0, 0.0);
    close(UnaryFn::HardSwish, 4.0, 4.0);
    close(ALL[2], 6.0, 1.0);
    close(ALL[4], -2.0, -2.0 * 0.1f32 as f64);
    close(ALL[5], -1.0, (-1.0f64).exp() - 1.0);
    close(UnaryFn::Abs, -3.5, 3.5);
    close(UnaryFn::Mish, 1.0, 0.8650983882673103);
    close(UnaryFn::Mish, -1.0, -0.30340146137410895);
    close(ALL[15], 1.0, 1.0507010221481323);
    close(
        ALL[15],
        -1.0,
        1.0507010221481323 * 1.6732631921768188 * ((-1.0f64).exp() - 1.0),
    );
    close(ALL[16], -1.0, 2.0 * ((-0.5f64).exp() - 1.0));
    close(ALL[16], 3.0, 3.0);
    close(ALL[17], 1.0, 0.0);
    close(ALL[17], 1.25, 1.25);
    close(UnaryFn::Sin, 1.0, 0.8414709848078965);
    close(UnaryFn::Cos, 1.0, 0.5403023058681398);
    close(UnaryFn::Floor, -1.5, -2.0);
    close(UnaryFn::Ceil, -1.5, -1.0);
    // ONNX's Round takes halves to the even neighbour.
    close(UnaryFn::Round, 2.5, 2.0);
    close(UnaryFn::Round, -2.5, -2.0);
    close(UnaryFn::Round, 3.5, 4.0);
    close(UnaryFn::Round, 0.6, 1.0);
    close(UnaryFn::Sign, -0.1, -1.0);
    close(UnaryFn::Sign, 0.0, 0.0);
    close(UnaryFn::Sign, 7.0, 1.0);
}

#[test]
fn every_table_entry_is_the_function_rounded_at_the_output_scale() {
    for f in ALL {
        let t = TableFn {
            func: f,
            in_frac: 7,
            out_frac: 9,
            act_bits: 12,
        };
        for q in -2048..2048 {
            let x = q as f64 / 128.0;
            let want = f.eval(x) * 512.0;
            let y = t.apply(q);
            assert!((-2048..2048).contains(&y), "{f:?}: {y} outside the domain");
            if (-2048.0..2047.0).contains(&want) {
                assert!(
                    (y as f64 - want).abs() <= 0.5,
                    "{f:?}({x}): table {y}, exact {want}"
                );
            } else {
                assert_eq!(
                    y,
                    if want > 0.0 { 2047 } else { -2048 },
                    "{f:?}({x}) clamps"
                );
            }
        }
    }
}

#[test]
fn ties_round_away_from_zero() {
    // Abs of q = 3 at one more input than output bit: 1.5 -> 2, and -1.5 via Softsign's sign.
    let t = TableFn {
        func: UnaryFn::Abs,
        in_frac: 1,
        out_frac: 0,
        act_bits: 8,
    };
    assert_eq!(t.apply(3), 2);
    assert_eq!(t.apply(-3), 2);
    let leaky = TableFn {
        func: UnaryFn::LeakyRelu {
            alpha: Param::new(0.5),
        },
        in_frac: 0,
        out_frac: 0,
        act_bits: 8,
    };
    assert_eq!(leaky.apply(-3), -2, "-1.5 rounds to -2");
}

#[test]
fn tables_are_pinned_bit_for_bit() {
    // A table is part of a verifying key: the same function and scales must give the same
    // integers on every platform and in every release. A sum of every entry of each table
    // catches any change.
    let sums: Vec<i64> = ALL
        .iter()
        .map(|&func| {
            let t = TableFn {
                func,
                in_frac: 9,
                out_frac: 10,
                act_bits: 14,
            };
            (-8192..8192).map(|q| t.apply(q) * (q % 7 + 8)).sum()
        })
        .collect();
    assert_eq!(sums, PINNED_SUMS, "{sums:?}");
}

const PINNED_SUMS: [i64; 24] = [
    90088560, 48140556, 89908738, 547258740, 519988023, 514222686, 685116520, 546668856, 551453312,
    551456736, 48545828, 560446256, 41408476, 805224442, 549846974, 493318124, 480136811,
    550661634, 6161624, -2411710, 268363778, 335335949, 301851903, 50315264,
];

#[test]
fn parameters_compare_by_their_bits() {
    assert_eq!(Param::new(0.1), Param::new(0.1));
    assert_ne!(Param::new(0.0), Param::new(-0.0));
    assert_eq!(format!("{:?}", Param::new(0.25)), "0.25");
}

#[test]
fn a_row_scale_table_gives_the_power_of_two_that_brings_a_row_into_the_top_of_the_domain() {
    for act_bits in [12u32, 16] {
        for in_frac in [-3, 0, 7, 13] {
            let func = UnaryFn::RowScale {
                epsilon: Param::new(0.0),
            };
            let out_frac = func.tied_out_frac(in_frac, act_bits).unwrap();
            let table = TableFn {
                func,
                in_frac,
                out_frac,
                act_bits,
            };
            let half = 1i64 << (act_bits - 1);
            for q in 1..half {
                let s = table.apply(q);
                assert!(s >= 1 && s & (s - 1) == 0, "{q} -> {s}");
                assert!((half / 2..half).contains(&(q * s)), "{q} -> {s}");
                assert_eq!(table.apply(-q), s, "the scale of a magnitude");
            }
        }
    }
}

#[test]
fn a_row_scale_stops_at_the_epsilon() {
    let scale = UnaryFn::RowScale {
        epsilon: Param::new(1e-4),
    };
    // Below √ε = 0.01 every row gets √ε's scale: 0.01 = 0.64·2^-6, so 2^6.
    for x in [0.0, 1e-6, 0.005, 0.01] {
        assert_eq!(scale.eval(x), 64.0, "{x}");
    }
    assert_eq!(scale.eval(0.02), 32.0);
    assert_eq!(scale.eval(3.0), 0.25, "3 = 0.75·2^2");
    // √ε·s <= 1 for every magnitude: the epsilon under the scale is at most 1.
    for x in [0.0, 0.003, 0.01, 0.0199, 0.5, 100.0] {
        assert!(0.01 * scale.eval(x) <= 1.0, "{x}");
    }
}

#[test]
fn tables_of_the_same_integers_share_one_key_and_others_do_not() {
    let holds = |t: TableFn| -> Vec<i64> {
        let half = 1i64 << (t.act_bits - 1);
        (-half..half).map(|q| t.apply(q)).collect()
    };
    for act_bits in [8u32, 12] {
        for in_frac in [-2, 0, 5, 11, 30] {
            for epsilon in [0.0f32, 1e-12, 1e-5, 0.01] {
                let func = UnaryFn::RowScale {
                    epsilon: Param::new(epsilon),
                };
                let out_frac = func.tied_out_frac(in_frac, act_bits).unwrap();
                let t = TableFn {
                    func,
                    in_frac,
                    out_frac,
                    act_bits,
                };
                let key = t.table_key();
                assert_eq!(holds(key), holds(t), "{t:?} as {key:?}");
                let abs = TableFn {
                    func: UnaryFn::Abs,
                    in_frac,
                    out_frac: in_frac,
                    act_bits,
                };
                assert_eq!(holds(abs.table_key()), holds(abs));
            }
        }
    }
    // A key is shared only by equal tables: an absolute value that changes scale keeps its own.
    let rescaling = TableFn {
        func: UnaryFn::Abs,
        in_frac: 3,
        out_frac: 5,
        act_bits: 12,
    };
    assert_eq!(rescaling.table_key(), rescaling);
}

#[test]
fn an_absolute_value_keeps_its_input_scale_exactly() {
    assert_eq!(UnaryFn::Abs.tied_out_frac(5, 12), Some(5));
    let table = TableFn {
        func: UnaryFn::Abs,
        in_frac: 5,
        out_frac: 5,
        act_bits: 12,
    };
    for q in -2048..2048i64 {
        assert_eq!(table.apply(q), q.abs().min(2047));
    }
}
