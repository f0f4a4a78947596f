//! `zkinfer prove`: run the integer model on an input and prove it, writing a proof bundle; a
//! model compiled as a chain is proven segment by segment.

use crate::cli_util::{fmt_values, step};
use crate::input_args::InputArgs;
use crate::SrsArgs;
use anyhow::Result;
use std::path::Path;
use std::time::Instant;
use zkinfer_core::chain::ChainDir;
use zkinfer_core::prove::ModelDir;
use zkinfer_core::tensor::argmax;

/// What `zkinfer prove` was asked: a model directory (a single circuit or a chain), the input
/// and its salt, where to write the bundle, and the parameters.
pub(crate) struct ProveRequest<'a> {
    pub(crate) dir: &'a Path,
    pub(crate) input: &'a InputArgs,
    pub(crate) input_salt: Option<&'a str>,
    pub(crate) out: &'a Path,
    pub(crate) srs: &'a SrsArgs,
}

pub(crate) fn prove(request: &ProveRequest<'_>) -> Result<()> {
    if zkinfer_core::chain::is_chain_dir(request.dir) {
        return prove_chain(request);
    }
    let (dir, input, out) = (request.dir, request.input, request.out);
    let model_dir = ModelDir::new(dir);
    // Cheap checks first: the input must parse and fit before keys are loaded.
    let compiled = model_dir.compiled()?;
    let x = input.read(&compiled)?;
    let input_salt = input.salt(compiled.visibility().input, request.input_salt)?;
    let (q_in, values) = compiled.witness(&x)?;
    zkinfer_core::fsutil::check_writable(out)?;
    let (prover, _) = step("loading keys", || {
        Ok(model_dir.prover(&request.srs.source())?)
    })?;
    print_prediction(&compiled.graph, &values);
    let (bundle, t) = step(
        &format!("proving on {} threads", rayon::current_num_threads()),
        || {
            let witness = zkinfer_core::prove::Witness {
                input: q_in,
                values,
                input_salt,
            };
            Ok(prover.compiled.prove_witness(
                &prover.params,
                &prover.pk,
                &prover.verifier_key,
                witness,
            )?)
        },
    )?;
    let bytes = bundle.to_bytes();
    zkinfer_core::fsutil::write_atomic(out, &bytes)?;
    println!(
        "proof bundle written to {} ({} bytes, proof {} bytes, proving {:.2} s)",
        out.display(),
        bytes.len(),
        bundle.proof.len(),
        t.as_secs_f64()
    );
    Ok(())
}

/// What the integer model computed (and a proof will show), before proving.
fn print_prediction(graph: &zkinfer_core::qgraph::QGraph, values: &[Vec<i64>]) {
    let prediction = graph.dequantize_output(&values[graph.output]);
    println!(
        "prediction (integer model): class {} outputs {}",
        argmax(&prediction),
        fmt_values(&prediction)
    );
}

/// `prove` for a model compiled as a chain: every segment in turn, one proving key in memory.
fn prove_chain(request: &ProveRequest<'_>) -> Result<()> {
    let (input, out) = (request.input, request.out);
    let chain = ChainDir::new(request.dir);
    let compiled = chain.whole()?;
    let x = input.read(&compiled)?;
    let input_salt = input.salt(compiled.visibility().input, request.input_salt)?;
    let (_, values) = compiled.witness(&x)?;
    zkinfer_core::fsutil::check_writable(out)?;
    print_prediction(&compiled.graph, &values);
    // One line per segment instead of a spinner: a full-size chain proves for an hour.
    eprintln!(
        "proving the chain's segments one at a time on {} threads",
        rayon::current_num_threads()
    );
    let t0 = Instant::now();
    let mut report = |p: zkinfer_core::chain::SegmentProven| {
        eprintln!(
            "segment {}/{}: proving key {:.1} s, proof {:.1} s",
            p.index + 1,
            p.of,
            p.key_time.as_secs_f64(),
            p.proof_time.as_secs_f64()
        )
    };
    let bundle = chain.prove_witness(
        &request.srs.source(),
        &compiled.graph,
        &values,
        input_salt,
        &mut report,
    )?;
    let t = t0.elapsed();
    let bytes = bundle.to_bytes();
    zkinfer_core::fsutil::write_atomic(out, &bytes)?;
    println!(
        "chain bundle written to {} ({} segments, {} bytes, proving {:.2} s)",
        out.display(),
        bundle.bundles.len(),
        bytes.len(),
        t.as_secs_f64()
    );
    Ok(())
}
