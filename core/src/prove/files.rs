//! The compiled model directory: staged writes, the files it holds, and the prover loaded
//! from it.

use super::*;

/// Fills a temporary sibling directory of `dir` with `fill` and puts it in `dir`'s place only
/// once complete, so a failure or an interruption never leaves a half-written directory.
pub(crate) fn write_staged<T>(dir: &Path, fill: impl FnOnce(&Path) -> Result<T>) -> Result<T> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    remove_abandoned_staging(parent, &name);
    let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir(&staging).map_err(|e| Error::io(&staging, e))?;
    let result = fill(&staging).and_then(|t| {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        std::fs::rename(&staging, dir).map_err(|e| Error::io(dir, e))?;
        Ok(t)
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

/// Removes the staging directories of `name` left by processes that no longer run (a compile
/// killed with SIGKILL, or by the machine going down, cleans nothing up itself). Only where
/// `/proc` tells which processes run; a directory whose process id runs again is left alone.
fn remove_abandoned_staging(parent: &Path, name: &str) {
    let proc_fs = Path::new("/proc");
    if !proc_fs.join("self").exists() {
        return;
    }
    let prefix = format!(".{name}.partial-");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .filter(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        if !proc_fs.join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Files of a compiled model directory.
pub struct ModelDir {
    pub dir: PathBuf,
}

pub const COMPILED_FILE: &str = "compiled.bin";
/// `compiled.bin` starts with these magic bytes and [`COMPILED_VERSION`] (the framing of
/// verifier keys and proof bundles), then the bincode of [`Compiled`]: a file of another kind,
/// or from a build whose compiled form differs, is named as such instead of failing to decode.
pub const COMPILED_MAGIC: &[u8; 8] = b"ZKINF-CM";
/// Raised whenever [`Compiled`]'s encoding changes (new step kinds appended to the end of
/// [`crate::qgraph::StepKind`] leave older files readable), and whenever the circuit of a stored
/// graph changes, so that a proving key made for the old circuit is never used with the new one
/// (10: the softmax's clamp became a table of its own).
pub const COMPILED_VERSION: u32 = 10;
pub const PROVING_KEY_FILE: &str = "proving-key.bin";
pub const VERIFIER_KEY_FILE: &str = "verifier-key";
pub const SUMMARY_FILE: &str = "summary.txt";

/// Everything `prove` needs, loaded from a model directory.
pub struct Prover {
    pub compiled: Compiled,
    pub params: ParamsKZG<Bn256>,
    pub pk: ProvingKey<G1Affine>,
    pub verifier_key: VerifierKey,
    pub verifier_key_bytes: Vec<u8>,
}

#[derive(Clone, Debug, Default)]
pub struct Timings {
    pub params: Duration,
    pub keygen: Duration,
}

impl ModelDir {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ModelDir { dir: dir.into() }
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// Generates keys for `compiled` and writes the directory. Files are written into a
    /// temporary sibling directory that replaces `dir` only once complete, so a failure or an
    /// interruption never leaves a half-written model directory.
    pub fn write(&self, compiled: &Compiled, srs: &SrsSource, summary: &str) -> Result<Timings> {
        write_staged(&self.dir, |staging| {
            ModelDir::new(staging).write_files(compiled, srs, summary, true)
        })
    }

    /// Writes `compiled.bin`.
    pub fn write_compiled(&self, compiled: &Compiled) -> Result<()> {
        crate::fsutil::write_atomic(&self.path(COMPILED_FILE), &compiled.to_bytes()?)
    }

    /// Writes `compiled.bin`, the verifier key and the summary, and the proving key when
    /// `with_proving_key` (a chain's segments leave it out: see
    /// [`crate::chain::ChainDir::write`]).
    pub(crate) fn write_files(
        &self,
        compiled: &Compiled,
        srs: &SrsSource,
        summary: &str,
        with_proving_key: bool,
    ) -> Result<Timings> {
        // The compiled graph first: a full or unwritable disk shows up before key generation.
        self.write_compiled(compiled)?;
        let t0 = Instant::now();
        let params = srs.load(compiled.plan.k)?;
        let t_params = t0.elapsed();
        let t1 = Instant::now();
        let vk_bytes = if with_proving_key {
            let (pk, vk_bytes) = compiled.keygen(&params, &srs.label(&params))?;
            crate::fsutil::write_atomic(
                &self.path(PROVING_KEY_FILE),
                &pk.to_bytes(SerdeFormat::RawBytes),
            )?;
            vk_bytes
        } else {
            compiled.verifier_key_bytes(&params, &srs.label(&params))?
        };
        let t_keygen = t1.elapsed();
        crate::fsutil::write_atomic(&self.path(VERIFIER_KEY_FILE), &vk_bytes)?;
        let id = crate::verifier_key::model_id(&vk_bytes);
        let summary = format!(
            "{summary}model id (SHA-256 of verifier-key): {id}\nparameters: {}\nsetup digest: {}\n",
            srs.describe(),
            crate::setup::describe(&crate::setup::params_setup_digest(&params))
        );
        crate::fsutil::write_atomic(&self.path(SUMMARY_FILE), summary.as_bytes())?;
        Ok(Timings {
            params: t_params,
            keygen: t_keygen,
        })
    }

    pub(crate) fn read(&self, file: &str) -> Result<Vec<u8>> {
        let p = self.path(file);
        std::fs::read(&p).map_err(|e| Error::io(&p, e))
    }

    pub fn compiled(&self) -> Result<Compiled> {
        Compiled::from_bytes(&self.read(COMPILED_FILE)?).map_err(|e| match e {
            Error::Malformed { what, reason } => Error::malformed(
                what,
                format!(
                    "{}: {reason} (recompile the model)",
                    self.path(COMPILED_FILE).display()
                ),
            ),
            e => e,
        })
    }

    /// Loads everything needed to prove. Without a stored proving key (a chain's segment), the
    /// proving key is generated again for the stored verifier key
    /// ([`Compiled::proving_key_for`]; the caller checks its proofs against that key).
    pub fn prover(&self, srs: &SrsSource) -> Result<Prover> {
        let compiled = self.compiled()?;
        let verifier_key_bytes = self.read(VERIFIER_KEY_FILE)?;
        let verifier_key = VerifierKey::from_bytes(&verifier_key_bytes)?;
        let params = srs.load(compiled.plan.k)?;
        let setup = crate::setup::params_setup_digest(&params);
        if setup != verifier_key.setup_digest {
            return Err(Error::InvalidInput(format!(
                "{}: its verifier key was made under the setup {}, these parameters are the \
                 setup {setup}: prove with the parameters the model was compiled with",
                self.dir.display(),
                verifier_key.setup_digest
            )));
        }
        let pk = if self.path(PROVING_KEY_FILE).exists() {
            let pk_bytes = self.read(PROVING_KEY_FILE)?;
            ProvingKey::<G1Affine>::from_bytes::<ModelCircuit>(
                &pk_bytes,
                SerdeFormat::RawBytes,
                compiled.plan.shape.clone(),
            )
            .map_err(|e| Error::malformed("proving key", e.to_string()))?
        } else {
            compiled
                .proving_key_for(&params, &verifier_key, &srs.label(&params))
                .map_err(|e| match e {
                    Error::InvalidInput(m) => {
                        Error::InvalidInput(format!("{}: {m}", self.dir.display()))
                    }
                    e => e,
                })?
        };
        Ok(Prover {
            compiled,
            params,
            pk,
            verifier_key,
            verifier_key_bytes,
        })
    }
}

impl Prover {
    pub fn model_id(&self) -> &str {
        &self.verifier_key.model_id
    }

    /// The memory the key's extended-domain cosets take once held
    /// ([`Prover::hold_extended_cosets`]).
    pub fn extended_cosets_bytes(&self) -> u64 {
        self.pk.extended_cosets_bytes()
    }

    /// For a prover that makes many proofs with one key (a server, an accuracy attestation):
    /// the key keeps its fixed and permutation polynomials on the extended domain, which every
    /// proof otherwise recomputes (vendored halo2 patch 11; the proofs are the same), when they
    /// fit `budget` bytes beside `reserved` (what the caller keeps for everything else: the
    /// proofs that run at once, other keys' held cosets). Returns whether it does. A single
    /// proof gains nothing: the work moves, it does not shrink.
    pub fn hold_extended_cosets(&mut self, budget: u64, reserved: u64) -> bool {
        match reserved.checked_add(self.extended_cosets_bytes()) {
            Some(total) if total <= budget => {}
            _ => return false,
        }
        self.pk.precompute_extended_cosets();
        true
    }

    /// Proves one inference (`input_salt`: see [`Witness`]).
    pub fn prove(&self, input: &[f32], input_salt: Option<Fr>) -> Result<ProofBundle> {
        self.compiled.prove(
            &self.params,
            &self.pk,
            &self.verifier_key,
            input,
            input_salt,
        )
    }
}

#[cfg(test)]
mod staging_tests {
    use super::*;

    /// A compile killed mid-way leaves its staging directory; the next write of that directory
    /// removes it, but not the staging directory of a process that still runs.
    #[test]
    fn a_staged_write_removes_what_a_killed_compile_left() {
        let tmp = tempfile::tempdir().unwrap();
        let abandoned = tmp.path().join(".model.partial-4000000000");
        std::fs::create_dir(&abandoned).unwrap();
        std::fs::write(abandoned.join("proving-key.bin"), b"half").unwrap();
        // Our parent process runs: its staging directory is not ours to remove.
        let running = tmp.path().join(format!(
            ".model.partial-{}",
            std::os::unix::process::parent_id()
        ));
        std::fs::create_dir(&running).unwrap();
        let other = tmp.path().join(".other.partial-4000000000");
        std::fs::create_dir(&other).unwrap();
        let dir = tmp.path().join("model");
        write_staged(&dir, |staging| {
            std::fs::write(staging.join("compiled.bin"), b"x").map_err(|e| Error::io(staging, e))
        })
        .unwrap();
        assert!(dir.join("compiled.bin").is_file());
        assert!(
            !abandoned.exists(),
            "the killed compile's directory is removed"
        );
        assert!(running.exists(), "a running process's directory is kept");
        assert!(other.exists(), "another model's directory is not touched");
    }
}

#[cfg(test)]
mod held_cosets_tests {
    use super::*;
    use crate::test_fixtures::{params, tiny_graph, tiny_input};

    fn tiny_prover() -> Prover {
        let opts = CompileOptions {
            dot_width: Some(4),
            ..CompileOptions::default()
        };
        let (_, compiled) = crate::chain::compile_segments(&tiny_graph(), &[], &opts)
            .unwrap()
            .pop()
            .unwrap();
        let params = params(compiled.plan.k, crate::srs::DEV_SEED);
        let (pk, verifier_key_bytes) = compiled.keygen(&params, "dev").unwrap();
        Prover {
            compiled,
            params,
            pk,
            verifier_key: VerifierKey::from_bytes(&verifier_key_bytes).unwrap(),
            verifier_key_bytes,
        }
    }

    #[test]
    fn a_prover_holds_its_keys_cosets_only_within_the_budget_and_its_proofs_verify() {
        let mut prover = tiny_prover();
        let peak = prover.compiled.plan.estimated_peak_bytes;
        let held = prover.extended_cosets_bytes();
        assert!(held > 0);
        assert!(!prover.hold_extended_cosets(peak + held - 1, peak));
        assert!(!prover.pk.has_extended_cosets());
        assert!(!prover.hold_extended_cosets(u64::MAX, u64::MAX));
        assert!(!prover.pk.has_extended_cosets());
        assert!(prover.hold_extended_cosets(peak + held, peak));
        assert!(prover.pk.has_extended_cosets());
        let bundle = prover.prove(&tiny_input(), None).unwrap();
        crate::verify(&prover.verifier_key, &bundle.to_bytes()).unwrap();
    }
}
