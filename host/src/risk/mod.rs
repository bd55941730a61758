//! Signal validation.
