//! The data sets in `../shared/data` (beside the checkout) that tests and benchmarks read and
//! the product never needs.
//!
//! A checkout without them still passes: a test that needs one skips with a message. But where
//! the run requires them (`ZKINFER_REQUIRE_TEST_DATA` set, as `.ci/run` does), a missing data
//! set fails the test instead of letting it pass silently.

use std::path::PathBuf;

/// The variable that turns a skip for missing test data into a failure.
pub const REQUIRE_VAR: &str = "ZKINFER_REQUIRE_TEST_DATA";

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Whether this run requires every test data set to be present.
pub fn required() -> bool {
    std::env::var_os(REQUIRE_VAR).is_some_and(|v| !v.is_empty() && v != "0")
}

/// `../shared/data/<sub>` if it exists; otherwise None after a SKIP message, or a panic when
/// the run requires test data.
pub fn shared_data(sub: &str) -> Option<PathBuf> {
    let path = repo().join("../shared/data").join(sub);
    if path.exists() {
        return Some(path);
    }
    assert!(
        !required(),
        "{} is missing, and {REQUIRE_VAR} says this run needs it",
        path.display()
    );
    eprintln!("SKIP: {} is absent", path.display());
    None
}

/// `../shared/data/bench`: the models the peer systems were measured on.
pub fn bench_dir() -> Option<PathBuf> {
    shared_data("bench")
}

/// `../shared/data/imagenet`: MobileNet v2 and labelled dev images.
pub fn imagenet_dir() -> Option<PathBuf> {
    shared_data("imagenet")
}
