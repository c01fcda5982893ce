//! Cross-stack exports that never deadlock. CloudFormation refuses to remove an export another
//! stack imports, and the update fails half-way. So before a change set is made, every export the
//! deployed stack has and the new template drops is looked up with `ListImports`: one still
//! imported is kept (its output is copied from the deployed template into the new one) and the
//! plan says so; one nobody imports is dropped. A later apply, once the importers have stopped
//! importing, drops what was kept.

use serde_json::{Map, Value as Json};

/// An output of the deployed stack that carries an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// The output's key.
    pub output: String,
    /// The export's name.
    pub name: String,
}

/// The exports of the deployed template's `Outputs` whose names are literal strings (the
/// renderer writes `<stack>-<env>-<output>`), merged with `described` (the stack's outputs as
/// `DescribeStacks` resolves them, for names that are intrinsics).
pub fn deployed(outputs: Option<&Json>, described: &[Export]) -> Vec<Export> {
    let mut out: Vec<Export> = described.to_vec();
    for (key, o) in outputs.and_then(Json::as_object).into_iter().flatten() {
        if let Some(name) = o.pointer("/Export/Name").and_then(Json::as_str)
            && !out.iter().any(|e| e.output == *key)
        {
            out.push(Export { output: key.clone(), name: name.to_owned() });
        }
    }
    out
}

/// The deployed exports the new template's `Outputs` no longer export.
pub fn removed(deployed: &[Export], new_outputs: Option<&Json>) -> Vec<Export> {
    let empty = Map::new();
    let new = new_outputs.and_then(Json::as_object).unwrap_or(&empty);
    deployed.iter().filter(|e| new.get(&e.output).and_then(|o| o.get("Export")).is_none()).cloned().collect()
}

/// Copies the output that carries `export` from the deployed template's `Outputs` into the new
/// template, so the export stays. Returns false when the deployed template has no such output.
pub fn keep(template: &mut Json, deployed_outputs: Option<&Json>, export: &Export) -> bool {
    let Some(output) = deployed_outputs.and_then(|o| o.get(&export.output)).cloned() else { return false };
    let Some(root) = template.as_object_mut() else { return false };
    let outputs = root.entry("Outputs").or_insert_with(|| Json::Object(Map::new()));
    match outputs.as_object_mut() {
        Some(map) => {
            map.insert(export.output.clone(), output);
            true
        }
        None => false,
    }
}

/// The plan's note for an export kept because `importers` import it.
pub fn kept_note(export: &Export, importers: &[String]) -> String {
    format!(
        "keeps output `{}` (export `{}`): still imported by {}; a later apply drops it once no stack imports it",
        export.output,
        export.name,
        importers.join(", ")
    )
}

/// The plan's note for an export nobody imports, dropped with its output.
pub fn dropped_note(export: &Export) -> String {
    format!("drops output `{}` (export `{}`): no stack imports it", export.output, export.name)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_export_dropped_from_the_template_is_found_and_can_be_kept() {
        let old = json!({
            "SiteUrl": {"Value": "https://x", "Export": {"Name": "demo-dev-SiteUrl"}},
            "Db": {"Value": {"Fn::GetAtt": ["Db", "Endpoint.Address"]}, "Export": {"Name": "demo-dev-Db"}},
            "Plain": {"Value": "y"}
        });
        let exports = deployed(Some(&old), &[]);
        assert_eq!(exports.len(), 2);
        let mut template = json!({"Resources": {}, "Outputs": {"SiteUrl": old["SiteUrl"].clone()}});
        let gone = removed(&exports, template.get("Outputs"));
        assert_eq!(gone, [Export { output: "Db".into(), name: "demo-dev-Db".into() }]);
        assert!(keep(&mut template, Some(&old), &gone[0]));
        assert_eq!(template["Outputs"]["Db"], old["Db"]);
        assert!(removed(&exports, template.get("Outputs")).is_empty());
        assert!(kept_note(&gone[0], &["other-dev".into()]).contains("still imported by other-dev"));
        // A template without outputs gets the section.
        let mut bare = json!({"Resources": {}});
        assert!(keep(&mut bare, Some(&old), &gone[0]));
        assert!(bare["Outputs"]["Db"].is_object());
    }
}
