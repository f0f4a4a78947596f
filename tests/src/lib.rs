//! What the test binaries of the workspace share: the test data outside the repository
//! ([`shared_data`]) and compiled fixtures built once per source tree for every test binary of
//! a run ([`fixtures`]). The end-to-end tests themselves live in tests/tests/.

pub mod fixtures;
pub mod shared_data;
