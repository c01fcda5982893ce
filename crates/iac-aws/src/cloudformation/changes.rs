//! A change set's resource changes in our plan format: create / update (the properties) /
//! replace (the reason) / delete, with `!! DATA LOSS` on a resource that holds data.
//!
//! The reasons come from two places. CloudFormation says *whether* a resource is replaced
//! (`Replacement`: `True`, `Conditional`) and which property forces it (`RequiresRecreation` on
//! each `Details[].Target`); the per-kind spec ([`iac_core::model::spec`]) says *why*, in the words
//! the SDK engine's plan uses. Where a change set carries no details (moto's do not), the changed
//! properties are found by comparing the deployed template's properties with the new ones, and
//! the spec alone decides what is replaced. Pure: the engine turns the SDK's answers into
//! [`Described`] first.

use iac_core::model::spec::{self, Data};
use iac_core::{LogicalId, Stack};
use serde_json::Value as Json;

use crate::plan::{Action, Change};

/// One resource change of a change set, as CloudFormation described it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Described {
    /// `Add`, `Modify`, `Remove`, `Import`, `Dynamic`.
    pub action: String,
    /// Logical id.
    pub logical_id: String,
    /// CloudFormation type.
    pub cfn_type: String,
    /// Physical id, when the resource exists.
    pub physical_id: Option<String>,
    /// `True`, `False` or `Conditional` (absent on moto).
    pub replacement: Option<String>,
    /// What changes.
    pub details: Vec<Detail>,
    /// The nested change set of an `AWS::CloudFormation::Stack` (with `IncludeNestedStacks`).
    pub nested_change_set: Option<String>,
}

/// One `Details[]` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detail {
    /// `Properties`, `Tags`, `Metadata`, `DeletionPolicy`, ...
    pub attribute: String,
    /// The property's name (for `Properties`).
    pub name: Option<String>,
    /// `Never`, `Conditionally`, `Always`.
    pub requires_recreation: Option<String>,
}

/// True when `cfn_type` (or the stack's own resource `id`, which knows better: a read replica
/// holds nothing its primary does not) holds data that a replacement or deletion loses.
pub fn holds_data(stack: &Stack, id: &str, cfn_type: &str) -> bool {
    if let Some(entry) = LogicalId::new(id).ok().and_then(|id| stack.resource(&id))
        && entry.resource.cloudformation_type() == Some(cfn_type)
    {
        return entry.resource.is_stateful();
    }
    spec::by_cloudformation_type(cfn_type).is_some_and(|k| matches!(k.data, Data::Holds { .. }))
}

/// The top-level properties that differ between `old` and `new` (a resource's `Properties`), in
/// the new template's order, then the removed ones.
pub fn changed_properties(old: Option<&Json>, new: Option<&Json>) -> Vec<String> {
    let empty = serde_json::Map::new();
    let old = old.and_then(Json::as_object).unwrap_or(&empty);
    let new = new.and_then(Json::as_object).unwrap_or(&empty);
    let mut out: Vec<String> = new.iter().filter(|(k, v)| old.get(*k) != Some(*v)).map(|(k, _)| k.clone()).collect();
    out.extend(old.keys().filter(|k| !new.contains_key(*k)).cloned());
    out
}

/// Why `property` of a `cfn_type` forces a replacement, in the spec's words, or CloudFormation's
/// plain answer when the spec has no reason for it.
fn reason_for(cfn_type: &str, property: &str) -> String {
    match spec::by_cloudformation_type(cfn_type).and_then(|k| k.replacement(property)) {
        Some(r) => r.reason(),
        None => format!("{property} changed: CloudFormation replaces the resource"),
    }
}

/// Our plan's row for one described change. `old` and `new` are the resource's `Properties` in
/// the deployed and the new template, used when the change set gives no details.
pub fn to_change(stack: &Stack, d: &Described, nested: Option<&str>, old: Option<&Json>, new: Option<&Json>) -> Change {
    let action = match d.action.as_str() {
        "Add" => Action::Create,
        "Remove" => Action::Delete,
        _ => modify(d, old, new),
    };
    let data_loss =
        matches!(action, Action::Replace { .. } | Action::Delete) && holds_data(stack, &d.logical_id, &d.cfn_type);
    Change {
        id: d.logical_id.clone(),
        cfn_type: d.cfn_type.clone(),
        physical_id: d.physical_id.clone(),
        nested: nested.map(str::to_owned),
        action,
        data_loss,
    }
}

