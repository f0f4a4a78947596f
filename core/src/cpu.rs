//! What the native build asks of the processor.
//!
//! On x86-64, BN254's field products run on halo2curves' hand-written assembly (its `asm`
//! feature, turned on for x86-64 in this crate's manifest): about 15% faster proving than the
//! portable Rust products (BENCHMARKS.md, "Field arithmetic"), bit for bit the same results, so
//! keys, proofs and model ids do not depend on it. That assembly uses MULX (BMI2) and ADCX/ADOX
//! (ADX), which Intel processors have had since Broadwell (2014) and AMD's since Zen (2017). On
//! an older processor the first field product would stop the process with an illegal
//! instruction; [`check`] says so first, in words. Other architectures (WebAssembly, ARM) use
//! the portable products and need nothing.

use crate::{Error, Result};

/// The instruction-set extensions this build's field arithmetic needs and this processor lacks
/// (empty when it has them all, and always on architectures that need none).
pub fn missing_extensions() -> Vec<&'static str> {
    #[cfg(target_arch = "x86_64")]
    {
        let mut missing = Vec::new();
        if !std::arch::is_x86_feature_detected!("bmi2") {
            missing.push("BMI2");
        }
        if !std::arch::is_x86_feature_detected!("adx") {
            missing.push("ADX");
        }
        missing
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        Vec::new()
    }
}

/// Fails, before any field arithmetic runs, when this processor cannot run this build's field
/// arithmetic. Binaries call it first.
pub fn check() -> Result<()> {
    let missing = missing_extensions();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::UnsupportedCpu(format!(
        "this build's BN254 field arithmetic uses the x86-64 extensions BMI2 and ADX \
         (Intel since 2014, AMD since 2017), and this processor lacks {}",
        missing.join(" and ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_agrees_with_the_missing_extensions() {
        // On this machine both hold or the test process would have died on its first field
        // product (the other tests); the check must then pass, and a failure must name what
        // is missing.
        match check() {
            Ok(()) => assert!(missing_extensions().is_empty()),
            Err(e) => {
                let text = e.to_string();
                assert!(
                    missing_extensions().iter().all(|m| text.contains(m)),
                    "{text}"
                );
            }
        }
    }
}
