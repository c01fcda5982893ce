//! What the stacks' schema migrations share: the IAM statement that lets a host take the
//! migration's lock (`iac_core::app::Migration`; an SSM parameter under
//! `/iac/<stack>/<env>/lock/`, see `iac_render::cloudinit::LOCK_HELPER`).

use iac_core::model::Statement;
use iac_core::value::{Pseudo, Value};

/// May create, read and delete the stack's lock parameters (and nothing else in SSM).
pub fn lock_statement(stack: &str, env: &str) -> Statement {
    Statement {
        allow: true,
        actions: vec!["ssm:PutParameter".into(), "ssm:GetParameter".into(), "ssm:DeleteParameter".into()],
        resources: vec![Value::join([
            Value::from("arn:aws:ssm:"),
            Value::Pseudo(Pseudo::Region),
            Value::from(":"),
            Value::Pseudo(Pseudo::AccountId),
            Value::from(format!(":parameter/iac/{stack}/{env}/lock/*")),
        ])],
    }
}
