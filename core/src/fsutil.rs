//! Writes that never leave a half-written file: write a sibling temp file, fsync, rename.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;

/// The sibling temporary file `write_atomic` writes `path` through.
fn temp_sibling(path: &Path) -> std::path::PathBuf {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join(format!(".{name}.tmp-{}", std::process::id()))
}

/// Checks, before expensive work, that `path` can later be written by `write_atomic`: its
/// directory exists and accepts a new file (so a missing or read-only directory is reported at
/// once, not after minutes of proving). A full disk can still fail the real write.
pub fn check_writable(path: &Path) -> Result<()> {
    let tmp = temp_sibling(path);
    std::fs::File::create(&tmp).map_err(|e| Error::io(path, e))?;
    let _ = std::fs::remove_file(&tmp);
    Ok(())
}

pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_sibling(path);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    Ok(())
}
