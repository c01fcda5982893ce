//! The stack policy: CloudFormation's own guard against replacing or deleting the resources that
//! hold data. Every update is allowed except `Update:Replace` and `Update:Delete` on them; with
//! `--allow-data-loss` the engine sets [`allow_all`] for that one update and puts the guard back
//! afterwards (`ExecuteChangeSet` takes no policy override, unlike `UpdateStack`).

use serde_json::{Value as Json, json};

/// The guard for a stack whose resources `stateful` (logical ids) hold data.
pub fn guard(stateful: &[String]) -> Json {
    let mut statements = vec![json!({"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"})];
    if !stateful.is_empty() {
        let resources: Vec<String> = stateful.iter().map(|id| format!("LogicalResourceId/{id}")).collect();
        statements.push(json!({
            "Effect": "Deny",
            "Action": ["Update:Replace", "Update:Delete"],
            "Principal": "*",
            "Resource": resources,
        }));
    }
    json!({ "Statement": statements })
}

/// Every update allowed: the temporary policy of an update run with `--allow-data-loss`.
pub fn allow_all() -> Json {
    guard(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_denies_replacing_and_deleting_what_holds_data_and_allows_the_rest() {
        let p = guard(&["DatabaseInstance".to_owned()]);
        assert_eq!(p["Statement"][0]["Effect"], "Allow");
        assert_eq!(p["Statement"][1]["Effect"], "Deny");
        assert_eq!(p["Statement"][1]["Action"], json!(["Update:Replace", "Update:Delete"]));
        assert_eq!(p["Statement"][1]["Resource"], json!(["LogicalResourceId/DatabaseInstance"]));
        assert_eq!(allow_all()["Statement"].as_array().map(Vec::len), Some(1));
    }
}