fn modify(d: &Described, old: Option<&Json>, new: Option<&Json>) -> Action {
    let mut properties: Vec<String> = Vec::new();
    let mut recreated: Vec<String> = Vec::new();
    for detail in &d.details {
        let name = match (detail.attribute.as_str(), &detail.name) {
            ("Properties", Some(n)) => n.clone(),
            (attribute, _) => attribute.to_owned(),
        };
        if matches!(detail.requires_recreation.as_deref(), Some("Always" | "Conditionally"))
            && !recreated.contains(&name)
        {
            recreated.push(name.clone());
        }
        if !properties.contains(&name) {
            properties.push(name);
        }
    }
    let from_templates = d.details.is_empty();
    if from_templates {
        properties = changed_properties(old, new);
    }
    match d.replacement.as_deref() {
        Some("True" | "Conditional") => {
            let prefix = if d.replacement.as_deref() == Some("Conditional") { "may be replaced: " } else { "" };
            let reasons: Vec<String> = if recreated.is_empty() {
                vec!["CloudFormation replaces the resource".to_owned()]
            } else {
                recreated.iter().map(|p| reason_for(&d.cfn_type, p)).collect()
            };
            Action::Replace { reason: format!("{prefix}{}", reasons.join("; ")) }
        }
        Some(_) => Action::Update { changes: non_empty(properties) },
        // No replacement field (moto): the spec decides, from the properties that changed.
        None => {
            let spec = spec::by_cloudformation_type(&d.cfn_type);
            let replaced: Vec<String> = properties
                .iter()
                .filter_map(|p| spec.and_then(|k| k.replacement(p)).map(spec::Replacement::reason))
                .collect();
            if replaced.is_empty() {
                Action::Update { changes: non_empty(properties) }
            } else {
                Action::Replace { reason: replaced.join("; ") }
            }
        }
    }
}

fn non_empty(properties: Vec<String>) -> Vec<String> {
    if properties.is_empty() { vec!["(as CloudFormation evaluates it)".to_owned()] } else { properties }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn stack() -> Stack {
        iac_core::StackBuilder::new("demo", "dev").build().expect("an empty stack builds")
    }

    fn modify_db(replacement: Option<&str>, details: Vec<Detail>) -> Described {
        Described {
            action: "Modify".into(),
            logical_id: "DatabaseInstance".into(),
            cfn_type: "AWS::RDS::DBInstance".into(),
            physical_id: Some("aquamark".into()),
            replacement: replacement.map(str::to_owned),
            details,
            nested_change_set: None,
        }
    }

    #[test]
    fn a_replacement_is_explained_with_the_spec_and_marked_as_data_loss() {
        let d = modify_db(
            Some("True"),
            vec![Detail {
                attribute: "Properties".into(),
                name: Some("DBInstanceIdentifier".into()),
                requires_recreation: Some("Always".into()),
            }],
        );
        let c = to_change(&stack(), &d, None, None, None);
        let Action::Replace { reason } = &c.action else { panic!("{c:?}") };
        let spec = spec::by_cloudformation_type("AWS::RDS::DBInstance").unwrap();
        assert_eq!(reason, &spec.replacement("DBInstanceIdentifier").unwrap().reason());
        assert!(c.data_loss);
    }

    #[test]
    fn an_update_lists_the_properties_and_loses_nothing() {
        let d = modify_db(
            Some("False"),
            vec![
                Detail {
                    attribute: "Properties".into(),
                    name: Some("BackupRetentionPeriod".into()),
                    requires_recreation: Some("Never".into()),
                },
                Detail { attribute: "Tags".into(), name: None, requires_recreation: Some("Never".into()) },
            ],
        );
        let c = to_change(&stack(), &d, Some("Nested01"), None, None);
        assert_eq!(c.action, Action::Update { changes: vec!["BackupRetentionPeriod".into(), "Tags".into()] });
        assert!(!c.data_loss);
        assert_eq!(c.nested.as_deref(), Some("Nested01"));
    }

    #[test]
    fn conditional_replacement_says_so() {
        let d = modify_db(Some("Conditional"), vec![]);
        let c = to_change(&stack(), &d, None, None, None);
        assert!(matches!(&c.action, Action::Replace { reason } if reason.starts_with("may be replaced: ")), "{c:?}");
        assert!(c.data_loss);
    }

    #[test]
    fn without_details_the_templates_and_the_spec_decide() {
        let old = json!({"DBInstanceIdentifier": "aquamark", "BackupRetentionPeriod": 7});
        let update = json!({"DBInstanceIdentifier": "aquamark", "BackupRetentionPeriod": 14});
        let c = to_change(&stack(), &modify_db(None, vec![]), None, Some(&old), Some(&update));
        assert_eq!(c.action, Action::Update { changes: vec!["BackupRetentionPeriod".into()] });
        let moved = json!({"DBInstanceIdentifier": "aquamark2", "BackupRetentionPeriod": 7});
        let c = to_change(&stack(), &modify_db(None, vec![]), None, Some(&old), Some(&moved));
        assert!(
            matches!(&c.action, Action::Replace { reason } if reason.starts_with("DBInstanceIdentifier changed")),
            "{c:?}"
        );
        assert!(c.data_loss);
    }

    #[test]
    fn deleting_data_is_data_loss_and_deleting_a_subnet_is_not() {
        let mut d = modify_db(None, vec![]);
        d.action = "Remove".into();
        assert!(to_change(&stack(), &d, None, None, None).data_loss);
        d.cfn_type = "AWS::EC2::Subnet".into();
        d.logical_id = "Subnet".into();
        let c = to_change(&stack(), &d, None, None, None);
        assert_eq!(c.action, Action::Delete);
        assert!(!c.data_loss);
    }

    #[test]
    fn changed_properties_include_removed_ones() {
        let old = json!({"A": 1, "B": 2, "C": 3});
        let new = json!({"A": 1, "B": 5, "D": 4});
        assert_eq!(changed_properties(Some(&old), Some(&new)), ["B", "D", "C"]);
    }
}
