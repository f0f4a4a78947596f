//! What several subcommands share: the progress spinner around a slow step, reading a labels
//! file or a compiled model directory, and printing output values.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::time::{Duration, Instant};
use zkinfer_core::prove::{ModelDir, VERIFIER_KEY_FILE};

/// Runs `f` with a spinner showing the elapsed time.
pub(crate) fn step<T>(label: &str, f: impl FnOnce() -> Result<T>) -> Result<(T, Duration)> {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("valid template"),
    );
    pb.set_message(label.to_string());
    pb.enable_steady_tick(Duration::from_millis(120));
    let t = Instant::now();
    let r = f();
    pb.finish_and_clear();
    let elapsed = t.elapsed();
    if r.is_ok() {
        eprintln!("{label}: {:.2} s", elapsed.as_secs_f64());
    }
    r.map(|v| (v, elapsed))
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

pub(crate) fn fmt_values(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().take(16).map(|x| format!("{x:.3}")).collect();
    format!(
        "[{}{}]",
        parts.join(", "),
        if v.len() > 16 { ", ..." } else { "" }
    )
}
