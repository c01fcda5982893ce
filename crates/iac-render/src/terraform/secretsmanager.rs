//! Generated Secrets Manager secrets in Terraform: the secret, a `data
//! "aws_secretsmanager_random_password"` (the AWS provider's own generator, so no other provider
//! is needed) and a secret version that stores the generated value once; it ignores later
//! changes, since the data source makes a new value on every plan.

use hcl::Expression;
use hcl::expr::Variable;
use iac_core::model::Secret;

use super::{Args, Renderer, traversal};
use crate::error::RenderError;

/// The data source that generates the value.
const GENERATOR: &str = "aws_secretsmanager_random_password";

impl Renderer<'_> {
    pub(super) fn generated_secret(
        &mut self,
        r: &Secret,
        name: Option<String>,
        tags: Option<Expression>,
        extra: &mut Vec<(String, String, Args)>,
    ) -> Result<Args, RenderError> {
        let label = self.label.clone();
        let g = &r.generate;
        let mut generator = Args::default();
        generator.set("password_length", g.length).set("exclude_punctuation", g.exclude_punctuation);
        if !g.exclude_characters.is_empty() {
            generator.set("exclude_characters", g.exclude_characters.as_str());
        }
        self.data.generated.push(generator.into_block("data", &[GENERATOR, &label]));

        let mut a = Args::default();
        a.set_opt("name", name.map(Expression::from))
            .set("description", r.description.as_str())
            .set_opt("kms_key_id", self.opt_expr(r.kms_key_id.as_ref(), "kms_key_id")?)
            .set_opt("tags", tags);

        let mut ignore = Args::default();
        ignore
            .set("ignore_changes", Expression::Array(vec![Expression::Variable(Variable::unchecked("secret_string"))]));
        let mut version = Args::default();
        version
            .set("secret_id", traversal("aws_secretsmanager_secret", &[&label, "id"]))
            .set("secret_string", traversal("data", &[GENERATOR, &label, "random_password"]))
            .nested("lifecycle", ignore);
        extra.push(("aws_secretsmanager_secret_version".into(), label, version));
        Ok(a)
    }
}
