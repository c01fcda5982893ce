//! The per-kind facts (`iac_core::model::spec`) checked against the CloudFormation resource
//! schemas AWS publishes, as cfn-lint ships them (installed by `scripts/install-tools.sh`):
//!
//! - every kind's CloudFormation type exists;
//! - every attribute is readable: a `Fn::GetAtt` name is one of the schema's
//!   `readOnlyProperties` (or a property), and a `Ref` returns the schema's primary identifier,
//!   whose name says what it is (an `…Id`/`…Identifier`, a `…Name` or an `…Arn`);
//! - the replacement triggers equal the schema's top-level `createOnlyProperties`, except where
//!   the spec explains the difference (`replacement_notes`);
//! - the tagging facts agree with the schema's `tagging` section;
//! - every property the CloudFormation renderer emits, at every depth, for every resource of every
//!   seed stack and environment, is in the schema.
//!
//! Changing a fact by hand without the schema agreeing fails this test.

#![allow(clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use iac_core::model::KINDS;
use iac_core::model::spec::{CfnAttr, KindSpec, Tagging};
use iac_core::value::Attr;
use serde_json::Value as Json;

/// The cfn-lint schema directory, or `None` (skipped) when cfn-lint is not installed.
fn schema_dir() -> Option<PathBuf> {
    let python = tests::oracle("IAC_PYTHON")?;
    let out =
        tests::run(Command::new(python).args([
            "-c",
            "import cfnlint, os; print(os.path.join(os.path.dirname(cfnlint.__file__), 'data', 'schemas'))",
        ]));
    assert!(out.status.success(), "cfn-lint not importable: {}", String::from_utf8_lossy(&out.stderr));
    Some(PathBuf::from(String::from_utf8(out.stdout).expect("utf-8").trim()))
}

struct Schemas {
    dir: PathBuf,
    index: BTreeMap<String, Json>,
}

impl Schemas {
    fn load(dir: &Path) -> Self {
        let text = std::fs::read_to_string(dir.join("providers/us-east-1.json")).expect("provider index");
        let index: BTreeMap<String, Json> = serde_json::from_str(&text).expect("provider index is JSON");
        Self { dir: dir.to_owned(), index }
    }

    fn get(&self, ty: &str) -> Option<Json> {
        let file = self.index.get(ty)?.as_str()?;
        let text = std::fs::read_to_string(self.dir.join("resources").join(format!("{file}.json"))).ok()?;
        Some(serde_json::from_str(&text).expect("schema is JSON"))
    }
}

fn strings(schema: &Json, key: &str) -> Vec<String> {
    schema[key]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .map(|p| p.trim_start_matches("/properties/").to_owned())
        .collect()
}

/// Problems of one kind's facts against its schema.
fn check_kind(spec: &KindSpec, ty: &str, schema: &Json) -> Vec<String> {
    let mut problems = Vec::new();
    let read_only: BTreeSet<String> = strings(schema, "readOnlyProperties").into_iter().collect();
    let properties = schema["properties"].as_object().cloned().unwrap_or_default();
    let primary = strings(schema, "primaryIdentifier");
    for a in spec.attrs {
        match &a.cloudformation {
            CfnAttr::GetAtt(name) => {
                let path = name.replace('.', "/");
                if !read_only.contains(&path) && !properties.contains_key(*name) {
                    problems.push(format!("{ty}: Fn::GetAtt `{name}` ({:?}) is not a readable attribute", a.attr));
                }
            }
            CfnAttr::Ref => {
                let Some(first) = primary.first() else {
                    problems.push(format!("{ty}: Ref for {:?}, but the schema has no primary identifier", a.attr));
                    continue;
                };
                let fits = match a.attr {
                    Attr::Id => first.ends_with("Id") || first.ends_with("Identifier"),
                    Attr::Name => first.ends_with("Name"),
                    Attr::Arn => first.ends_with("Arn"),
                    _ => false,
                };
                if !fits {
                    problems.push(format!("{ty}: Ref returns `{first}`, which is not the {:?} the spec says", a.attr));
                }
            }
            CfnAttr::Constant(_) | CfnAttr::Join(_) => {}
        }
    }
    let create_only: BTreeSet<String> = strings(schema, "createOnlyProperties")
        .into_iter()
        .filter_map(|p| p.split('/').next().map(str::to_owned))
        .collect();
    let ours: BTreeSet<String> = spec.replacement.iter().map(|r| r.property.to_owned()).collect();
    let explained: BTreeSet<&str> = spec.replacement_notes.iter().map(|(p, _)| *p).collect();
    for p in create_only.symmetric_difference(&ours) {
        if !explained.contains(p.as_str()) {
            let side = if ours.contains(p) { "the spec replaces on it" } else { "the schema makes it create-only" };
            problems.push(format!("{ty}: replacement trigger `{p}`: {side}, the other does not, and no note says why"));
        }
    }
    for (p, _) in spec.replacement_notes {
        if !(create_only.contains(*p) ^ ours.contains(*p)) {
            problems.push(format!("{ty}: a note explains `{p}`, but schema and spec agree on it"));
        }
    }
    let tagging = &schema["tagging"];
    let taggable = tagging["taggable"].as_bool().unwrap_or(false);
    match spec.tagging {
        Tagging::Property(key) => {
            let want = format!("/properties/{key}");
            if !taggable || tagging["tagProperty"].as_str() != Some(want.as_str()) {
                problems.push(format!(
                    "{ty}: tagged through `{key}`, but the schema says taggable={taggable}, tagProperty={}",
                    tagging["tagProperty"]
                ));
            }
        }
        Tagging::OwnRendering(key) => {
            if !properties.contains_key(key) {
                problems.push(format!("{ty}: tags rendered in `{key}`, which the schema does not have"));
            }
        }
        Tagging::Untagged(_) => {}
    }
    problems
}

