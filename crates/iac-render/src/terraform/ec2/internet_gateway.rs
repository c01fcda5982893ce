//! An internet gateway (`aws_internet_gateway`): tags only.

use iac_core::model::{InternetGateway, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for InternetGateway {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set_opt("tags", cx.tags(entry));
        Ok(a)
    }
}
