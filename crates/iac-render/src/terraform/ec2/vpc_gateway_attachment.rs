//! An internet gateway attached to a VPC (`aws_internet_gateway_attachment`).

use iac_core::model::{ResourceEntry, VpcGatewayAttachment};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for VpcGatewayAttachment {
    fn arguments(&self, cx: &mut TfContext<'_>, _: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("internet_gateway_id", cx.expr(&self.internet_gateway_id, "internet_gateway_id")?)
            .set("vpc_id", cx.expr(&self.vpc_id, "vpc_id")?);
        Ok(a)
    }
}
