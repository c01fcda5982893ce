//! Terraform overrides: a user's value set, replaced or removed at a dotted path of a resource
//! block, through nested blocks; written as an argument or, when the override says so
//! ([`OverrideShape::Block`]), as nested blocks.

use hcl::{Attribute, Block, Identifier, Structure};
use iac_core::model::OverrideShape;

use crate::terraform::{Args, json_expr};

/// Sets, replaces or (for `null`) removes the argument or blocks at `path` inside a block body.
/// A path with more segments goes through nested blocks (each segment must name exactly one
/// block). A [`OverrideShape::Block`] value, or a value that replaces existing blocks, is written
/// as blocks: an object as one block with its members as arguments, an array of objects as one
/// block each.
pub(super) fn apply(
    body: &mut Vec<Structure>,
    path: &[&str],
    value: &serde_json::Value,
    shape: OverrideShape,
) -> Result<(), String> {
    let Some((first, rest)) = path.split_first() else {
        return Err("the path is empty".into());
    };
    if Identifier::new(*first).is_err() {
        return Err(format!("`{first}` is not a valid Terraform argument name"));
    }
    let is_key = |s: &Structure| match s {
        Structure::Attribute(a) => a.key.as_str() == *first,
        Structure::Block(b) => b.identifier.as_str() == *first,
    };
    if !rest.is_empty() {
        let mut blocks = body.iter_mut().filter_map(|s| match s {
            Structure::Block(b) if b.identifier.as_str() == *first => Some(b),
            _ => None,
        });
        let (Some(block), None) = (blocks.next(), blocks.next()) else {
            return Err(format!(
                "a nested path must go through exactly one `{first}` block; set the whole `{first}` argument instead"
            ));
        };
        return apply(&mut block.body.0, rest, value, shape);
    }
    let position = body.iter().position(is_key);
    let was_block = position.is_some_and(|i| matches!(body[i], Structure::Block(_)));
    if value.is_null() {
        body.retain(|s| !is_key(s));
        return Ok(());
    }
    let as_blocks = match shape {
        OverrideShape::Block => true,
        OverrideShape::Value => was_block,
    };
    let blocks_wanted = shape == OverrideShape::Block;
    let is_blocks = match value {
        serde_json::Value::Object(_) => true,
        serde_json::Value::Array(items) => !items.is_empty() && items.iter().all(serde_json::Value::is_object),
        _ => false,
    };
    if blocks_wanted && !is_blocks {
        return Err(format!(
            "a block override takes an object (one `{first}` block) or a list of objects (one block each), not {value}"
        ));
    }
    body.retain(|s| !is_key(s));
    let new: Vec<Structure> = match value {
        serde_json::Value::Object(map) if as_blocks => vec![Structure::Block(json_block(first, map)?)],
        serde_json::Value::Array(items) if as_blocks && is_blocks => items
            .iter()
            .filter_map(serde_json::Value::as_object)
            .map(|m| json_block(first, m).map(Structure::Block))
            .collect::<Result<_, _>>()?,
        _ => vec![Structure::Attribute(Attribute::new(Identifier::unchecked(*first), json_expr(value)))],
    };
    let at = position.unwrap_or(body.len()).min(body.len());
    body.splice(at..at, new);
    Ok(())
}

/// A nested block whose arguments are a JSON object's members.
fn json_block(ident: &str, map: &serde_json::Map<String, serde_json::Value>) -> Result<Block, String> {
    let mut a = Args::default();
    for (key, value) in map {
        if Identifier::new(key.as_str()).is_err() {
            return Err(format!("`{key}` is not a valid Terraform argument name"));
        }
        a.set(key, json_expr(value));
    }
    Ok(a.into_block(ident, &[]))
}
