//! zkinfer patch 5: batch inversion of public values (the verifier's), without constant-time
//! selections.

use ff::Field;

/// zkinfer patch 5: inverts every non-zero element of `values` in place and leaves zeros as they
/// are, as `ff::BatchInvert` does, with one inversion and three products per element
/// (Montgomery's trick). It is for public values only: unlike `ff::BatchInvert` it takes no
/// constant-time zero tests and selections per element, which in WebAssembly cost as much as
/// the products. A zero among the values (the verifier's values are non-zero but for a
/// negligible chance) shows as a zero product, and then the zeros are skipped one by one.
pub fn batch_invert_public<F: Field>(values: &mut [F]) {
    let mut prefixes = Vec::with_capacity(values.len());
    let mut product = F::ONE;
    for v in values.iter() {
        prefixes.push(product);
        product *= v;
    }
    let Some(mut inverse) = Option::<F>::from(product.invert()) else {
        let mut nonzero: Vec<&mut F> = values
            .iter_mut()
            .filter(|v| !bool::from(v.is_zero()))
            .collect();
        let mut inverted: Vec<F> = nonzero.iter().map(|v| **v).collect();
        batch_invert_public(&mut inverted);
        for (v, inv) in nonzero.iter_mut().zip(inverted) {
            **v = inv;
        }
        return;
    };
    for (v, prefix) in values.iter_mut().zip(prefixes.iter()).rev() {
        let value = *v;
        *v = inverse * prefix;
        inverse *= value;
    }
}
