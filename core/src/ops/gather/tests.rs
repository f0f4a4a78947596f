use super::maps::*;
use super::*;

fn run(g: &Gather, inputs: &[&[i32]]) -> Vec<i32> {
    pick_all(&g.picks, inputs).expect("picks within the inputs")
}

fn seq(n: usize) -> Vec<i32> {
    (1..=n as i32).collect()
}

#[test]
fn concat_on_the_channel_axis_puts_the_inputs_one_after_another() {
    let (a, b) = (seq(4), vec![10, 20]);
    let g = concat(&[&[1, 2, 2], &[1, 1, 2]], 1).unwrap();
    assert_eq!(g.shape, vec![1, 3, 2]);
    assert_eq!(run(&g, &[&a, &b]), vec![1, 2, 3, 4, 10, 20]);
}

#[test]
fn concat_on_the_last_axis_interleaves_rows() {
    let (a, b) = (seq(4), vec![10, 20]);
    let g = concat(&[&[2, 2], &[2, 1]], -1).unwrap();
    assert_eq!(g.shape, vec![2, 3]);
    assert_eq!(run(&g, &[&a, &b]), vec![1, 2, 10, 3, 4, 20]);
    assert!(concat(&[&[2, 2], &[3, 1]], 1).is_err(), "other axes differ");
}

#[test]
fn transpose_follows_the_permutation() {
    let g = transpose(&[2, 3], None).unwrap();
    assert_eq!(g.shape, vec![3, 2]);
    assert_eq!(run(&g, &[&seq(6)]), vec![1, 4, 2, 5, 3, 6]);
    let g = transpose(&[1, 2, 3], Some(&[0, 2, 1])).unwrap();
    assert_eq!(run(&g, &[&seq(6)]), vec![1, 4, 2, 5, 3, 6]);
    assert!(transpose(&[2, 3], Some(&[0, 0])).is_err());
}

#[test]
fn slice_clamps_counts_from_the_end_and_steps_backwards() {
    let x = seq(10);
    let g = slice(&[10], &[2], &[i64::MAX], None, None).unwrap();
    assert_eq!(run(&g, &[&x]), vec![3, 4, 5, 6, 7, 8, 9, 10]);
    let g = slice(&[10], &[-3], &[-1], None, None).unwrap();
    assert_eq!(run(&g, &[&x]), vec![8, 9]);
    let g = slice(&[10], &[-1], &[i64::MIN], Some(&[0]), Some(&[-3])).unwrap();
    assert_eq!(run(&g, &[&x]), vec![10, 7, 4, 1]);
    let g = slice(&[2, 3], &[1], &[3], Some(&[1]), None).unwrap();
    assert_eq!(run(&g, &[&seq(6)]), vec![2, 3, 5, 6]);
    assert!(
        slice(&[10], &[5], &[5], None, None).is_err(),
        "empty result"
    );
    assert!(
        slice(&[10], &[0], &[5], None, Some(&[0])).is_err(),
        "step 0"
    );
}

#[test]
fn pad_inserts_zeros_and_negative_pads_crop() {
    let g = pad(&[1, 2], &[0, 1, 0, 2]).unwrap();
    assert_eq!(g.shape, vec![1, 5]);
    assert_eq!(run(&g, &[&[7, 8]]), vec![0, 7, 8, 0, 0]);
    assert!(Gather::has_zeros(&g.picks));
    let g = pad(&[1, 3], &[0, -1, 0, 0]).unwrap();
    assert_eq!(run(&g, &[&[7, 8, 9]]), vec![8, 9]);
    assert!(pad(&[1, 3], &[0, -2, 0, -1]).is_err());
}

#[test]
fn gather_with_constant_indices_picks_along_the_axis() {
    let g = gather(&[3, 2], 0, &[2, 0, -1], &[3]).unwrap();
    assert_eq!(g.shape, vec![3, 2]);
    assert_eq!(run(&g, &[&seq(6)]), vec![5, 6, 1, 2, 5, 6]);
    let g = gather(&[2, 3], 1, &[1], &[]).unwrap();
    assert_eq!(g.shape, vec![2]);
    assert_eq!(run(&g, &[&seq(6)]), vec![2, 5]);
    assert!(gather(&[2, 3], 1, &[3], &[1]).is_err());
}

#[test]
fn nearest_resize_by_two_repeats_each_pixel() {
    let g = resize_nearest(
        &[1, 1, 2, 2],
        &[1, 1, 4, 4],
        &[1.0, 1.0, 2.0, 2.0],
        CoordinateMode::Asymmetric,
        NearestMode::Floor,
    )
    .unwrap();
    assert_eq!(
        run(&g, &[&seq(4)]),
        vec![1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]
    );
    // half_pixel with round_prefer_floor (ONNX's defaults) gives the same for a factor of 2.
    let h = resize_nearest(
        &[1, 1, 2, 2],
        &[1, 1, 4, 4],
        &[1.0, 1.0, 2.0, 2.0],
        CoordinateMode::HalfPixel,
        NearestMode::RoundPreferFloor,
    )
    .unwrap();
    assert_eq!(h.picks, g.picks);
}

#[test]
fn picks_out_of_range_are_refused() {
    let g = Gather {
        movement: Movement::Gather,
        shape: vec![2],
        picks: vec![
            Pick::Input { slot: 0, index: 0 },
            Pick::Input { slot: 0, index: 4 },
        ],
    };
    assert!(g.output_shape(&[&[4]]).is_err());
    assert!(g.output_shape(&[&[5]]).is_ok());
    let g = Gather {
        picks: vec![Pick::Zero, Pick::Input { slot: 1, index: 0 }],
        ..g
    };
    assert!(g.output_shape(&[&[5]]).is_err(), "no second input");
}

#[test]
fn expand_repeats_along_the_broadcast_axes() {
    let g = expand(&[1, 2, 1], &[1, 2, 3]).unwrap();
    assert_eq!(run(&g, &[&[7, 8]]), vec![7, 7, 7, 8, 8, 8]);
    assert!(expand(&[1, 2], &[1, 3]).is_err());
}

#[test]
fn spread_puts_zeros_between_elements_then_pads_or_crops() {
    // [2, 2] spread by 2 on both axes: [3, 3] with the input at the even coordinates; one
    // more row of zeros at the top, the last column cropped.
    let g = spread(&[2, 2], &[2, 2], &[1, 0, 0, -1]).unwrap();
    assert_eq!(g.shape, vec![4, 2]);
    assert_eq!(run(&g, &[&seq(4)]), vec![0, 0, 1, 0, 0, 0, 3, 0]);
    // Steps of one are a plain pad.
    let plain = spread(&[1, 3], &[1, 1], &[0, 1, 0, 1]).unwrap();
    assert_eq!(plain.picks, pad(&[1, 3], &[0, 1, 0, 1]).unwrap().picks);
    assert!(spread(&[2], &[0], &[0, 0]).is_err(), "a step of zero");
    assert!(spread(&[2], &[1], &[-2, 0]).is_err(), "cropped to nothing");
}
