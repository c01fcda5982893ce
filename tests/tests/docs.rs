//! The generated reference pages under `docs/reference/` match what the code says: the resource
//! kinds (from each kind's spec) and the diagnostic codes (from the registry). Run with
//! `UPDATE_DOCS=1` to rewrite them after changing a kind or a code.

use std::path::PathBuf;

fn check(file: &str, generated: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/reference").join(file);
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, generated).expect("write the page");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "{} is out of date: run `UPDATE_DOCS=1 cargo test -p tests --test docs` and commit it",
        path.display()
    );
}

#[test]
fn the_kinds_page_is_current() {
    check("kinds.md", &iac_core::model::spec::reference());
}

#[test]
fn the_diagnostics_page_is_current() {
    check("diagnostics.md", &iac_core::diag::codes::reference());
}
