//! JSON written exactly as `serde_json::to_string_pretty` writes it (two spaces per level), but
//! starting at any depth: a value serialized on its own at the depth it will have in a document
//! is byte for byte the text it has there. That lets a template be written one piece at a time,
//! and its size be known from the sizes of its pieces, without serializing it as a whole.

use std::io;

use serde::Serialize;
use serde_json::Value as Json;
use serde_json::ser::{Formatter, Serializer};

/// A newline and indentation, sliced to the depth needed (deeper levels take several writes).
const NEWLINE_INDENT: &[u8; 129] = b"\n                                                                                                                                ";

/// `serde_json`'s `PrettyFormatter` with a starting depth, and one write per newline and
/// indentation instead of one per level.
pub(crate) struct Pretty {
    depth: usize,
    has_value: bool,
}

impl Pretty {
    /// A formatter whose first line is at `depth` (what follows a newline is indented
    /// `2 * depth` spaces more than at depth 0).
    pub(crate) fn at(depth: usize) -> Self {
        Self { depth, has_value: false }
    }

    fn newline<W: ?Sized + io::Write>(&self, w: &mut W) -> io::Result<()> {
        let mut spaces = 2 * self.depth;
        let first = spaces.min(NEWLINE_INDENT.len() - 1);
        w.write_all(&NEWLINE_INDENT[..=first])?;
        spaces -= first;
        while spaces > 0 {
            let n = spaces.min(NEWLINE_INDENT.len() - 1);
            w.write_all(&NEWLINE_INDENT[1..=n])?;
            spaces -= n;
        }
        Ok(())
    }
}

impl Formatter for Pretty {
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(w)?;
        }
        w.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline(w)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(w)?;
        }
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline(w)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Writes `value` at `depth` into `w`.
pub(crate) fn write<W: io::Write>(w: W, value: &impl Serialize, depth: usize) -> serde_json::Result<()> {
    value.serialize(&mut Serializer::with_formatter(w, Pretty::at(depth)))
}

/// Appends `value` written at `depth` to `buf`.
pub(crate) fn append(buf: &mut Vec<u8>, value: &Json, depth: usize) {
    // A JSON value always serializes (its keys are strings), and memory takes every write.
    write(&mut *buf, value, depth).expect("a JSON value serializes into memory");
}

/// `value` written at `depth`.
pub(crate) fn to_string(value: &Json, depth: usize) -> String {
    let mut buf = Vec::with_capacity(128);
    append(&mut buf, value, depth);
    String::from_utf8(buf).expect("serde_json writes UTF-8")
}

/// Bytes `s` takes as a JSON string, quotes included.
pub(crate) fn quoted_len(s: &str) -> usize {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\' && b != 0x7f) {
        s.len() + 2
    } else {
        serde_json::to_string(s).map_or(s.len() + 2, |q| q.len())
    }
}

/// Writes `s` as a JSON string, quotes included.
pub(crate) fn write_quoted(w: &mut dyn io::Write, s: &str) -> io::Result<()> {
    serde_json::to_writer(w, s).map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn matches_serde_json_at_depth_zero() {
        let deep = (0..80).fold(json!("leaf"), |v, i| json!({ format!("k{i}"): [v, {}, []] }));
        for v in [
            json!({}),
            json!([]),
            json!({ "a": {}, "b": [], "c": [{}], "d": [[]], "e": "x\"y\n\u{1}", "f": 1.5, "g": null }),
            json!([1, [2, [3, {}]], { "k": { "l": [true, false] } }]),
            deep,
        ] {
            assert_eq!(to_string(&v, 0), serde_json::to_string_pretty(&v).unwrap());
        }
    }

    #[test]
    fn a_value_at_depth_is_its_text_inside_the_document() {
        let inner =
            json!({ "Type": "AWS::S3::Bucket", "Properties": { "Tags": [{ "Key": "a", "Value": "b" }], "E": {} } });
        let doc = json!({ "Resources": { "Bucket": inner } });
        let whole = serde_json::to_string_pretty(&doc).unwrap();
        assert!(whole.contains(&format!("\"Bucket\": {}", to_string(&inner, 2))), "{whole}");
    }

    #[test]
    fn quoted_lengths() {
        for s in ["Abc09", "", "a\"b", "tab\t", "é", "\u{7f}"] {
            assert_eq!(quoted_len(s), serde_json::to_string(s).unwrap().len(), "{s:?}");
        }
    }
}
