mod curve;
mod fq;
mod fr;

pub use curve::*;
pub use fq::*;
pub use fr::*;