/// Follows `$ref`s to `#/definitions/...`.
fn resolve<'a>(root: &'a Json, mut node: &'a Json) -> &'a Json {
    while let Some(r) = node.get("$ref").and_then(Json::as_str) {
        let Some(name) = r.strip_prefix("#/definitions/") else { break };
        node = &root["definitions"][name];
    }
    node
}

fn is_intrinsic(value: &Json) -> bool {
    value.as_object().is_some_and(|o| o.len() == 1 && o.keys().all(|k| k == "Ref" || k.starts_with("Fn::")))
}

/// Every key of `value` that the schema node does not allow, with its path.
fn unknown_properties(root: &Json, node: &Json, value: &Json, path: &str, out: &mut Vec<String>) {
    if is_intrinsic(value) {
        return;
    }
    let node = resolve(root, node);
    for alternative in ["oneOf", "anyOf"] {
        if let Some(options) = node[alternative].as_array() {
            // Accept the value when one alternative takes it.
            let fits = options.iter().any(|o| {
                let mut found = Vec::new();
                unknown_properties(root, o, value, path, &mut found);
                found.is_empty()
            });
            if !fits {
                out.push(format!("{path}: no `{alternative}` alternative of the schema takes it"));
            }
            return;
        }
    }
    match value {
        Json::Object(map) => {
            let Some(props) = node["properties"].as_object() else { return };
            let open =
                node["additionalProperties"].as_bool().unwrap_or(true) || node.get("patternProperties").is_some();
            for (k, v) in map {
                match props.get(k) {
                    Some(child) => unknown_properties(root, child, v, &format!("{path}.{k}"), out),
                    None if open => {}
                    None => out.push(format!("{path}.{k}")),
                }
            }
        }
        Json::Array(items) => {
            if let Some(item) = node.get("items") {
                for (i, v) in items.iter().enumerate() {
                    unknown_properties(root, item, v, &format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

#[test]
fn kind_facts_agree_with_the_cloudformation_schemas() {
    let Some(dir) = schema_dir() else { return };
    let schemas = Schemas::load(&dir);
    let mut problems = Vec::new();
    let mut checked = 0;
    for spec in KINDS {
        let Some(ty) = spec.cloudformation else { continue };
        let Some(schema) = schemas.get(ty) else {
            problems.push(format!("{}: CloudFormation type `{ty}` does not exist", spec.kind));
            continue;
        };
        assert_eq!(schema["typeName"].as_str(), Some(ty));
        problems.extend(check_kind(spec, ty, &schema));
        checked += 1;
    }
    eprintln!("spec_schema: {checked} kinds checked against their CloudFormation schemas");
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
    assert!(checked >= 40, "only {checked} kinds have a CloudFormation type");
}

/// Every sample of every kind (`iac_core::sample`: every `Option` set, every enum variant shown),
/// as one stack's entries.
macro_rules! sample_entries {
    ($($kind:ident),* $(,)?) => {
        fn sample_entries() -> Vec<iac_core::model::ResourceEntry> {
            let mut out = Vec::new();
            $(
                for (i, (r, _)) in iac_core::sample::samples::<iac_core::model::$kind>().into_iter().enumerate() {
                    out.push(iac_core::model::ResourceEntry {
                        id: iac_core::LogicalId::new(format!("{}{i}", stringify!($kind))).expect("valid id"),
                        resource: r.into(),
                        depends_on: Vec::new(),
                        suppressions: Vec::new(),
                        overrides: Vec::new(),
                        origin: None,
                    });
                }
            )*
            out
        }
    };
}
iac_core::for_each_kind!(sample_entries);

/// What the CloudFormation renderer can emit, not only what the seed stacks use: every sample of
/// every kind rendered (references to resources that are not there render as `Ref`s), each
/// resource's properties checked against its schema at every depth.
#[test]
fn every_property_the_renderer_can_emit_is_in_the_schema() {
    let Some(dir) = schema_dir() else { return };
    let schemas = Schemas::load(&dir);
    let mut problems = Vec::new();
    let (mut rendered, mut refused) = (0, Vec::new());
    for entry in sample_entries() {
        let id = entry.id.to_string();
        let provider = entry.resource.spec().provider;
        if provider == iac_core::model::Provider::Raw {
            continue; // rendered as the user gave it
        }
        let mut builder = iac_core::StackBuilder::new("sample", "dev");
        builder.add_entry(entry);
        let stack = builder.build().expect("one sample builds");
        let template = match iac_render::cloudformation::template(&stack) {
            Ok(t) => t,
            Err(e) => {
                // Only kinds CloudFormation cannot create are refused.
                assert_eq!(provider, iac_core::model::Provider::DigitalOcean, "{id}: {e}");
                refused.push(id);
                continue;
            }
        };
        let resource = &template["Resources"][&id];
        let ty = resource["Type"].as_str().expect("a type");
        let Some(schema) = schemas.get(ty) else {
            problems.push(format!("{id}: {ty} has no schema"));
            continue;
        };
        let mut found = Vec::new();
        unknown_properties(&schema, &schema, &resource["Properties"], "Properties", &mut found);
        problems.extend(found.into_iter().map(|f| format!("{id} ({ty}): {f}")));
        rendered += 1;
    }
    eprintln!("spec_schema: {rendered} samples rendered and checked; refused (not AWS): {refused:?}");
    assert!(problems.is_empty(), "{} propert(ies) not in the schema:\n{}", problems.len(), problems.join("\n"));
    assert!(rendered > 60, "only {rendered} samples rendered");
}

#[test]
fn every_rendered_property_is_in_the_schema() {
    let Some(dir) = schema_dir() else { return };
    let schemas = Schemas::load(&dir);
    let mut problems = Vec::new();
    let mut resources = 0;
    for rendered in tests::render_all() {
        for file in rendered.files.iter().filter(|f| f.path.to_string_lossy().ends_with(".template.json")) {
            let template: Json = serde_json::from_str(&file.contents).expect("template is JSON");
            for (id, resource) in template["Resources"].as_object().into_iter().flatten() {
                let ty = resource["Type"].as_str().expect("a type");
                if ty == "AWS::CloudFormation::Stack" {
                    continue;
                }
                let schema = schemas.get(ty).unwrap_or_else(|| panic!("{ty} has no schema"));
                let mut found = Vec::new();
                unknown_properties(&schema, &schema, &resource["Properties"], "Properties", &mut found);
                for f in found {
                    problems.push(format!("{}/{}/{id} ({ty}): {f}", rendered.stack, rendered.env));
                }
                resources += 1;
            }
        }
    }
    eprintln!("spec_schema: {resources} rendered resources checked property by property");
    // The walk itself finds a misspelled property at the top and deep inside.
    let schema = schemas.get("AWS::ElasticLoadBalancingV2::TargetGroup").expect("schema");
    let typo = serde_json::json!({ "Port": 80, "Matcher": { "HttpCode": "200", "HttpCodes": "200" }, "Prot": "HTTP" });
    let mut found = Vec::new();
    unknown_properties(&schema, &schema, &typo, "Properties", &mut found);
    assert_eq!(found, ["Properties.Matcher.HttpCodes", "Properties.Prot"]);
    assert!(problems.is_empty(), "{} propert(ies) not in the schema:\n{}", problems.len(), problems.join("\n"));
}

/// A misspelled attribute, for the test below.
const MISSPELLED: &[iac_core::model::spec::AttrSpec] =
    &[iac_core::model::spec::get_att(Attr::EndpointAddress, "Endpoint.Adress", "address")];

#[test]
fn the_check_fails_on_a_changed_fact() {
    let Some(dir) = schema_dir() else { return };
    let schemas = Schemas::load(&dir);
    let schema = schemas.get("AWS::RDS::DBInstance").expect("schema");
    let real = <iac_core::model::DbInstance as iac_core::model::ResourceKind>::SPEC;
    assert!(check_kind(real, "AWS::RDS::DBInstance", &schema).is_empty());
    // A trigger dropped by hand, an attribute misspelled (MISSPELLED), a tag property renamed.
    let changed = KindSpec {
        replacement: &real.replacement[1..],
        attrs: MISSPELLED,
        tagging: Tagging::Property("DBTags"),
        ..*real
    };
    let problems = check_kind(&changed, "AWS::RDS::DBInstance", &schema);
    assert_eq!(problems.len(), 3, "{problems:#?}");
}
