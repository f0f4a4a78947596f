//! Tests only: see tests/ and README.md.
