//! Stack events: which statuses end an operation, which mean it failed, the first failure worth
//! naming, and what to tell the user to do. Pure; the engine polls the events and passes them here.

use serde::Serialize;

/// One stack event, of the stack or of one of its nested stacks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackEvent {
    /// Seconds since the operation started (from the event's own timestamp).
    pub elapsed: f64,
    /// The nested stack's logical id in the parent, `None` for the stack itself.
    pub nested: Option<String>,
    /// The resource's logical id (the stack's name for the stack's own events).
    pub logical_id: String,
    /// Its type.
    pub cfn_type: String,
    /// `CREATE_IN_PROGRESS`, `UPDATE_FAILED`, ...
    pub status: String,
    /// `ResourceStatusReason`.
    pub reason: Option<String>,
}

impl StackEvent {
    /// The progress line: `  12.3 s  Nested01/C001Vpc  AWS::EC2::VPC  CREATE_COMPLETE  reason`.
    pub fn line(&self) -> String {
        let id = match &self.nested {
            Some(n) => format!("{n}/{}", self.logical_id),
            None => self.logical_id.clone(),
        };
        let reason = self.reason.as_deref().map(|r| format!("  {r}")).unwrap_or_default();
        format!("{:>7.1} s  {id:<40} {:<40} {}{reason}", self.elapsed, self.cfn_type, self.status)
    }
}

/// True when the stack is no longer changing.
pub fn is_terminal(status: &str) -> bool {
    !status.ends_with("_IN_PROGRESS")
}

/// True when a terminal status is the success of the operation.
pub fn is_success(status: &str) -> bool {
    matches!(status, "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "DELETE_COMPLETE" | "IMPORT_COMPLETE")
}

/// The first event (in time) that failed for a reason of its own, not because another one did.
pub fn first_failure(events: &[StackEvent]) -> Option<&StackEvent> {
    let failed = |e: &&StackEvent| e.status.ends_with("_FAILED");
    let own = |e: &&StackEvent| {
        !e.reason
            .as_deref()
            .is_some_and(|r| r.contains("cancelled") || r.contains("canceled") || r.contains("Embedded stack"))
    };
    let mut ordered: Vec<&StackEvent> = events.iter().collect();
    ordered.sort_by(|a, b| a.elapsed.total_cmp(&b.elapsed));
    ordered.iter().copied().filter(failed).find(own).or_else(|| ordered.iter().copied().find(failed))
}

/// What to do after an operation ended in `status` (not a success).
pub fn todo(stack: &str, status: &str, env_args: &str) -> String {
    match status {
        "UPDATE_ROLLBACK_FAILED" => format!(
            "The stack is stuck in UPDATE_ROLLBACK_FAILED: CloudFormation could not roll back either. Fix the cause \
             named above (or decide to skip that resource), then run `aws cloudformation continue-update-rollback \
             --stack-name {stack}` (add `--resources-to-skip <LogicalId>` for a resource that cannot be fixed), and \
             apply again once it is UPDATE_ROLLBACK_COMPLETE"
        ),
        "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" | "REVIEW_IN_PROGRESS" | "CREATE_FAILED" => format!(
            "The stack was never created whole and cannot be updated; fix the cause, remove what is left with \
             `deploy --engine cloudformation destroy {env_args} --yes`, and apply again"
        ),
        "DELETE_FAILED" => format!(
            "Some resources were not deleted; fix the cause named above (or delete them by hand) and run destroy \
             again, or `aws cloudformation delete-stack --stack-name {stack} --retain-resources <LogicalId>`"
        ),
        _ => {
            "The stack was rolled back to what it was before: nothing changed. Fix the cause and apply again".to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(elapsed: f64, id: &str, status: &str, reason: Option<&str>) -> StackEvent {
        StackEvent {
            elapsed,
            nested: None,
            logical_id: id.into(),
            cfn_type: "AWS::EC2::VPC".into(),
            status: status.into(),
            reason: reason.map(str::to_owned),
        }
    }

    #[test]
    fn the_first_own_failure_is_named_not_the_cancelled_ones() {
        let events = [
            ev(3.0, "Stack", "UPDATE_ROLLBACK_IN_PROGRESS", Some("The following resource(s) failed to update: [Db]")),
            ev(2.0, "Vpc", "UPDATE_FAILED", Some("Resource update cancelled")),
            ev(1.0, "Db", "UPDATE_FAILED", Some("DBInstanceIdentifier already exists")),
            ev(0.5, "Db", "UPDATE_IN_PROGRESS", None),
        ];
        assert_eq!(first_failure(&events).map(|e| e.logical_id.as_str()), Some("Db"));
        assert!(first_failure(&events[3..]).is_none());
    }

    #[test]
    fn statuses() {
        assert!(is_terminal("UPDATE_ROLLBACK_FAILED") && !is_success("UPDATE_ROLLBACK_FAILED"));
        assert!(!is_terminal("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"));
        assert!(is_success("UPDATE_COMPLETE"));
        let t = todo("aquamark-prod", "UPDATE_ROLLBACK_FAILED", "aquamark --env prod");
        assert!(t.contains("aws cloudformation continue-update-rollback --stack-name aquamark-prod"), "{t}");
    }

    #[test]
    fn a_line_names_the_nested_stack() {
        let mut e = ev(12.34, "C001Vpc", "CREATE_COMPLETE", None);
        e.nested = Some("Nested01".into());
        assert!(e.line().contains("12.3 s  Nested01/C001Vpc"), "{}", e.line());
    }
}
