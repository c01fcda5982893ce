//! Checks over the workspace's own source: the registry of diagnostic codes is the only place a
//! code is written, every code stands for one check that some code reports, and iac-core's
//! modules import only from lower layers (no import circles).

use std::collections::{BTreeMap, BTreeSet};
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

/// iac-core's modules from the bottom up, as documented in `lib.rs`: a module imports only from
/// modules of lower layers (its own submodules aside). Modules of one layer do not import each
/// other. A new module must be placed here.
const LAYERS: &[&[&str]] = &[
    &["id", "diag", "net"],
    &["value"],
    &["error", "sample"],
    &["app"],
    &["model"],
    &["workload", "rollout"],
    &["stack"],
    &["naming", "graph"],
    &["validate"],
    &["merge"],
    &["patterns"],
];

fn core_src() -> PathBuf {
    root().join("crates/iac-core/src")
}

/// The top-level module a source file of iac-core belongs to (`model/compute.rs` -> `model`).
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(core_src()).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_owned()
}

/// The modules a file names with `crate::<module>` paths (in `use` items, paths and macro
/// arguments) outside test code; the second element of each path, resolved later.
#[derive(Default)]
struct CrateRefs(BTreeSet<String>);

impl CrateRefs {
    fn use_tree(&mut self, tree: &syn::UseTree, under_crate: bool) {
        match tree {
            syn::UseTree::Path(p) if !under_crate => {
                if p.ident == "crate" {
                    self.use_tree(&p.tree, true);
                }
            }
            syn::UseTree::Path(syn::UsePath { ident, .. })
            | syn::UseTree::Name(syn::UseName { ident })
            | syn::UseTree::Rename(syn::UseRename { ident, .. }) => {
                if under_crate {
                    self.0.insert(ident.to_string());
                }
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(t, under_crate);
                }
            }
            syn::UseTree::Glob(_) => {
                if under_crate {
                    self.0.insert("*".to_owned());
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for CrateRefs {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&item.tree, false);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let mut segments = path.segments.iter();
        if let (Some(first), Some(second)) = (segments.next(), segments.next())
            && first.ident == "crate"
        {
            self.0.insert(second.ident.to_string());
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let text = mac.tokens.to_string();
        for (i, _) in text.match_indices("crate :: ") {
            let name: String = text[i + 9..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            self.0.insert(name);
        }
        syn::visit::visit_macro(self, mac);
    }
}

/// What a name at the crate root stands for: a module, or the module of an item re-exported by
/// `lib.rs` (`pub use stack::Stack`) or of an exported macro (`#[macro_export]`).
fn root_names(files: &[(PathBuf, syn::File)]) -> BTreeMap<String, String> {
    fn names(tree: &syn::UseTree, out: &mut Vec<String>) {
        match tree {
            syn::UseTree::Path(p) => names(&p.tree, out),
            syn::UseTree::Name(n) => out.push(n.ident.to_string()),
            syn::UseTree::Rename(r) => out.push(r.rename.to_string()),
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| names(t, out)),
            syn::UseTree::Glob(_) => {}
        }
    }
    let mut map = BTreeMap::new();
    for (file, ast) in files {
        let lib = file.ends_with("src/lib.rs");
        for item in &ast.items {
            match item {
                syn::Item::Mod(m) if lib => {
                    map.insert(m.ident.to_string(), m.ident.to_string());
                }
                syn::Item::Use(u) if lib => {
                    if let syn::UseTree::Path(p) = &u.tree {
                        let mut found = Vec::new();
                        names(&p.tree, &mut found);
                        for n in found {
                            map.insert(n, p.ident.to_string());
                        }
                    }
                }
                syn::Item::Macro(m) if m.attrs.iter().any(|a| a.path().is_ident("macro_export")) => {
                    if let Some(ident) = &m.ident {
                        map.insert(ident.to_string(), module_of(file));
                    }
                }
                _ => {}
            }
        }
    }
    map
}

#[test]
fn core_modules_import_only_lower_layers() {
    let mut paths = Vec::new();
    rust_files(&core_src(), &mut paths);
    let files: Vec<(PathBuf, syn::File)> = paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, ast)
        })
        .collect();
    let layer_of: BTreeMap<&str, usize> =
        LAYERS.iter().enumerate().flat_map(|(i, layer)| layer.iter().map(move |m| (*m, i))).collect();
    let roots = root_names(&files);
    let modules: BTreeSet<&String> = roots.iter().filter(|(name, module)| name == module).map(|(m, _)| m).collect();
    let placed: BTreeSet<&String> = modules.iter().copied().filter(|m| layer_of.contains_key(m.as_str())).collect();
    assert_eq!(placed, modules, "every module of lib.rs has a layer in LAYERS (and lib.rs's docs)");

