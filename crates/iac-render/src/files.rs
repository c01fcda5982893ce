//! Targets and the files each one produces, as data (the caller writes them).

/// placeholder
pub struct OutputFile;
/// placeholder
pub enum Target {}
/// placeholder
pub fn render_target() {}
