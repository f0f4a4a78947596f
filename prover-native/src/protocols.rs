//! CLI front ends of the protocols in `zkinfer_core::protocols`: sampled audits of a provider's
//! signed receipts, accuracy attestations, and trustless retrieval. The logic (and its unit
//! tests) lives in core; here are file handling, HTTP and reporting.

use crate::cli_util::step;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use zkinfer_core::protocols::accuracy::{self, Attestation, Coverage, Dataset};
use zkinfer_core::protocols::audit::{self, AuditReport};
use zkinfer_core::protocols::receipt::{parse_public_key, SignedReceipt};
use zkinfer_core::protocols::retrieval::{self, Collection, MerkleTree, Response, SpotChecks};
use zkinfer_core::prove::ModelDir;
use zkinfer_core::VerifierKey;

fn read(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {what} {}", path.display()))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T> {
    serde_json::from_slice(&read(path, what)?)
        .with_context(|| format!("{} is not a valid {what} (JSON)", path.display()))
}

fn read_key(path: &Path) -> Result<VerifierKey> {
    VerifierKey::from_bytes(&read(path, "verifier key")?)
        .with_context(|| format!("verifier key {}", path.display()))
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    zkinfer_core::fsutil::check_writable(path)?;
    let text = serde_json::to_vec_pretty(value)?;
    zkinfer_core::fsutil::write_atomic(path, &text)?;
    Ok(())
}

/// The model a consumer trusts: its verifier key, held locally (not fetched from the provider),
/// and, for hidden weights, the commitment the provider published.
#[derive(Args)]
pub struct PinnedModel {
    /// The model's verifier key, pinned by the consumer.
    #[arg(long, value_name = "FILE")]
    verifier_key: PathBuf,
    /// The model commitment the provider published (required when the weights are hidden).
    #[arg(long, value_name = "HEX")]
    commitment: Option<String>,
}

impl PinnedModel {
    /// The parsed key and the canonical commitment (None when the weights are in the key).
    fn load(&self) -> Result<(VerifierKey, Option<String>)> {
        let key = read_key(&self.verifier_key)?;
        let commitment =
            zkinfer_core::verify::expected_commitment(&key, self.commitment.as_deref())
                .context("--commitment")?;
        Ok((key, commitment))
    }
}

// ---- audit -------------------------------------------------------------------------------------

#[derive(Args)]
pub struct AuditArgs {
    /// The provider's server, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    server: String,
    /// Signed receipts collected from predictions: one JSON per line, either a signed receipt
    /// or a whole predict response (its `signed_receipt` is used).
    #[arg(long, value_name = "FILE")]
    receipts: PathBuf,
    #[command(flatten)]
    model: PinnedModel,
    /// The provider's published ed25519 receipt key (hex).
    #[arg(long, value_name = "HEX")]
    provider_key: String,
    /// Detection goal: catch a provider that cheated on at least this fraction of the receipts...
    #[arg(long, default_value_t = 0.05)]
    detect: f64,
    /// ...with at least this probability.
    #[arg(long, default_value_t = 0.95)]
    confidence: f64,
    /// Sampling seed (hex) to make the sample reproducible [default: random]. Keep it secret
    /// from the provider until the receipts are collected.
    #[arg(long)]
    seed: Option<String>,
    /// Seconds to wait for a proof that is still being computed, or, for a receipt with a proof
    /// deadline, for the provider to answer at all (until the deadline passes).
    #[arg(long, default_value_t = 600.0, value_parser = crate::serve::config::parse_secs)]
    wait: f64,
    /// Where to write the report, with the evidence (JSON).
    #[arg(short, long, value_name = "REPORT.json")]
    output: PathBuf,
}

fn parse_receipts(text: &str) -> Result<Vec<SignedReceipt>> {
    let mut out = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("receipts line {}: not JSON", i + 1))?;
        let v = v.get("signed_receipt").cloned().unwrap_or(v);
        out.push(
            serde_json::from_value(v)
                .with_context(|| format!("receipts line {}: not a signed receipt", i + 1))?,
        );
    }
    Ok(out)
}

