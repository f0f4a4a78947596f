//! `zkinfer prove`: run the integer model on an input and prove it, writing a proof bundle; a
//! model compiled as a chain is proven segment by segment.

use crate::cli_util::Spinner;
use crate::input_args::InputArgs;
use crate::SrsArgs;
use anyhow::Result;
use std::path::Path;
use zkinfer_core::prove::ModelDir;

pub(crate) struct ProveRequest<'a> {
    pub(crate) dir: &'a Path,
    pub(crate) input: &'a InputArgs,
    pub(crate) input_salt: Option<&'a str>,
    pub(crate) out: &'a Path,
    pub(crate) srs: &'a SrsArgs,
}

pub(crate) fn prove(request: &ProveRequest<'_>) -> Result<()> {
    let (dir, input, out) = (request.dir, request.input, request.out);
    // A chain directory holds the whole model's compiled graph too.
    let compiled = ModelDir::new(dir).compiled()?;
    let x = input.read(&compiled)?;
    let input_salt = input.salt(compiled.visibility().input, request.input_salt)?;
    drop(compiled);
    let chain = zkinfer_core::chain::is_chain_dir(dir);
    if chain {
        eprintln!(
            "proving the chain's segments one at a time on {} threads",
            rayon::current_num_threads()
        );
    }
    let mut spinner = Spinner::default();
    let proved = zkinfer_core::build::prove_dir(
        dir,
        &x,
        input_salt,
        &request.srs.source(),
        out,
        &mut |p| spinner.report(p),
    )?;
    if chain {
        println!(
            "chain bundle written to {} ({} segments, {} bytes, proving {:.2} s)",
            out.display(),
            proved.segments,
            proved.bundle_bytes,
            proved.prove_time.as_secs_f64()
        );
    } else {
        println!(
            "proof bundle written to {} ({} bytes, proving {:.2} s)",
            out.display(),
            proved.bundle_bytes,
            proved.prove_time.as_secs_f64()
        );
    }
    Ok(())
}
