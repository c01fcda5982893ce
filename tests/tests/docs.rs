//! The generated reference pages under `docs/reference/` match what the code says: the resource
//! kinds (from each kind's spec) and the diagnostic codes (from the registry); and the README's
//! picture of Aquamark prod's dependency graph (`docs/graph-aquamark-prod.svg`). Run with
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

/// The README's picture, `docs/graph-aquamark-prod.svg`, is Aquamark prod's dependency graph as
/// `synth --target graph` draws it: every resource and every edge is in it. `UPDATE_DOCS=1`
/// redraws it with Graphviz's `dot` (when installed).
#[test]
fn the_readme_graph_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/graph-aquamark-prod.svg");
    let stack = stacks::registry().build("aquamark", "prod", None).expect("aquamark builds");
    let dot = iac_render::graph::render(&stack).expect("renders");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        use std::io::Write as _;
        use std::process::{Command, Stdio};
        let mut child = Command::new("dot")
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("Graphviz's dot draws the README's picture");
        child.stdin.take().expect("stdin").write_all(dot.as_bytes()).expect("write to dot");
        let out = child.wait_with_output().expect("dot runs");
        assert!(out.status.success());
        std::fs::write(&path, out.stdout).expect("write the picture");
        return;
    }
    let svg = std::fs::read_to_string(&path).unwrap_or_default();
    let stale =
        format!("{} is out of date: run `UPDATE_DOCS=1 cargo test -p tests --test docs` and commit it", path.display());
    assert_eq!(svg.matches("class=\"node\"").count(), stack.resources().len(), "{stale}");
    for entry in stack.resources() {
        assert!(svg.contains(&format!("<title>{}</title>", entry.id)), "{stale}: no {}", entry.id);
    }
    let graph = iac_core::graph::Graph::new(&stack).expect("no cycle");
    let edges = graph.edges(&stack);
    assert_eq!(svg.matches("class=\"edge\"").count(), edges.len(), "{stale}");
    for e in edges {
        assert!(
            svg.contains(&format!("<title>{}&#45;&gt;{}</title>", e.from, e.to)),
            "{stale}: no {} -> {}",
            e.from,
            e.to
        );
    }
}
