//! The layers of Walk-Jump Studio under one name, for the command line and the
//! integration tests: `walkjump::molecule` and the rest of the core come from
//! `walkjump-core`, `walkjump::nn`, `walkjump::lab` and `walkjump::live` from
//! `walkjump-nn` (ARCHITECTURE.md).

pub use walkjump_core::*;
pub use walkjump_nn as nn;
pub use walkjump_nn::{lab, live};
