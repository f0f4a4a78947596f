//! `zkinfer prove`: run the integer model on an input and prove it, writing a proof bundle; a
//! model compiled as a chain is proven segment by segment.

use crate::cli_util::Spinner;
use crate::input_args::InputArgs;
use crate::serve::engine::{Database, Progress};
use crate::serve::store::{new_id, now_ms, Receipt, Status};
use crate::SrsArgs;
use anyhow::Result;
use anyhow::{bail, Context};
use std::path::Path;
use std::time::{Duration, Instant};
use zkinfer_core::chain::{ChainDir, ChainKey};
use zkinfer_core::halo2curves::bn256::Fr;
use zkinfer_core::prove::{Compiled, ModelDir, ProofTask, Witness, VERIFIER_KEY_FILE};

pub(crate) struct ProveRequest<'a> {
    pub(crate) dir: &'a Path,
    pub(crate) input: &'a InputArgs,
    pub(crate) input_salt: Option<&'a str>,
    pub(crate) out: &'a Path,
    pub(crate) srs: &'a SrsArgs,
    /// `--database`: queue the proof tasks on the job engine for `zkinfer worker`s.
    pub(crate) database: Option<&'a str>,
}

pub(crate) fn prove(request: &ProveRequest<'_>) -> Result<()> {
    let (dir, input, out) = (request.dir, request.input, request.out);
    // A chain directory holds the whole model's compiled graph too.
    let compiled = ModelDir::new(dir).compiled()?;
    let x = input.read(&compiled)?;
    let input_salt = input.salt(compiled.visibility().input, request.input_salt)?;
    if let Some(url) = request.database {
        return prove_on_engine(dir, compiled, &x, input_salt, url, out);
    }
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

/// `zkinfer prove --database`: the witness is computed here, once; each proof task (one per
/// chain segment) is queued as a job for the `zkinfer worker`s sharing the database and this
/// model directory; the bundle they assemble is written to `out` when the last one is done.
fn prove_on_engine(
    dir: &Path,
    compiled: Compiled,
    x: &[f32],
    input_salt: Option<Fr>,
    url: &str,
    out: &Path,
) -> Result<()> {
    let top = ModelDir::new(dir);
    let key_path = top.path(VERIFIER_KEY_FILE);
    let key =
        std::fs::read(&key_path).with_context(|| format!("reading {}", key_path.display()))?;
    let (q_in, values) = compiled.witness(x)?;
    let graph = &compiled.graph;
    let output = graph.dequantize_output(&values[graph.output]);
    let class = zkinfer_core::tensor::argmax(&output);
    let (model_id, tasks) = if zkinfer_core::chain::is_chain_dir(dir) {
        let chain_key = ChainKey::from_bytes(&key)?;
        let tasks = ChainDir::new(dir).tasks(&chain_key, graph, &values, input_salt)?;
        (chain_key.chain_id, tasks)
    } else {
        let witness = Witness {
            input: q_in,
            values,
            input_salt,
        };
        let id = zkinfer_core::verifier_key::model_id(&key);
        (id, vec![ProofTask::whole(witness)])
    };
    let segments = tasks.len();
    let receipt = Receipt {
        id: new_id(),
        model_id: model_id.clone(),
        input: Vec::new(),
        input_salt: None,
        predicted_class: class,
        predicted_label: compiled.labels.as_ref().and_then(|l| l.get(class).cloned()),
        output,
        status: Status::Queued,
        error: None,
        created_unix_ms: now_ms(),
        finished_unix_ms: None,
        answered_by: None,
        signed: None,
    };
    drop(compiled);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let t = Instant::now();
    let bundle = rt.block_on(async {
        let db = Database::open(url, usize::MAX).await?;
        db.save(&receipt).await?;
        db.enqueue(&receipt, &model_id, tasks)
            .await?
            .context("the job engine refused the proof")?;
        eprintln!(
            "queued {segments} proof job(s) as receipt {} for the workers of model {model_id}",
            receipt.id
        );
        let mut said = None;
        loop {
            match db.progress(&receipt.id).await? {
                Progress::Done => break db.proof(&receipt.id).await,
                Progress::Failed(e) => bail!("receipt {}: {e}", receipt.id),
                Progress::Pending { proven, proving } => {
                    if said != Some((proven, proving)) {
                        eprintln!(
                            "{proven} of {segments} proven, {} [{:.0} s]",
                            if proving {
                                "proving"
                            } else {
                                "waiting for a worker"
                            },
                            t.elapsed().as_secs_f64()
                        );
                        said = Some((proven, proving));
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    })?;
    zkinfer_core::fsutil::write_atomic(out, &bundle)?;
    println!(
        "{} written to {} ({} bytes, {segments} job(s), {:.2} s from queueing to the bundle)",
        if segments > 1 {
            "chain bundle"
        } else {
            "proof bundle"
        },
        out.display(),
        bundle.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
