//! The digest of every source a compiled test fixture depends on (the circuit, the quantizer,
//! the patched halo2, the example model, the lock file), so fixtures cached under target/ are
//! rebuilt exactly when one of them changes (see src/fixtures.rs).

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const SOURCES: &[&str] = &[
    "core/src",
    "core/Cargo.toml",
    "vendor/halo2-axiom/src",
    "vendor/halo2-axiom/Cargo.toml",
    "vendor/halo2curves-axiom/src",
    "vendor/halo2curves-axiom/Cargo.toml",
    "examples/mnist",
    "Cargo.lock",
    "tests/src",
];

fn files_under(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for e in entries {
            files_under(&e, out);
        }
    } else if path.is_file() {
        out.push(path.to_path_buf());
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut digest = Sha256::new();
    for source in SOURCES {
        let path = root.join(source);
        println!("cargo:rerun-if-changed={}", path.display());
        let mut files = Vec::new();
        files_under(&path, &mut files);
        for f in files {
            let rel = f
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let bytes = std::fs::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            digest.update((rel.len() as u64).to_le_bytes());
            digest.update(rel.as_bytes());
            digest.update((bytes.len() as u64).to_le_bytes());
            digest.update(&bytes);
        }
    }
    let hex: String = digest.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    println!("cargo:rustc-env=ZKINFER_FIXTURE_SOURCES={hex}");
}
