//! What `plan` decided for each resource, readable and as JSON for tools.

use std::fmt;

use serde::Serialize;

/// One decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Does not exist yet.
    Create,
    /// Exists and matches.
    Unchanged,
    /// Changes in place.
    Update {
        /// Properties that change.
        changes: Vec<String>,
    },
    /// Must be deleted and created again.
    Replace {
        /// Why.
        reason: String,
    },
    /// Exists with this stack's tags but is no longer in the stack.
    Delete,
}

/// The decision for one resource.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Logical id.
    pub id: String,
    /// CloudFormation type.
    pub cfn_type: String,
    /// Physical id, if it exists.
    pub physical_id: Option<String>,
    /// The nested stack the resource lives in (its logical id in the parent), for the
    /// CloudFormation engine's nested stacks; `None` for the stack itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nested: Option<String>,
    /// The decision.
    #[serde(flatten)]
    pub action: Action,
    /// The change would destroy data (a stateful resource replaced or deleted).
    pub data_loss: bool,
}

/// The plan of a whole stack.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Stack.
    pub stack: String,
    /// Environment.
    pub env: String,
    /// One change per resource: stack order, then deletions.
    pub changes: Vec<Change>,
    /// What else the plan does that is not a resource (the CloudFormation engine's kept or
    /// dropped exports), one sentence each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What the SDK engine's plan found, reused by an apply that follows within
    /// [`crate::engine::FRESH`] instead of discovering everything again.
    #[serde(skip)]
    pub(crate) discovered: Option<std::sync::Arc<crate::engine::Discovered>>,
}

impl Plan {
    /// True when nothing would change.
    pub fn is_empty(&self) -> bool {
        self.changes.iter().all(|c| c.action == Action::Unchanged)
    }

    /// What its replacements and deletions keep of the resources that hold data (a final
    /// snapshot, or the resource detached), once applied: [`crate::engine::kept`].
    pub fn kept(&self) -> Vec<String> {
        self.changes
            .iter()
            .filter(|c| matches!(c.action, Action::Replace { .. } | Action::Delete))
            .filter_map(|c| {
                let id = iac_core::LogicalId::new(c.id.as_str()).ok()?;
                crate::engine::kept(&id, &c.cfn_type, c.physical_id.as_deref()?)
            })
            .collect()
    }

    /// Counts per action: create, update, replace, delete, unchanged.
    pub fn counts(&self) -> [usize; 5] {
        let mut n = [0; 5];
        for c in &self.changes {
            n[match c.action {
                Action::Create => 0,
                Action::Update { .. } => 1,
                Action::Replace { .. } => 2,
                Action::Delete => 3,
                Action::Unchanged => 4,
            }] += 1;
        }
        n
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "plan for {} ({}):", self.stack, self.env)?;
        for c in &self.changes {
            let (mark, what) = match &c.action {
                Action::Create => ("+", "create".to_owned()),
                Action::Unchanged => ("=", "unchanged".to_owned()),
                Action::Update { changes } => ("~", format!("update ({})", changes.join(", "))),
                Action::Replace { reason } => ("-/+", format!("replace: {reason}")),
                Action::Delete => ("-", "delete".to_owned()),
            };
            let keep = iac_core::model::spec::by_cloudformation_type(&c.cfn_type).map(|k| k.data);
            let loud = match (c.data_loss, keep) {
                (false, _) => "",
                (true, Some(iac_core::model::spec::Data::Holds { keep: iac_core::model::spec::Keep::Retain })) => {
                    "  !! DATA LOSS: needs --allow-data-loss; the old one is kept, detached from the stack"
                }
                (true, _) => "  !! DATA LOSS: needs --allow-data-loss; a final snapshot is taken",
            };
            let id = match &c.nested {
                Some(parent) => format!("{parent}/{}", c.id),
                None => c.id.clone(),
            };
            writeln!(f, "  {mark:>3} {id:<40} {:<42} {what}{loud}", c.cfn_type)?;
        }
        for note in &self.notes {
            writeln!(f, "  note: {note}")?;
        }
        let [create, update, replace, delete, unchanged] = self.counts();
        write!(
            f,
            "{create} to create, {update} to update, {replace} to replace, {delete} to delete, {unchanged} unchanged"
        )
    }
}
