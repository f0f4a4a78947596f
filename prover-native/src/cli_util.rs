//! What several subcommands share: the progress spinner around a slow step, reading a labels
//! file or a compiled model directory, and printing output values.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::time::{Duration, Instant};
use zkinfer_core::prove::{ModelDir, VERIFIER_KEY_FILE};

/// Runs `f` with a spinner showing the elapsed time.
pub(crate) fn step<T>(label: &str, f: impl FnOnce() -> Result<T>) -> Result<(T, Duration)> {
    use zkinfer_core::build::Progress;
    let mut spinner = Spinner::default();
    spinner.report(Progress::Started(label));
    let t = Instant::now();
    let r = f();
    let elapsed = t.elapsed();
    if r.is_ok() {
        spinner.report(Progress::Finished(label, elapsed));
    }
    r.map(|v| (v, elapsed))
}

/// The spinner of a step that a library reports (`zkinfer_core::build::Progress`): shown while
/// the step runs, then a line with its time; notes are printed as they come.
#[derive(Default)]
pub(crate) struct Spinner {
    running: Option<ProgressBar>,
}

impl Spinner {
    pub(crate) fn report(&mut self, p: zkinfer_core::build::Progress<'_>) {
        use zkinfer_core::build::Progress;
        match p {
            Progress::Started(label) => {
                let pb = ProgressBar::new_spinner();
                pb.set_style(
                    ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                        .expect("valid template"),
                );
                pb.set_message(label.to_string());
                pb.enable_steady_tick(Duration::from_millis(120));
                self.running = Some(pb);
            }
            Progress::Finished(label, elapsed) => {
                if let Some(pb) = self.running.take() {
                    pb.finish_and_clear();
                }
                eprintln!("{label}: {:.2} s", elapsed.as_secs_f64());
            }
            Progress::Note(line) => println!("{line}"),
        }
    }
}

impl Drop for Spinner {
    /// A step that failed leaves no spinner behind.
    fn drop(&mut self) {
        if let Some(pb) = self.running.take() {
            pb.finish_and_clear();
        }
    }
}

pub(crate) fn read_labels(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading labels {}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect())
}

/// A compiled model directory's graph and model id (the SHA-256 of its verifier key).
pub(crate) fn compiled_and_id(dir: &Path) -> Result<(zkinfer_core::prove::Compiled, String)> {
    let model_dir = ModelDir::new(dir);
    let compiled = model_dir.compiled()?;
    let key_path = model_dir.path(VERIFIER_KEY_FILE);
    let key =
        std::fs::read(&key_path).with_context(|| format!("reading {}", key_path.display()))?;
    Ok((compiled, zkinfer_core::verifier_key::model_id(&key)))
}

pub(crate) use zkinfer_core::tensor::preview as fmt_values;