/// The time now, in Unix milliseconds.
fn now_unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Fetches the proof of a receipt. While it is queued or proving (202), it asks again until
/// `wait` has passed. For a receipt with a signed proof deadline, a failed connection or an
/// error is asked again too, until the deadline has passed or `wait` is over, whichever comes
/// first: before the deadline the network may be at fault, after it nothing excuses the
/// provider ([`audit::Failure::Overdue`]), so there is no point waiting longer.
fn fetch_proof(server: &str, signed: &SignedReceipt, wait: Duration) -> audit::Served {
    use audit::Served;
    let receipt_id = &signed.receipt.receipt_id;
    let has_deadline = signed.receipt.proof_deadline_unix_ms.is_some();
    let url = format!("{}/api/proofs/{receipt_id}", server.trim_end_matches('/'));
    let start = Instant::now();
    loop {
        let answer = match ureq::get(&url).timeout(Duration::from_secs(60)).call() {
            Ok(r) if r.status() == 200 => {
                let signature = r.header("x-zkinfer-proof-signature").map(String::from);
                let mut bundle = Vec::new();
                match r.into_reader().take(64 << 20).read_to_end(&mut bundle) {
                    Ok(_) => return Served::Proof { bundle, signature },
                    Err(e) => Served::Unreachable(format!("reading the proof: {e}")),
                }
            }
            Ok(r) if r.status() == 202 => Served::Pending(format!(
                "still not proven after {:.0} s",
                wait.as_secs_f64()
            )),
            Ok(r) => Served::Refused(format!(
                "HTTP {} {}",
                r.status(),
                r.into_string().unwrap_or_default()
            )),
            Err(ureq::Error::Status(code, r)) => Served::Refused(format!(
                "HTTP {code} {}",
                r.into_string().unwrap_or_default()
            )),
            Err(e) => Served::Unreachable(e.to_string()),
        };
        let pending = matches!(answer, Served::Pending(_));
        let retry = pending || has_deadline;
        let overdue = !pending && audit::is_overdue(signed, now_unix_ms());
        if !retry || overdue || start.elapsed() >= wait {
            return answer;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

use std::io::Read as _;

pub fn audit(a: AuditArgs) -> Result<()> {
    let (key, commitment) = a.model.load()?;
    let commitment = commitment.as_deref();
    let provider = parse_public_key(&a.provider_key)?;
    let text = std::fs::read_to_string(&a.receipts)
        .with_context(|| format!("reading receipts {}", a.receipts.display()))?;
    let receipts = parse_receipts(&text)?;
    // Receipts that are not genuinely the provider's, or not for this model, cannot be audited.
    for r in &receipts {
        r.check_signature(Some(&provider))
            .with_context(|| format!("receipts file {}", a.receipts.display()))?;
        if r.receipt.model_id != key.model_id {
            bail!(
                "receipt {} is for model {}, the verifier key is model {}",
                r.receipt.receipt_id,
                r.receipt.model_id,
                key.model_id
            );
        }
    }
    let n = audit::sample_size(receipts.len(), a.detect, a.confidence)?;
    let seed = a
        .seed
        .clone()
        .unwrap_or_else(zkinfer_core::protocols::random_seed);
    let picked = zkinfer_core::protocols::sample_indices(receipts.len(), n, seed.as_bytes());
    println!(
        "auditing {n} of {} receipts: detects cheating on >= {:.1}% of them with probability >= {:.1}% (seed {seed})",
        receipts.len(),
        100.0 * a.detect,
        100.0 * a.confidence
    );
    let mut evidence = Vec::new();
    let mut verified = 0;
    for &i in &picked {
        let r = &receipts[i];
        let served = fetch_proof(&a.server, r, Duration::from_secs_f64(a.wait));
        match audit::check_receipt(&key, &provider, commitment, r, served, now_unix_ms())? {
            Ok(()) => verified += 1,
            Err(e) => {
                println!(
                    "  receipt {} ({:?}): {}",
                    r.receipt.receipt_id, e.failure, e.reason
                );
                evidence.push(e);
            }
        }
    }
    let verdict = AuditReport::verdict_of(&evidence);
    let report = AuditReport {
        model_id: key.model_id.clone(),
        model_commitment: commitment.map(String::from),
        provider_key: a.provider_key.clone(),
        receipts: receipts.len(),
        detect_fraction: a.detect,
        confidence: a.confidence,
        sample_size: n,
        seed,
        sampled: picked
            .iter()
            .map(|&i| receipts[i].receipt.receipt_id.clone())
            .collect(),
        verified,
        verdict: verdict.into(),
        evidence,
    };
    write_json(&a.output, &report)?;
    match verdict {
        "honest" => {
            println!("verdict: HONEST: all {verified} sampled receipts have valid proofs of exactly what was promised (report: {})", a.output.display());
            Ok(())
        }
        "caught" => bail!(
            "verdict: CAUGHT: {} of {n} sampled receipts are not backed by a valid proof; the signed receipts and what was served for them are in {}",
            report.evidence.iter().filter(|e| e.failure.is_evidence()).count(),
            a.output.display()
        ),
        _ => bail!(
            "verdict: INCONCLUSIVE: the provider could not be reached for {} sampled receipts before their proof deadlines, or they have none (none failed otherwise); run the audit again with the same --seed once the deadlines have passed: no proof then is evidence (report: {})",
            report.evidence.len(),
            a.output.display()
        ),
    }
}

#[derive(Args)]
pub struct RecheckArgs {
    /// An audit report written by `zkinfer audit`.
    report: PathBuf,
    #[command(flatten)]
    model: PinnedModel,
    /// The provider's published ed25519 receipt key (hex).
    #[arg(long, value_name = "HEX")]
    provider_key: String,
    /// The provider's server: overdue evidence (no proof by a receipt's signed deadline) is
    /// re-checked by asking it for the proof now; serving a valid signed proof refutes it.
    #[arg(long)]
    server: Option<String>,
    /// With --server: seconds to wait for a proof the provider is still computing.
    #[arg(long, default_value_t = 600.0, value_parser = crate::serve::config::parse_secs)]
    wait: f64,
}

/// A third party's re-check of an audit's evidence: exit 0 when every piece holds.
pub fn recheck(a: RecheckArgs) -> Result<()> {
    let (key, commitment) = a.model.load()?;
    let commitment = commitment.as_deref();
    let provider = parse_public_key(&a.provider_key)?;
    let report: AuditReport = read_json(&a.report, "audit report")?;
    if report.evidence.is_empty() {
        bail!("the report holds no evidence (verdict: {})", report.verdict);
    }
    let mut failed = 0;
    for e in &report.evidence {
        let served_now = match (&a.server, e.failure) {
            (Some(server), audit::Failure::Overdue) => Some(fetch_proof(
                server,
                &e.signed_receipt,
                Duration::from_secs_f64(a.wait),
            )),
            _ => None,
        };
        match audit::recheck(&key, &provider, commitment, e, now_unix_ms(), served_now) {
            Ok(reason) => println!("CONFIRMED: {reason}"),
            Err(err) => {
                failed += 1;
                println!("NOT CONFIRMED: {err}");
            }
        }
    }
    if failed > 0 {
        bail!(
            "{failed} of {} pieces of evidence do not hold",
            report.evidence.len()
        );
    }
    println!("all {} pieces of evidence hold", report.evidence.len());
    Ok(())
}

// ---- accuracy ----------------------------------------------------------------------------------

#[derive(Args)]
pub struct ProveDatasetArgs {
    /// A directory written by `zkinfer compile`.
    dir: PathBuf,
    /// The labelled test set: {"inputs": [[...], ...], "labels": [...]}.
    #[arg(long, value_name = "FILE")]
    dataset: PathBuf,
    /// Prove only a sample chosen by this consumer-supplied seed (hex) instead of every item.
    #[arg(long)]
    sample_seed: Option<String>,
    /// Sampled: the attested accuracy is within this of the full set's...
    #[arg(long, default_value_t = 0.05)]
    tolerance: f64,
    /// ...with this probability.
    #[arg(long, default_value_t = 0.95)]
    confidence: f64,
    /// Where to write the attestation.
    #[arg(short, long, value_name = "ATTESTATION.json")]
    output: PathBuf,
    #[command(flatten)]
    srs: crate::SrsArgs,
}

pub fn prove_dataset(a: ProveDatasetArgs) -> Result<()> {
    let (dataset, sha) = Dataset::parse(&read(&a.dataset, "test set")?)?;
    zkinfer_core::fsutil::check_writable(&a.output)?;
    let coverage = match &a.sample_seed {
        Some(seed) => Coverage::Sampled {
            seed: seed.clone(),
            tolerance: a.tolerance,
            confidence: a.confidence,
        },
        None => Coverage::All,
    };
    let n = coverage.indices(dataset.inputs.len(), &sha)?.len();
    let model_dir = ModelDir::new(&a.dir);
    let (mut prover, _) = step("loading keys", || Ok(model_dir.prover(&a.srs.source())?))?;
    if n > 1 {
        // One proof at a time: the key's cosets beside this model's estimated peak.
        let peak = prover.compiled.plan.estimated_peak_bytes;
        prover.hold_extended_cosets(zkinfer_core::prove::DEFAULT_MEMORY_BUDGET, peak);
    }
    println!(
        "test set {sha}: proving {n} of {} items",
        dataset.inputs.len()
    );
    let (attestation, t) = step(&format!("proving {n} inferences"), || {
        Ok(accuracy::attest(
            &prover,
            &dataset,
            &sha,
            coverage,
            |done, total| {
                if done % 10 == 0 || done == total {
                    eprintln!("  {done}/{total}");
                }
            },
        )?)
    })?;
    write_json(&a.output, &attestation)?;
    println!(
        "attestation written to {} ({n} proofs, {:.2} s per proof)",
        a.output.display(),
        t.as_secs_f64() / n.max(1) as f64
    );
    Ok(())
}

#[derive(Args)]
pub struct AttestArgs {
    #[command(flatten)]
    model: PinnedModel,
    /// The labelled test set the attestation is for (its SHA-256 must match).
    #[arg(long, value_name = "FILE")]
    dataset: PathBuf,
    /// The provider's attestation (from `zkinfer prove-dataset`).
    #[arg(long, value_name = "FILE")]
    attestation: PathBuf,
    /// The sampled variant you asked for: the seed you gave the provider. Without it, the
    /// attestation must prove every item.
    #[arg(long)]
    sample_seed: Option<String>,
    /// With --sample-seed: the tolerance you asked for.
    #[arg(long, default_value_t = 0.05)]
    tolerance: f64,
    /// With --sample-seed: the confidence you asked for.
    #[arg(long, default_value_t = 0.95)]
    confidence: f64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn attest_accuracy(a: AttestArgs) -> Result<()> {
    let (key, commitment) = a.model.load()?;
    let commitment = commitment.as_deref();
    let (dataset, sha) = Dataset::parse(&read(&a.dataset, "test set")?)?;
    let attestation: Attestation = read_json(&a.attestation, "attestation")?;
    // The coverage is the consumer's choice: a provider-chosen seed could be retried until the
    // sample looks good.
    let expected = match &a.sample_seed {
        Some(seed) => Coverage::Sampled {
            seed: seed.clone(),
            tolerance: a.tolerance,
            confidence: a.confidence,
        },
        None => Coverage::All,
    };
    let t = Instant::now();
    let report =
        accuracy::verify_attestation(&key, commitment, &dataset, &sha, &expected, &attestation)
            .map_err(|e| anyhow::anyhow!("INVALID: {e}"))?;
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "VALID attestation: {} of {} proven items are classified correctly: accuracy {:.2}%{}",
            report.correct,
            report.proven,
            100.0 * report.accuracy,
            match (report.tolerance, report.confidence) {
                (Some(t), Some(c)) => format!(
                    " (a sample of {} of {}: the full set's accuracy is within {:.1} points of it with probability {:.0}%)",
                    report.proven,
                    report.items,
                    100.0 * t,
                    100.0 * c
                ),
                _ => String::new(),
            }
        );
        println!(
            "model {}{}; test set {}; {} proofs checked in {:.2} s",
            report.model_id,
            report
                .model_commitment
                .as_deref()
                .map(|c| format!(" committed as {c}"))
                .unwrap_or_default(),
            report.dataset_sha256,
            report.proven,
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

// ---- retrieval ---------------------------------------------------------------------------------

#[derive(Subcommand)]
pub enum RetrievalCommand {
    /// Responder: print the Merkle root committing to a collection ({"documents": [[...], ...]}).
    Commit {
        #[arg(long, value_name = "FILE")]
        collection: PathBuf,
    },
    /// Responder, round one: answer a query with the documents the classifier puts in CLASS,
    /// each with its Merkle path and a proof.
    Respond {
        /// The requester's compiled classifier.
        dir: PathBuf,
        #[arg(long, value_name = "FILE")]
        collection: PathBuf,
        #[arg(long)]
        class: usize,
        #[arg(short, long, value_name = "RESPONSE.json")]
        output: PathBuf,
        #[command(flatten)]
        srs: crate::SrsArgs,
    },
    /// Responder, round two: prove that the documents the requester's seed picks among those not
    /// returned do not match.
    SpotCheck {
        dir: PathBuf,
        #[arg(long, value_name = "FILE")]
        collection: PathBuf,
        /// The round-one response.
        #[arg(long, value_name = "RESPONSE.json")]
        response: PathBuf,
        /// The requester's seed, chosen after it received the response.
        #[arg(long)]
        seed: String,
        #[arg(long, default_value_t = 3)]
        count: usize,
        #[arg(short, long, value_name = "SPOT.json")]
        output: PathBuf,
        #[command(flatten)]
        srs: crate::SrsArgs,
    },
    /// Requester: check a response (and the spot checks answering your seed) against the
    /// committed root and your classifier's key.
    Verify {
        response: PathBuf,
        /// The requester's classifier.
        #[command(flatten)]
        model: PinnedModel,
        /// The root the responder published before the query.
        #[arg(long)]
        root: String,
        #[arg(long)]
        class: usize,
        /// The responder's round-two answer.
        #[arg(long, value_name = "SPOT.json", requires = "seed")]
        spot_checks: Option<PathBuf>,
        /// The seed you sent for the spot checks.
        #[arg(long)]
        seed: Option<String>,
        /// How many spot checks you asked for.
        #[arg(long, default_value_t = 3)]
        count: usize,
    },
}

fn read_collection(path: &Path) -> Result<Collection> {
    serde_json::from_slice(&read(path, "collection")?)
        .with_context(|| format!("{} is not {{\"documents\": [[...], ...]}}", path.display()))
}

pub fn retrieval(cmd: RetrievalCommand) -> Result<()> {
    match cmd {
        RetrievalCommand::Commit { collection } => {
            let c = read_collection(&collection)?;
            let tree = MerkleTree::new(&c.documents)?;
            println!("root: {}\ndocuments: {}", tree.root_hex(), tree.len());
            Ok(())
        }
        RetrievalCommand::Respond {
            dir,
            collection,
            class,
            output,
            srs,
        } => {
            let c = read_collection(&collection)?;
            zkinfer_core::fsutil::check_writable(&output)?;
            let model_dir = ModelDir::new(&dir);
            let (prover, _) = step("loading keys", || Ok(model_dir.prover(&srs.source())?))?;
            let (response, t) = step("classifying and proving the matches", || {
                Ok(retrieval::respond(&prover, &c, class)?)
            })?;
            write_json(&output, &response)?;
            println!(
                "{} matching documents proven in {:.1} s -> {}",
                response.matches.len(),
                t.as_secs_f64(),
                output.display()
            );
            Ok(())
        }
        RetrievalCommand::SpotCheck {
            dir,
            collection,
            response,
            seed,
            count,
            output,
            srs,
        } => {
            let c = read_collection(&collection)?;
            let r: Response = read_json(&response, "retrieval response")?;
            zkinfer_core::fsutil::check_writable(&output)?;
            let model_dir = ModelDir::new(&dir);
            let (prover, _) = step("loading keys", || Ok(model_dir.prover(&srs.source())?))?;
            let (checks, t) = step("proving the spot checks", || {
                Ok(retrieval::spot_check(&prover, &c, &r, &seed, count)?)
            })?;
            write_json(&output, &checks)?;
            println!(
                "{} spot checks proven in {:.1} s -> {}",
                checks.documents.len(),
                t.as_secs_f64(),
                output.display()
            );
            Ok(())
        }
        RetrievalCommand::Verify {
            response,
            model,
            root,
            class,
            spot_checks,
            seed,
            count,
        } => {
            let (key, commitment) = model.load()?;
            let commitment = commitment.as_deref();
            let r: Response = read_json(&response, "retrieval response")?;
            let checks: Option<SpotChecks> = spot_checks
                .as_deref()
                .map(|p| read_json(p, "spot-check answer"))
                .transpose()?;
            let spot = match (&checks, &seed) {
                (Some(c), Some(s)) => Some((c, s.as_str(), count)),
                _ => None,
            };
            let report = retrieval::verify_response(&key, commitment, &root, class, &r, spot)
                .map_err(|e| anyhow::anyhow!("INVALID: {e}"))?;
            println!(
                "VALID: {} documents of the committed collection are proven to be class {class}: {:?}",
                report.matches.len(),
                report.matches
            );
            if report.spot_checked.is_empty() {
                println!("no spot checks: omitted matches would go unnoticed (ask for them with a fresh seed after receiving the response)");
            } else {
                println!(
                    "{} spot-checked non-returned documents are proven not to match: {:?} (had 10% of the non-returned documents been omitted matches, this would have caught it with probability {:.0}%)",
                    report.spot_checked.len(),
                    report.spot_checked,
                    100.0 * report.detection_at_10_percent
                );
            }
            Ok(())
        }
    }
}
