//! A generated Secrets Manager secret (`aws_secretsmanager_secret`): the secret, a `data
//! "aws_secretsmanager_random_password"` (the AWS provider's own generator, so no other provider
//! is needed) and a secret version that stores the generated value once; it ignores later
//! changes, since the data source makes a new value on every plan.

use hcl::Expression;
use hcl::expr::Variable;
use iac_core::model::{ResourceEntry, Secret};

use crate::error::RenderError;
use crate::terraform::traversal;
use crate::terraform::{Args, TfContext, ToTerraform};

/// The data source that generates the value.
const GENERATOR: &str = "aws_secretsmanager_random_password";

impl ToTerraform for Secret {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let label = cx.label().to_owned();
        let g = &self.generate;
        let mut generator = Args::default();
        generator.set("password_length", g.length).set("exclude_punctuation", g.exclude_punctuation);
        if !g.exclude_characters.is_empty() {
            generator.set("exclude_characters", g.exclude_characters.as_str());
        }
        cx.generator(generator.into_block("data", &[GENERATOR, &label]));

        let mut a = Args::default();
        a.set_opt("name", cx.name(entry).map(Expression::from))
            .set("description", self.description.as_str())
            .set_opt("kms_key_id", cx.opt_expr(self.kms_key_id.as_ref(), "kms_key_id")?)
            .set_opt("tags", cx.tags(entry));

        let mut ignore = Args::default();
        ignore
            .set("ignore_changes", Expression::Array(vec![Expression::Variable(Variable::unchecked("secret_string"))]));
        let mut version = Args::default();
        version
            .set("secret_id", traversal("aws_secretsmanager_secret", &[&label, "id"]))
            .set("secret_string", traversal("data", &[GENERATOR, &label, "random_password"]))
            .nested("lifecycle", ignore);
        cx.extra("aws_secretsmanager_secret_version", label, version);
        Ok(a)
    }
}