    let mut problems = Vec::new();
    let mut edges = 0;
    for (file, ast) in &files {
        if file.ends_with("src/lib.rs") {
            continue;
        }
        let from = module_of(file);
        let from_layer = layer_of[from.as_str()];
        let mut ast = ast.clone();
        without_tests(&mut ast.items);
        let mut refs = CrateRefs::default();
        refs.visit_file(&ast);
        for name in refs.0 {
            let rel = file.strip_prefix(core_src()).unwrap().display();
            let Some(to) = roots.get(&name) else {
                problems.push(format!("{rel}: `crate::{name}` is neither a module nor a root re-export"));
                continue;
            };
            if *to == from {
                continue;
            }
            edges += 1;
            let to_layer = layer_of[to.as_str()];
            if to_layer >= from_layer {
                problems.push(format!(
                    "{rel}: `{from}` (layer {from_layer}) imports `crate::{name}` from `{to}` (layer {to_layer})"
                ));
            }
        }
    }
    assert!(edges > 30, "the scan finds imports ({edges})");
    let lib = std::fs::read_to_string(core_src().join("lib.rs")).unwrap();
    let documented: Vec<Vec<String>> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//! | "))
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .map(|row| {
            let modules = row.split(" | ").nth(1).unwrap_or_default();
            modules.split(", ").map(|m| m.trim_matches(|c| "[`]".contains(c)).to_owned()).collect()
        })
        .collect();
    assert_eq!(documented, LAYERS, "the table of layers in lib.rs's docs matches LAYERS");
    assert!(problems.is_empty(), "imports against the layers (see lib.rs):\n{}", problems.join("\n"));
}

/// Finds `match` expressions that name a `Resource::Kind` variant in one arm and catch the other
/// kinds with a wildcard (`_`) arm.
#[derive(Default)]
struct WildcardOverKinds {
    found: Vec<usize>,
}

fn names_resource_variant(pat: &syn::Pat) -> bool {
    let path = match pat {
        syn::Pat::TupleStruct(p) => &p.path,
        syn::Pat::Struct(p) => &p.path,
        syn::Pat::Path(p) => &p.path,
        syn::Pat::Or(or) => return or.cases.iter().any(names_resource_variant),
        syn::Pat::Reference(r) => return names_resource_variant(&r.pat),
        syn::Pat::Ident(i) => return i.subpat.as_ref().is_some_and(|(_, p)| names_resource_variant(p)),
        _ => return false,
    };
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    segments.len() >= 2 && segments[segments.len() - 2] == "Resource"
}

fn is_wildcard(pat: &syn::Pat) -> bool {
    matches!(pat, syn::Pat::Wild(_)) || matches!(pat, syn::Pat::Ident(i) if i.subpat.is_none() && i.ident != "None")
}

impl<'ast> Visit<'ast> for WildcardOverKinds {
    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        let over_kinds = m.arms.iter().any(|a| names_resource_variant(&a.pat));
        if over_kinds && m.arms.iter().any(|a| a.guard.is_none() && is_wildcard(&a.pat)) {
            self.found.push(m.match_token.span.start().line);
        }
        syn::visit::visit_expr_match(self, m);
    }
}

/// A new kind must make the compiler list every place that decides something per kind: no
/// `match` over [`iac_core::model::Resource`] has a wildcard arm (pick one kind out with
/// `Resource::get::<K>()`, or put the fact on the kind's `ResourceKind` impl).
#[test]
fn no_match_over_resource_kinds_has_a_wildcard_arm() {
    let mut problems = Vec::new();
    for file in workspace_sources() {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        without_tests(&mut ast.items);
        let mut v = WildcardOverKinds::default();
        v.visit_file(&ast);
        let rel = file.strip_prefix(root()).unwrap_or(&file).display().to_string();
        problems.extend(v.found.into_iter().map(|line| format!("{rel}:{line}")));
    }
    assert!(problems.is_empty(), "matches over Resource with a wildcard arm:\n{}", problems.join("\n"));
}
