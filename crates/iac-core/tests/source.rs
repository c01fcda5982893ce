//! Checks over the workspace's own source: the registry of diagnostic codes is the only place a
//! code is written, every code stands for one check that some code reports.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use iac_core::diag::{Code, Diagnostic, Path as DiagPath, Severity, codes, has_errors};
use syn::visit::Visit;

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

/// The registry itself, the one file allowed to spell codes out.
fn registry() -> PathBuf {
    root().join("crates/iac-core/src/diag/codes.rs")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every `.rs` file under `crates/*/src` and `stacks/src`.
fn workspace_sources() -> Vec<PathBuf> {
    let root = root();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .expect("crates/")
        .map(|e| e.unwrap().path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.push(root.join("stacks/src"));
    let mut files = Vec::new();
    for d in dirs {
        rust_files(&d, &mut files);
    }
    assert!(files.len() > 50, "found only {} source files under {}", files.len(), root.display());
    files
}

/// Each `IACnnn` spelled in `text`, with its line.
fn spelled_codes(text: &str) -> Vec<(usize, String)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    for i in 0..b.len().saturating_sub(5) {
        if &b[i..i + 3] == b"IAC" && b[i + 3..i + 6].iter().all(u8::is_ascii_digit) {
            let line = text[..i].matches('\n').count() + 1;
            out.push((line, text[i..i + 6].to_owned()));
        }
    }
    out
}

/// `items` without the ones compiled only for tests (`#[cfg(test)]`), recursively.
fn without_tests(items: &mut Vec<syn::Item>) {
    let is_test = |attrs: &[syn::Attribute]| {
        attrs
            .iter()
            .any(|a| a.path().is_ident("cfg") && a.parse_args::<syn::Meta>().is_ok_and(|m| m.path().is_ident("test")))
    };
    items.retain(|item| {
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Impl(i) => &i.attrs,
            _ => &[],
        };
        !is_test(attrs)
    });
    for item in items {
        if let syn::Item::Mod(syn::ItemMod { content: Some((_, inner)), .. }) = item {
            without_tests(inner);
        }
    }
}

/// The names `Code::<Name>` used in the non-test code of a file (paths and macro arguments).
#[derive(Default)]
struct CodeUses(BTreeSet<String>);

impl<'ast> Visit<'ast> for CodeUses {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        for pair in segments.windows(2) {
            if pair[0] == "Code" {
                self.0.insert(pair[1].clone());
            }
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let text = mac.tokens.to_string();
        for (i, _) in text.match_indices("Code :: ") {
            let name: String = text[i + 8..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            self.0.insert(name);
        }
        syn::visit::visit_macro(self, mac);
    }
}

#[test]
fn every_code_is_unique_and_well_formed() {
    let mut codes = BTreeSet::new();
    let mut names = BTreeSet::new();
    let mut previous = "";
    for code in Code::ALL {
        let info = code.info();
        assert!(codes.insert(info.code), "{} is registered twice", info.code);
        assert!(names.insert(info.name), "{} is registered twice", info.name);
        assert!(
            info.code.len() == 6 && info.code.starts_with("IAC") && info.code[3..].chars().all(|c| c.is_ascii_digit()),
            "{} is not IACnnn",
            info.code
        );
        assert!(info.code > previous, "{} is out of order after {previous}", info.code);
        previous = info.code;
        for (what, text) in
            [("title", info.title), ("explanation", info.explanation), ("example", info.example), ("fix", info.fix)]
        {
            assert!(!text.trim().is_empty(), "{} has no {what}", info.code);
            assert!(!text.contains('\n'), "the {what} of {} spans lines", info.code);
        }
        assert!(!info.title.ends_with('.'), "titles are one line without a period: {}", info.code);
        assert_eq!(Code::find(info.code), Some(*code));
        assert_eq!(format!("{code:?}"), info.name);
    }
    assert_eq!(codes::all().len(), Code::ALL.len());
    assert_eq!(Code::find("IAC000"), None);
}

#[test]
fn no_code_is_spelled_outside_the_registry() {
    let registry = registry();
    let mut stray = Vec::new();
    for file in workspace_sources() {
        if file == registry {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, code) in spelled_codes(&text) {
            stray.push(format!("{}:{line}: {code}", file.strip_prefix(root()).unwrap().display()));
        }
    }
    assert!(stray.is_empty(), "codes written outside diag/codes.rs (use `Code::...`):\n{}", stray.join("\n"));
    let registry_text = std::fs::read_to_string(&registry).unwrap();
    assert!(spelled_codes(&registry_text).len() >= Code::ALL.len(), "the scan finds the registry's own codes");
}

#[test]
fn every_code_is_reported_by_some_check() {
    let registry = registry();
    let mut uses = CodeUses::default();
    for file in workspace_sources() {
        if file == registry {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let mut ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        without_tests(&mut ast.items);
        uses.visit_file(&ast);
    }
    let unused: Vec<String> = Code::ALL
        .iter()
        .filter(|c| !uses.0.contains(c.info().name))
        .map(|c| format!("{} {}", c.as_str(), c.info().name))
        .collect();
    assert!(unused.is_empty(), "codes no check reports (outside tests):\n{}", unused.join("\n"));
}

#[test]
fn diagnostics_take_their_severity_from_the_code() {
    let d = Diagnostic::new(
        Code::BackupRetention,
        DiagPath::stack("demo").resource("Db").property("BackupRetentionPeriod"),
        "backup retention of 0 days",
        "keep at least 7 days",
    );
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.code, "IAC023");
    assert_eq!(
        d.to_string(),
        "error[IAC023] demo/Db/BackupRetentionPeriod: backup retention of 0 days\n  hint: keep at least 7 days"
    );
    let w = Diagnostic::new(Code::TooManyResources, DiagPath::stack("demo"), "m", "h");
    assert_eq!(w.severity, Severity::Warning);
    assert_eq!(w.to_string(), "warning[IAC060] demo: m\n  hint: h");
    assert!(!has_errors(std::slice::from_ref(&w)));
    assert!(has_errors(&[w, d.clone()]));
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!((json["code"].as_str(), json["severity"].as_str()), (Some("IAC023"), Some("Error")));
}

#[test]
fn the_reference_lists_every_code() {
    let doc = codes::reference();
    for code in Code::ALL {
        let info = code.info();
        assert!(doc.contains(&format!("## {} {}\n", info.code, info.name)), "{} missing", info.code);
        assert!(doc.contains(info.fix), "{} fix missing", info.code);
    }
    assert!(doc.contains("## IAC023 BackupRetention\n\na database keeps automated backups"), "{doc}");
}
