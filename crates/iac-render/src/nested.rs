//! A CloudFormation template too big for one stack, split into nested stacks.
//!
//! CloudFormation's quotas ("Understand CloudFormation quotas", AWS CloudFormation User Guide,
//! `cloudformation-limits.html`, as of 2026; raised from 200 resources, 60 parameters, 60 outputs
//! and 460,800 bytes in 2020): at most **500 resources**, **200 parameters** and **200 outputs**
//! per template, and a template body of at most **1 MB** read from S3 (51,200 bytes when passed
//! inline, which is why a split template is deployed through `aws cloudformation package`).
//! [`Limits::CLOUDFORMATION`] holds them; tests pass smaller ones.
//!
//! A template within the limits is left exactly as it is. A larger one becomes a parent whose
//! resources are `AWS::CloudFormation::Stack`s, one per child template:
//!
//! - **Partition.** Resources are grouped by dependency: the connected parts of the reference
//!   graph (a copy of an environment, say) in order of first appearance, each in dependency order
//!   (a resource after what it refers to, ties by template order). Children are filled in that
//!   order; a group that does not fit in the current child starts a new one when it fits in an
//!   empty one, and only a group larger than a whole child is cut. References therefore only
//!   point to the same or an earlier child, so the children never depend on each other in a
//!   cycle, and fewer references cross a boundary.
//! - **Wiring.** A reference from child B to a resource of child A (`Ref`, `Fn::GetAtt` in
//!   either form, or `${X}` / `${X.Attr}` inside `Fn::Sub`, at any depth of `Fn::Join`,
//!   `Fn::Select`...) becomes an output of A, a `String` parameter of B, and
//!   `Fn::GetAtt [A, Outputs.<name>]` in the parent. The parent's own parameters are passed down
//!   to the children that use them, with their definitions. A `DependsOn` across children becomes
//!   a `DependsOn` between the two stack resources (unless a passed output already orders them).
//!   The parent's outputs keep their ids and exports and read the children's outputs.
//! - **What stays.** `DeletionPolicy`, `UpdateReplacePolicy`, `Metadata`, `Condition` and every
//!   other attribute stay on the resource; conditions and mappings a child uses are copied into
//!   it (with the parameters they read).
//! - **Where children live.** `TemplateURL` is a path relative to the parent,
//!   `<stack>/<Child>.template.json`: `aws cloudformation package` uploads each child and writes
//!   the S3 URL, and cfn-lint follows the path to check the parameters passed against the
//!   child's.
//!
//! **How it runs.** [`write`] takes the template in [`Pieces`]: the sections before and after
//! `Resources`, and the resources one at a time, each rendered when it is reached. Each resource
//! is serialized once, to the text it has in any template that holds it (JSON), and what the
//! split needs of it (its references, `DependsOn`, conditions, mappings, size) is read at the
//! same time; its JSON value is then dropped, so the resources are never held as values nor
//! cloned. Whether to split, how, and whether every part fits are worked out from those sizes,
//! without serializing a template to measure it; each file is then written once, from the
//! texts, straight to the [`FileSink`]. Only a resource whose references cross into another
//! part is read back and written again, rewired. YAML cannot be measured by parts, so a YAML
//! template keeps its resources as values and each part is serialized once to its text, which
//! is measured and then written. [`split`] is the same split on a whole template in memory.
//!
//! Limits: a reference to a list-valued attribute cannot cross a boundary (an output is a
//! string), nor can a `Fn::GetAtt` whose attribute name is itself computed; both are reported as
//! errors. Nothing here knows resource kinds: it works on the rendered template JSON.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};
use std::io;
use std::path::Path;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value as Json, json};

use crate::cloudformation::Format;
use crate::error::RenderError;
use crate::files::{self, FileSink};
use crate::pretty;

/// The size limits a template must respect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Resources per template.
    pub resources: usize,
    /// Bytes of the template body as written.
    pub bytes: usize,
    /// Parameters per template.
    pub parameters: usize,
    /// Outputs per template.
    pub outputs: usize,
}

impl Limits {
    /// CloudFormation's quotas (see the module documentation). 1 MB is taken as 1,000,000
    /// bytes, the smaller reading.
    pub const CLOUDFORMATION: Limits = Limits { resources: 500, bytes: 1_000_000, parameters: 200, outputs: 200 };
}

/// A template split into a parent and its children.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// The parent template.
    pub parent: Json,
    /// Each child: its logical id in the parent (also its file name) and its template.
    pub children: Vec<(String, Json)>,
}

/// The resources of a template, each rendered when it is reached: its logical id and its JSON.
pub type ResourceStream<'a> = Box<dyn Iterator<Item = Result<(String, Json), RenderError>> + 'a>;

/// A template given in pieces, so that it is written without ever being held whole.
pub struct Pieces<'a> {
    /// The sections before `Resources`, in order.
    pub head: Map<String, Json>,
    /// The resources, in order.
    pub resources: ResourceStream<'a>,
    /// The sections after `Resources` (such as `Outputs`), made once every resource is rendered.
    pub tail: Box<dyn FnOnce() -> Result<Map<String, Json>, RenderError> + 'a>,
}

/// The text of a template in `format`, as written to a file.
pub fn to_text(stack: &str, doc: &Json, format: Format) -> Result<String, RenderError> {
    match format {
        Format::Json => Ok(pretty::to_string(doc, 0) + "\n"),
        Format::Yaml => yaml_text(stack, doc),
    }
}

/// `doc` as YAML, with YAML 1.1's boolean words quoted.
fn yaml_text(stack: &str, doc: &impl Serialize) -> Result<String, RenderError> {
    serde_yaml_ng::to_string(doc)
        .map(|t| crate::cloudformation::quote_yaml11_booleans(&t))
        .map_err(|e| RenderError::Serialize { stack: stack.to_owned(), format: "YAML", source: Box::new(e) })
}

/// The relative path of a child template from its parent: `<stack>/<child>.template.<ext>`.
pub fn child_path(stack: &str, child: &str, format: Format) -> String {
    format!("{stack}/{child}.template.{}", format.extension())
}

/// Splits `template` (of stack `stack`, written in `format`) when it exceeds `limits` in
/// resources or bytes; `None` when it fits as it is (or has no `Resources`).
pub fn split(stack: &str, template: &Json, format: Format, limits: &Limits) -> Result<Option<Split>, RenderError> {
    let Some(object) = template.as_object() else { return Ok(None) };
    let Some(at) = object.keys().position(|k| k == "Resources") else { return Ok(None) };
    let Some(resources) = object.get("Resources").and_then(Json::as_object) else { return Ok(None) };
    let sections = Sections {
        head: object.iter().take(at).map(|(k, v)| (k.clone(), v.clone())).collect(),
        tail: object.iter().skip(at + 1).map(|(k, v)| (k.clone(), v.clone())).collect(),
    };
    let mut read = Vec::with_capacity(resources.len());
    let mut scratch = Scratch::new(false);
    for (id, r) in resources {
        read.push(Resource::read(id.clone(), r.clone(), format, true, &mut scratch));
    }
    let doc = Doc { stack, sections: &sections, resources: &read, format };
    if doc.whole(limits)?.is_some() {
        return Ok(None);
    }
    let (plan, _) = doc.split(limits)?;
    Ok(Some(plan.materialize(&read)))
}

/// Writes a CloudFormation template to `sink` as `<dir>/<stack>.template.<ext>`, split into
/// nested stacks `<dir>/<stack>/<Child>.template.<ext>` when it is over `limits`.
pub fn write(
    stack: &str,
    pieces: Pieces<'_>,
    format: Format,
    limits: &Limits,
    dir: &Path,
    sink: &mut dyn FileSink,
) -> Result<(), RenderError> {
    let Pieces { head, resources: stream, tail } = pieces;
    // Past the resource limit the template is split for certain, and every part's text is kept
    // until the partition is known: without its indentation, a third of it.
    let outdent = stream.size_hint().0 > limits.resources;
    let mut resources = Vec::with_capacity(stream.size_hint().0);
    let mut scratch = Scratch::new(outdent);
    for item in stream {
        let (id, value) = item?;
        resources.push(Resource::read(id, value, format, false, &mut scratch));
    }
    drop(scratch);
    let sections = Sections { head, tail: tail()? };
    let doc = Doc { stack, sections: &sections, resources: &resources, format };
    let parent_path = dir.join(format!("{stack}.template.{}", format.extension()));
    if let Some(text) = doc.whole(limits)? {
        return files::put(sink, &parent_path, &mut |w| text.write(w));
    }
    let (plan, texts) = doc.split(limits)?;
    let (parent, children) = texts.split_first().expect("the parent's text comes first");
    files::put(sink, &parent_path, &mut |w| parent.write(w))?;
    for (child, text) in plan.children.iter().zip(children) {
        files::put(sink, &dir.join(child_path(stack, &child.id, format)), &mut |w| text.write(w))?;
    }
    Ok(())
}

/// The sections of a template around `Resources`.
struct Sections {
    /// Before `Resources`, in order.
    head: Map<String, Json>,
    /// After `Resources`, in order.
    tail: Map<String, Json>,
}

impl Sections {
    fn get(&self, key: &str) -> Option<&Json> {
        self.head.get(key).or_else(|| self.tail.get(key))
    }
}

/// Keys of a resource that hold no references to rewire.
const ATTRIBUTE_KEYS: [&str; 5] = ["Type", "DependsOn", "Condition", "DeletionPolicy", "UpdateReplacePolicy"];

/// A reference inside a resource.
struct Reference {
    /// Where the resource or parameter it names is in [`Resource::names`].
    name: std::ops::Range<u32>,
    /// Outside the [`ATTRIBUTE_KEYS`]: a reference the split rewires when it crosses parts.
    rewired: bool,
    /// A dependency of the reference graph.
    edge: bool,
}

/// One resource as the split sees it, read once from its rendered JSON.
struct Resource {
    id: String,
    /// The names its references name, one after the other.
    names: Box<str>,
    /// Its references in document order.
    refs: Vec<Reference>,
    /// Its `DependsOn` as a list.
    depends_on: Vec<String>,
    /// `DependsOn` is a list.
    depends_on_list: bool,
    /// `DependsOn` holds something other than names (dropped when the list is rewritten).
    depends_on_other: bool,
    /// Its `Condition` attribute.
    condition: Option<Json>,
    /// Its size in a pretty-printed template, as the partition estimates it.
    estimated: usize,
    /// JSON: the text of its value inside `Resources` (at depth 2).
    text: Option<Stored>,
    /// YAML, or [`split`]: the value itself.
    value: Option<Json>,
}

impl Resource {
    /// Reads what the split needs of `value`. JSON keeps the text, YAML the value (`keep_value`
    /// keeps it in both formats).
    fn read(id: String, value: Json, format: Format, keep_value: bool, scratch: &mut Scratch) -> Self {
        let mut refs = Vec::new();
        let mut names = String::new();
        let mut push = |name: &str, rewired: bool, edge: bool| {
            let start = u32::try_from(names.len()).expect("names of one resource fit in 4 GB");
            names.push_str(name);
            let end = u32::try_from(names.len()).expect("names of one resource fit in 4 GB");
            refs.push(Reference { name: start..end, rewired, edge });
        };
        match &value {
            Json::Object(o) if !is_intrinsic(o) => {
                for (key, v) in o {
                    let rewired = !ATTRIBUTE_KEYS.contains(&key.as_str());
                    visit_refs(v, &mut |name, _| push(name, rewired, true));
                }
            }
            _ => {
                visit_refs(&value, &mut |name, _| push(name, false, true));
                if let Json::Object(o) = &value {
                    for (_, v) in o.iter().filter(|(k, _)| !ATTRIBUTE_KEYS.contains(&k.as_str())) {
                        visit_refs(v, &mut |name, _| push(name, true, false));
                    }
                }
            }
        }
        let (text, estimated) = match format {
            Format::Json => {
                let text = scratch.store(&value);
                let estimated = text.len + id.len() + 12;
                (Some(text), estimated)
            }
            Format::Yaml => {
                let mut counter = Counter::default();
                pretty::write(&mut counter, &value, 2).expect("a JSON value serializes");
                (None, counter.0 + id.len() + 12)
            }
        };
        let depends_on_value = value.get("DependsOn");
        let depends_on_list = matches!(depends_on_value, Some(Json::Array(_)));
        let depends_on_other =
            depends_on_value.and_then(Json::as_array).is_some_and(|a| a.iter().any(|d| !d.is_string()));
        let keep = keep_value || format == Format::Yaml;
        Self {
            names: names.into_boxed_str(),
            refs,
            depends_on: depends_on(&value),
            depends_on_list,
            depends_on_other,
            condition: value.get("Condition").cloned(),
            estimated,
            text,
            value: keep.then_some(value),
            id,
        }
    }

    /// The value, read back from the text when only the text was kept.
    fn json(&self) -> Json {
        match (&self.value, &self.text) {
            (Some(v), _) => v.clone(),
            (None, Some(text)) => serde_json::from_str(&text.text()).expect("a resource's own text reads back"),
            (None, None) => unreachable!("a resource keeps its text or its value"),
        }
    }

    /// The name reference `x` names.
    fn name(&self, x: &Reference) -> &str {
        &self.names[x.name.start as usize..x.name.end as usize]
    }

    /// The conditions and mappings it names (looked for only in a template that has some).
    fn conditions_and_mappings(&self) -> (BTreeSet<String>, BTreeSet<String>) {
        let value = match &self.value {
            Some(v) => Cow::Borrowed(v),
            None => Cow::Owned(self.json()),
        };
        let (mut conditions, mut mappings) = (BTreeSet::new(), BTreeSet::new());
        conditions_in(&value, &mut conditions);
        mappings_in(&value, &mut mappings);
        (conditions, mappings)
    }

    fn stored(&self) -> &Stored {
        self.text.as_ref().expect("JSON keeps the text")
    }
}

/// A resource's text, kept from when it is read until its file is written: as it is, or
/// without its indentation ([`outdent`]).
struct Stored {
    /// Bytes of the text.
    len: usize,
    bytes: Box<[u8]>,
    outdented: bool,
}

impl Stored {
    fn text(&self) -> Cow<'_, str> {
        if !self.outdented {
            return Cow::Borrowed(std::str::from_utf8(&self.bytes).expect("kept as UTF-8"));
        }
        let mut out = Vec::with_capacity(self.len);
        indent(&self.bytes, &mut out);
        Cow::Owned(String::from_utf8(out).expect("kept as UTF-8"))
    }

    fn write(&self, w: &mut dyn io::Write, buf: &mut Vec<u8>) -> io::Result<()> {
        if !self.outdented {
            return w.write_all(&self.bytes);
        }
        buf.clear();
        indent(&self.bytes, buf);
        w.write_all(buf)
    }
}

/// The first byte of an indentation depth in [`outdent`]'s form: never a newline, and the
/// byte after a newline of pretty JSON is always an indentation space in the original.
const DEPTH: u8 = 0x80;

/// Pretty JSON without its indentation: every newline of `text` is followed by `2 * d` spaces
/// (JSON strings escape their newlines), kept as the byte `DEPTH + d`. False (and `out` is
/// not to be used) when a line is indented deeper than that byte can say.
fn outdent(text: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let mut start = 0;
    for newline in memchr::memchr_iter(b'\n', text) {
        out.extend_from_slice(&text[start..newline]);
        let spaces = text[newline + 1..].iter().take_while(|&&b| b == b' ').count();
        let Some(depth) = u8::try_from(spaces / 2).ok().filter(|d| spaces % 2 == 0 && *d < 0x80) else {
            return false;
        };
        out.push(b'\n');
        out.push(DEPTH + depth);
        start = newline + 1 + spaces;
    }
    out.extend_from_slice(&text[start..]);
    true
}

/// [`outdent`] undone, appended to `out`.
fn indent(bytes: &[u8], out: &mut Vec<u8>) {
    const SPACES: [u8; 256] = [b' '; 256];
    let mut start = 0;
    for newline in memchr::memchr_iter(b'\n', bytes) {
        out.extend_from_slice(&bytes[start..newline]);
        out.push(b'\n');
        out.extend_from_slice(&SPACES[..2 * usize::from(bytes[newline + 1] - DEPTH)]);
        start = newline + 2;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Buffers reused from one resource to the next while they are read.
struct Scratch {
    text: Vec<u8>,
    outdented: Vec<u8>,
    /// Keep the texts without their indentation.
    outdent: bool,
}

impl Scratch {
    fn new(outdent: bool) -> Self {
        Self { text: Vec::new(), outdented: Vec::new(), outdent }
    }

    /// Serializes `value` at depth 2 and keeps the text.
    fn store(&mut self, value: &Json) -> Stored {
        self.text.clear();
        pretty::append(&mut self.text, value, 2);
        let len = self.text.len();
        if self.outdent && outdent(&self.text, &mut self.outdented) {
            return Stored { len, bytes: self.outdented.as_slice().into(), outdented: true };
        }
        Stored { len, bytes: self.text.as_slice().into(), outdented: false }
    }
}

/// Bytes written, nothing kept.
#[derive(Default)]
struct Counter(usize);

impl io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `{"Ref": ..}`, `{"Fn::GetAtt": ..}` or `{"Fn::Sub": ..}`.
fn is_intrinsic(o: &Map<String, Json>) -> bool {
    o.len() == 1 && (o.contains_key("Ref") || o.contains_key("Fn::GetAtt") || o.contains_key("Fn::Sub"))
}

/// A template with its resources read: written whole or split.
struct Doc<'a> {
    stack: &'a str,
    sections: &'a Sections,
    resources: &'a [Resource],
    format: Format,
}

impl<'a> Doc<'a> {
    /// The whole template's text when it is within `limits`.
    fn whole(&self, limits: &Limits) -> Result<Option<Text<'a>>, RenderError> {
        if self.resources.len() > limits.resources {
            return Ok(None);
        }
        let text = match self.format {
            Format::Json => {
                let resources: &'a [Resource] = self.resources;
                let members = resources.iter().map(|r| (r.id.as_str(), Member::Stored(r.stored()))).collect();
                Text::Json(JsonDoc::new(&self.sections.head, members, &self.sections.tail))
            }
            Format::Yaml => {
                let members = self.resources.iter().map(|r| (r.id.as_str(), Cow::Borrowed(yaml_value(r)))).collect();
                let view = View { head: &self.sections.head, resources: members, tail: &self.sections.tail };
                Text::Whole(yaml_text(self.stack, &view)?)
            }
        };
        Ok((text.len() <= limits.bytes).then_some(text))
    }

    /// The split: its plan, and the text of the parent and of every child in order.
    fn split(&self, limits: &Limits) -> Result<(Plan, Vec<Text<'a>>), RenderError> {
        let stack = self.stack;
        let err = |message: String| RenderError::Unsupported {
            stack: stack.to_owned(),
            resource: "(template)".into(),
            property: "Resources".into(),
            message,
        };
        let graph = Graph::new(self.resources);
        let groups =
            graph.groups().map_err(|cycle| err(format!("resources refer to each other in a cycle: {cycle}")))?;
        let sizes: Vec<usize> = self.resources.iter().map(|r| r.estimated).collect();
        if let Some((i, size)) = sizes.iter().enumerate().find(|(_, s)| **s > limits.bytes) {
            return Err(RenderError::Unsupported {
                stack: stack.to_owned(),
                resource: self.resources[i].id.clone(),
                property: "Properties".into(),
                message: format!(
                    "the resource alone takes about {size} bytes, over CloudFormation's {} per template; make it smaller (e.g. move user data to a file the host downloads)",
                    limits.bytes
                ),
            });
        }
        // Fill children within a budget; shrink the budget until every template fits (the sizes
        // are estimates, and wiring adds parameters and outputs).
        let mut budget = Limits { bytes: limits.bytes / 10 * 9, ..*limits };
        loop {
            let chunks = chunk(&groups, &sizes, budget.resources, budget.bytes);
            let plan = Builder::new(stack, self.sections, self.resources, &graph, &chunks, self.format).build()?;
            let texts = self.texts(&plan)?;
            match check(&plan, &texts, limits) {
                None => return Ok((plan, texts)),
                Some(problem) if budget.resources <= 1 => return Err(err(problem)),
                Some(_) => {
                    budget.resources = budget.resources * 3 / 4;
                    budget.bytes = budget.bytes * 3 / 4;
                }
            }
        }
    }

    /// The parent's text and each child's.
    fn texts(&self, plan: &Plan) -> Result<Vec<Text<'a>>, RenderError> {
        let mut out = Vec::with_capacity(plan.children.len() + 1);
        out.push(Text::Whole(to_text(self.stack, &plan.parent, self.format)?));
        for child in &plan.children {
            out.push(match self.format {
                Format::Json => {
                    let resources: &'a [Resource] = self.resources;
                    let members = child
                        .members
                        .iter()
                        .map(|&i| {
                            let r = &resources[i];
                            let text = plan.rewritten.get(&i).map_or_else(
                                || Member::Stored(r.stored()),
                                |v| Member::Rewired(pretty::to_string(v, 2)),
                            );
                            (r.id.as_str(), text)
                        })
                        .collect();
                    Text::Json(JsonDoc::new(&child.head, members, &child.tail))
                }
                Format::Yaml => {
                    let members = child
                        .members
                        .iter()
                        .map(|&i| {
                            let r = &self.resources[i];
                            (r.id.as_str(), Cow::Borrowed(plan.rewritten.get(&i).unwrap_or_else(|| yaml_value(r))))
                        })
                        .collect();
                    let view = View { head: &child.head, resources: members, tail: &child.tail };
                    Text::Whole(yaml_text(self.stack, &view)?)
                }
            });
        }
        Ok(out)
    }
}

fn yaml_value(r: &Resource) -> &Json {
    r.value.as_ref().expect("YAML keeps the value")
}

/// The first limit a template of the split exceeds, if any (the parent first).
fn check(plan: &Plan, texts: &[Text<'_>], limits: &Limits) -> Option<String> {
    let count = |m: &Map<String, Json>, key: &str| m.get(key).and_then(Json::as_object).map_or(0, Map::len);
    let parent = plan.parent.as_object().expect("the parent is an object");
    let parent_counts = (count(parent, "Resources"), count(parent, "Parameters"), count(parent, "Outputs"));
    let docs = std::iter::once(("the parent", parent_counts)).chain(plan.children.iter().map(|c| {
        (
            c.id.as_str(),
            (
                c.members.len(),
                count(&c.head, "Parameters") + count(&c.tail, "Parameters"),
                count(&c.head, "Outputs") + count(&c.tail, "Outputs"),
            ),
        )
    }));
    for ((name, (resources, parameters, outputs)), text) in docs.zip(texts) {
        let problems = [
            (resources, limits.resources, "resources"),
            (text.len(), limits.bytes, "bytes"),
            (parameters, limits.parameters, "parameters"),
            (outputs, limits.outputs, "outputs"),
        ];
        if name == "the parent" && problems[0].0 > limits.resources {
            return Some(format!(
                "the stack needs {} nested stacks, over the {} resources a template takes (a second level of nesting is not supported); make the stack smaller",
                problems[0].0, limits.resources
            ));
        }
        if let Some((n, max, what)) = problems.into_iter().find(|(n, max, _)| n > max) {
            return Some(format!(
                "{name} of the nested stacks would have {n} {what}, over the {max} a template takes; \
                 use fewer outputs or parameters, or fewer references between parts of the stack"
            ));
        }
    }
    None
}

/// A template's text: in pieces (JSON, its length known without joining them) or whole (YAML,
/// and a parent).
enum Text<'a> {
    Json(JsonDoc<'a>),
    Whole(String),
}

impl Text<'_> {
    fn len(&self) -> usize {
        match self {
            Text::Json(doc) => doc.len(),
            Text::Whole(s) => s.len(),
        }
    }

    fn write(&self, w: &mut dyn io::Write) -> io::Result<()> {
        match self {
            Text::Json(doc) => doc.write(w),
            Text::Whole(s) => w.write_all(s.as_bytes()),
        }
    }
}

/// A JSON template as `serde_json::to_string_pretty` plus a newline writes it, from pieces: each
/// top-level section's value serialized at depth 1, and each resource's at depth 2.
struct JsonDoc<'a> {
    sections: Vec<(String, Section<'a>)>,
}

enum Section<'a> {
    Value(String),
    Resources(Vec<(&'a str, Member<'a>)>),
}

/// A resource's text in a [`JsonDoc`]: as read, or rewired.
enum Member<'a> {
    Stored(&'a Stored),
    Rewired(String),
}

impl Member<'_> {
    fn len(&self) -> usize {
        match self {
            Member::Stored(s) => s.len,
            Member::Rewired(t) => t.len(),
        }
    }

    fn write(&self, w: &mut dyn io::Write, buf: &mut Vec<u8>) -> io::Result<()> {
        match self {
            Member::Stored(s) => s.write(w, buf),
            Member::Rewired(t) => w.write_all(t.as_bytes()),
        }
    }
}

impl<'a> JsonDoc<'a> {
    fn new(head: &Map<String, Json>, resources: Vec<(&'a str, Member<'a>)>, tail: &Map<String, Json>) -> Self {
        let value = |(k, v): (&String, &Json)| (k.clone(), Section::Value(pretty::to_string(v, 1)));
        let mut sections: Vec<(String, Section<'a>)> = head.iter().map(value).collect();
        sections.push(("Resources".to_owned(), Section::Resources(resources)));
        sections.extend(tail.iter().map(value));
        Self { sections }
    }

    fn len(&self) -> usize {
        let entries: usize = self
            .sections
            .iter()
            .map(|(key, section)| {
                let value = match section {
                    Section::Value(text) => text.len(),
                    Section::Resources(members) if members.is_empty() => 2,
                    Section::Resources(members) => {
                        let each: usize =
                            members.iter().map(|(id, text)| 4 + pretty::quoted_len(id) + 2 + text.len()).sum();
                        2 + each + 2 * (members.len() - 1) + 4
                    }
                };
                2 + pretty::quoted_len(key) + 2 + value
            })
            .sum();
        // `{`, a newline before each entry, `,` between them, a newline and `}`, the final newline.
        2 + entries + 2 * (self.sections.len() - 1) + 2 + 1
    }

    fn write(&self, w: &mut dyn io::Write) -> io::Result<()> {
        let mut buf = Vec::new();
        w.write_all(b"{")?;
        for (n, (key, section)) in self.sections.iter().enumerate() {
            w.write_all(if n == 0 { b"\n  " } else { b",\n  " })?;
            pretty::write_quoted(w, key)?;
            w.write_all(b": ")?;
            match section {
                Section::Value(text) => w.write_all(text.as_bytes())?,
                Section::Resources(members) if members.is_empty() => w.write_all(b"{}")?,
                Section::Resources(members) => {
                    w.write_all(b"{")?;
                    for (m, (id, text)) in members.iter().enumerate() {
                        w.write_all(if m == 0 { b"\n    " } else { b",\n    " })?;
                        pretty::write_quoted(w, id)?;
                        w.write_all(b": ")?;
                        text.write(w, &mut buf)?;
                    }
                    w.write_all(b"\n  }")?;
                }
            }
        }
        w.write_all(b"\n}\n")
    }
}

/// A template assembled from borrowed pieces, serialized as the same object would be.
struct View<'a> {
    head: &'a Map<String, Json>,
    resources: Vec<(&'a str, Cow<'a, Json>)>,
    tail: &'a Map<String, Json>,
}

impl Serialize for View<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Resources<'b>(&'b [(&'b str, Cow<'b, Json>)]);
        impl Serialize for Resources<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut map = s.serialize_map(Some(self.0.len()))?;
                for (id, value) in self.0 {
                    map.serialize_entry(id, value.as_ref())?;
                }
                map.end()
            }
        }
        let mut map = s.serialize_map(Some(self.head.len() + 1 + self.tail.len()))?;
        for (k, v) in self.head {
            map.serialize_entry(k, v)?;
        }
        map.serialize_entry("Resources", &Resources(&self.resources))?;
        for (k, v) in self.tail {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// Resources as nodes, references (and `DependsOn`) as edges.
struct Graph<'a> {
    ids: Vec<&'a str>,
    index: HashMap<&'a str, usize>,
    deps: Vec<BTreeSet<usize>>,
}

impl<'a> Graph<'a> {
    fn new(resources: &'a [Resource]) -> Self {
        let ids: Vec<&str> = resources.iter().map(|r| r.id.as_str()).collect();
        let index: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let deps = resources
            .iter()
            .map(|r| {
                let refs = r.refs.iter().filter(|x| x.edge).map(|x| r.name(x));
                refs.chain(r.depends_on.iter().map(String::as_str))
                    .filter_map(|name| index.get(name).copied())
                    .collect()
            })
            .collect();
        Self { ids, index, deps }
    }

    /// Connected parts in order of first appearance, each in dependency order.
    fn groups(&self) -> Result<Vec<Vec<usize>>, String> {
        fn find(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        let n = self.ids.len();
        let mut parent: Vec<usize> = (0..n).collect();
        for (i, ds) in self.deps.iter().enumerate() {
            for &j in ds {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
        let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for i in 0..n {
            let root = find(&mut parent, i);
            members.entry(root).or_default().push(i);
        }
        // Roots are the smallest index of their part, so BTreeMap order is first appearance.
        let mut groups = Vec::new();
        for (_, nodes) in members {
            groups.push(self.topological(&nodes)?);
        }
        Ok(groups)
    }

    /// Dependencies first, ties broken by template order (Kahn with a min-heap).
    fn topological(&self, nodes: &[usize]) -> Result<Vec<usize>, String> {
        let mut waiting: HashMap<usize, usize> = nodes.iter().map(|&i| (i, self.deps[i].len())).collect();
        let mut dependents: HashMap<usize, Vec<usize>> = HashMap::new();
        for &i in nodes {
            for &j in &self.deps[i] {
                dependents.entry(j).or_default().push(i);
            }
        }
        let mut ready: BinaryHeap<Reverse<usize>> =
            nodes.iter().filter(|i| waiting[i] == 0).map(|&i| Reverse(i)).collect();
        let mut order = Vec::with_capacity(nodes.len());
        while let Some(Reverse(i)) = ready.pop() {
            order.push(i);
            for &d in dependents.get(&i).into_iter().flatten() {
                let w = waiting.get_mut(&d).expect("a node of the part");
                *w -= 1;
                if *w == 0 {
                    ready.push(Reverse(d));
                }
            }
        }
        if order.len() < nodes.len() {
            let stuck: Vec<&str> = nodes.iter().filter(|i| waiting[i] > 0).map(|&i| self.ids[i]).collect();
            return Err(stuck.join(", "));
        }
        Ok(order)
    }
}

/// Cuts the groups into children of at most `max_resources` and about `max_bytes`.
fn chunk(groups: &[Vec<usize>], sizes: &[usize], max_resources: usize, max_bytes: usize) -> Vec<Vec<usize>> {
    let mut chunks: Vec<Vec<usize>> = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    let mut cur_bytes = 0;
    for group in groups {
        let bytes: usize = group.iter().map(|&i| sizes[i]).sum();
        if cur.len() + group.len() <= max_resources && cur_bytes + bytes <= max_bytes {
            cur.extend(group);
            cur_bytes += bytes;
        } else if group.len() <= max_resources && bytes <= max_bytes {
            chunks.push(std::mem::take(&mut cur));
            cur.clone_from(group);
            cur_bytes = bytes;
        } else {
            for &i in group {
                if !cur.is_empty() && (cur.len() == max_resources || cur_bytes + sizes[i] > max_bytes) {
                    chunks.push(std::mem::take(&mut cur));
                    cur_bytes = 0;
                }
                cur.push(i);
                cur_bytes += sizes[i];
            }
        }
    }
    chunks.push(cur);
    chunks.retain(|c| !c.is_empty());
    chunks
}

/// The `DependsOn` of a resource as a list.
fn depends_on(resource: &Json) -> Vec<String> {
    match resource.get("DependsOn") {
        Some(Json::String(s)) => vec![s.clone()],
        Some(Json::Array(a)) => a.iter().filter_map(Json::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

/// What a reference becomes.
enum Target {
    /// `{"Ref": name}` (`${name}` in `Fn::Sub`).
    Ref(String),
    /// `{"Fn::GetAtt": [id, attr]}` (`${id.attr}` in `Fn::Sub`).
    GetAtt(String, String),
}

impl Target {
    fn to_json(&self) -> Json {
        match self {
            Target::Ref(n) => json!({ "Ref": n }),
            Target::GetAtt(id, attr) => json!({ "Fn::GetAtt": [id, attr] }),
        }
    }
    fn to_sub(&self) -> String {
        match self {
            Target::Ref(n) => format!("${{{n}}}"),
            Target::GetAtt(id, attr) => format!("${{{id}.{attr}}}"),
        }
    }
}

/// The name and attribute a `Fn::GetAtt` names (`""` for a computed attribute name).
fn get_att(value: &Json) -> (String, String) {
    match value {
        Json::String(s) => match s.split_once('.') {
            Some((id, attr)) => (id.to_owned(), attr.to_owned()),
            None => (s.clone(), String::new()),
        },
        Json::Array(a) => (
            a.first().and_then(Json::as_str).unwrap_or_default().to_owned(),
            a.get(1).and_then(Json::as_str).unwrap_or_default().to_owned(),
        ),
        _ => (String::new(), String::new()),
    }
}

/// Calls `f(name, attr)` on every `Ref`, `Fn::GetAtt` and `Fn::Sub` variable inside `json` (the
/// resource attributes `DependsOn`, `Condition` and the policies are not references) and
/// replaces the reference with what `f` returns. `attr` is `None` for a `Ref`, and `Some("")`
/// for a `Fn::GetAtt` whose attribute name is computed.
fn for_each_ref(json: &mut Json, f: &mut dyn FnMut(&str, Option<&str>) -> Option<Target>) {
    match json {
        Json::Object(o) if o.len() == 1 && o.contains_key("Ref") => {
            if let Some(Json::String(name)) = o.get("Ref")
                && let Some(t) = f(&name.clone(), None)
            {
                *json = t.to_json();
            }
        }
        Json::Object(o) if o.len() == 1 && o.contains_key("Fn::GetAtt") => {
            let (id, attr) = get_att(&o["Fn::GetAtt"]);
            if let Some(t) = f(&id, Some(&attr)) {
                *json = t.to_json();
            } else if let Some(Json::Array(a)) = o.get_mut("Fn::GetAtt") {
                // A computed attribute name may itself hold references.
                a.iter_mut().skip(1).for_each(|x| for_each_ref(x, f));
            }
        }
        Json::Object(o) if o.len() == 1 && o.contains_key("Fn::Sub") => {
            let sub = o.get_mut("Fn::Sub").expect("checked");
            let (text, vars) = match sub {
                Json::String(s) => (s, None),
                Json::Array(a) if !a.is_empty() => {
                    let (first, rest) = a.split_at_mut(1);
                    match (first.first_mut(), rest.first_mut()) {
                        (Some(Json::String(s)), vars) => (s, vars),
                        _ => return,
                    }
                }
                _ => return,
            };
            let local: BTreeSet<String> =
                vars.as_ref().and_then(|v| v.as_object()).map(|m| m.keys().cloned().collect()).unwrap_or_default();
            *text = rewrite_sub(text, &local, f);
            if let Some(v) = vars {
                for_each_ref(v, f);
            }
        }
        Json::Object(o) => o.values_mut().for_each(|v| for_each_ref(v, f)),
        Json::Array(a) => a.iter_mut().for_each(|v| for_each_ref(v, f)),
        _ => {}
    }
}

/// [`for_each_ref`] reading only: `f` sees the same references in the same order as there
/// when it rewrites none.
fn visit_refs(json: &Json, f: &mut dyn FnMut(&str, Option<&str>)) {
    match json {
        Json::Object(o) if o.len() == 1 => {
            let (key, value) = o.iter().next().expect("one entry");
            match key.as_str() {
                "Ref" => {
                    if let Json::String(name) = value {
                        f(name, None);
                    }
                }
                "Fn::GetAtt" => {
                    let (id, attr) = match value {
                        Json::String(s) => s.split_once('.').unwrap_or((s, "")),
                        Json::Array(a) => (
                            a.first().and_then(Json::as_str).unwrap_or_default(),
                            a.get(1).and_then(Json::as_str).unwrap_or_default(),
                        ),
                        _ => ("", ""),
                    };
                    f(id, Some(attr));
                    if let Json::Array(a) = value {
                        a.iter().skip(1).for_each(|x| visit_refs(x, f));
                    }
                }
                "Fn::Sub" => visit_sub(value, f),
                _ => visit_refs(value, f),
            }
        }
        Json::Object(o) => o.values().for_each(|v| visit_refs(v, f)),
        Json::Array(a) => a.iter().for_each(|v| visit_refs(v, f)),
        _ => {}
    }
}

/// [`visit_refs`] of the value of a `Fn::Sub`.
fn visit_sub(value: &Json, f: &mut dyn FnMut(&str, Option<&str>)) {
    let (text, vars) = match value {
        Json::String(s) => (s, None),
        Json::Array(a) => match (a.first(), a.get(1)) {
            (Some(Json::String(s)), vars) => (s, vars),
            _ => return,
        },
        _ => return,
    };
    let local = vars.and_then(Json::as_object);
    let _ = rewrite_sub(text, &BTreeSet::new(), &mut |name, attr| {
        let var = attr.map_or_else(|| name.to_owned(), |a| format!("{name}.{a}"));
        if !local.is_some_and(|m| m.contains_key(&var)) {
            f(name, attr);
        }
        None
    });
    if let Some(v) = vars {
        visit_refs(v, f);
    }
}

/// Rewrites the `${Name}` / `${Name.Attr}` variables of a `Fn::Sub` string (not `${!Literal}`
/// nor the sub's own variables).
fn rewrite_sub(
    text: &str,
    local: &BTreeSet<String>,
    f: &mut dyn FnMut(&str, Option<&str>) -> Option<Target>,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let var = &after[..end];
        let replaced = if var.starts_with('!') || local.contains(var) {
            None
        } else {
            match var.split_once('.') {
                Some((id, attr)) => f(id, Some(attr)),
                None => f(var, None),
            }
        };
        if let Some(t) = replaced {
            out.push_str(&t.to_sub());
        } else {
            out.push_str("${");
            out.push_str(var);
            out.push('}');
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Conditions named inside `json` (`Fn::If` and `{"Condition": name}`).
fn conditions_in(json: &Json, out: &mut BTreeSet<String>) {
    match json {
        Json::Object(o) => {
            for (k, v) in o {
                match (k.as_str(), v) {
                    ("Condition", Json::String(name)) => {
                        out.insert(name.clone());
                    }
                    ("Fn::If", Json::Array(a)) => {
                        if let Some(Json::String(name)) = a.first() {
                            out.insert(name.clone());
                        }
                        a.iter().skip(1).for_each(|x| conditions_in(x, out));
                    }
                    _ => conditions_in(v, out),
                }
            }
        }
        Json::Array(a) => a.iter().for_each(|x| conditions_in(x, out)),
        _ => {}
    }
}

/// Mappings named by `Fn::FindInMap` inside `json`.
fn mappings_in(json: &Json, out: &mut BTreeSet<String>) {
    match json {
        Json::Object(o) => {
            for (k, v) in o {
                if let ("Fn::FindInMap", Json::Array(a)) = (k.as_str(), v)
                    && let Some(Json::String(name)) = a.first()
                {
                    out.insert(name.clone());
                }
                mappings_in(v, out);
            }
        }
        Json::Array(a) => a.iter().for_each(|x| mappings_in(x, out)),
        _ => {}
    }
}

/// A value one child passes to another: resource `index`'s `Ref` (`attr` empty) or attribute.
type Export = (usize, String);

/// One child being assembled.
#[derive(Default)]
struct Child {
    /// Its resources, in template order.
    members: Vec<usize>,
    /// Parent parameters used, by name.
    params: BTreeSet<String>,
    /// Values imported from other children, in order of first use: (export, parameter name).
    imports: Vec<(Export, String)>,
    /// Children that must exist first (from `DependsOn`).
    after: BTreeSet<usize>,
    conditions: BTreeSet<String>,
    mappings: BTreeSet<String>,
}

/// A split, decided: the parent, and each child as its sections and the resources it holds.
struct Plan {
    parent: Json,
    children: Vec<ChildPlan>,
    /// The resources rewired (references into other children), by index.
    rewritten: HashMap<usize, Json>,
}

/// One child of a [`Plan`].
struct ChildPlan {
    /// Its logical id in the parent.
    id: String,
    /// The sections before `Resources`.
    head: Map<String, Json>,
    /// Its resources, in template order.
    members: Vec<usize>,
    /// The sections after `Resources` (its outputs).
    tail: Map<String, Json>,
}

impl Plan {
    /// The split as JSON values.
    fn materialize(self, resources: &[Resource]) -> Split {
        let mut rewritten = self.rewritten;
        let children = self
            .children
            .into_iter()
            .map(|c| {
                let mut doc = c.head;
                let members: Map<String, Json> = c
                    .members
                    .iter()
                    .map(|&i| (resources[i].id.clone(), rewritten.remove(&i).unwrap_or_else(|| resources[i].json())))
                    .collect();
                doc.insert("Resources".into(), Json::Object(members));
                doc.extend(c.tail);
                (c.id, Json::Object(doc))
            })
            .collect();
        Split { parent: self.parent, children }
    }
}

struct Builder<'a> {
    stack: &'a str,
    template: &'a Sections,
    resources: &'a [Resource],
    graph: &'a Graph<'a>,
    chunks: &'a [Vec<usize>],
    format: Format,
    owner: Vec<usize>,
    child_ids: Vec<String>,
    params: &'a Map<String, Json>,
    /// Every name used in the template, so new names do not clash.
    taken: BTreeSet<String>,
    /// Output/parameter name of each export.
    names: BTreeMap<Export, String>,
    /// The template has conditions or mappings a child may need a copy of.
    has_conditions_or_mappings: bool,
}

impl<'a> Builder<'a> {
    fn new(
        stack: &'a str,
        template: &'a Sections,
        resources: &'a [Resource],
        graph: &'a Graph<'a>,
        chunks: &'a [Vec<usize>],
        format: Format,
    ) -> Self {
        static EMPTY: std::sync::OnceLock<Map<String, Json>> = std::sync::OnceLock::new();
        let params =
            template.get("Parameters").and_then(Json::as_object).unwrap_or_else(|| EMPTY.get_or_init(Map::new));
        let mut taken: BTreeSet<String> = resources.iter().map(|r| r.id.clone()).collect();
        for key in ["Parameters", "Outputs", "Conditions", "Mappings"] {
            if let Some(o) = template.get(key).and_then(Json::as_object) {
                taken.extend(o.keys().cloned());
            }
        }
        let width = chunks.len().to_string().len().max(2);
        let child_ids = (1..=chunks.len())
            .map(|n| {
                let mut id = format!("Nested{n:0width$}");
                while taken.contains(&id) {
                    id.push('X');
                }
                taken.insert(id.clone());
                id
            })
            .collect();
        let mut owner = vec![0; resources.len()];
        for (c, chunk) in chunks.iter().enumerate() {
            for &i in chunk {
                owner[i] = c;
            }
        }
        Self {
            stack,
            template,
            resources,
            graph,
            chunks,
            format,
            owner,
            child_ids,
            params,
            taken,
            names: BTreeMap::new(),
            has_conditions_or_mappings: template.get("Conditions").is_some() || template.get("Mappings").is_some(),
        }
    }

    /// The output (and parameter) name of an export, chosen on first use.
    fn name_of(&mut self, export: &Export) -> String {
        if let Some(n) = self.names.get(export) {
            return n.clone();
        }
        let id = self.graph.ids[export.0];
        // A `Ref` keeps the resource's id: no child holds both the resource and the parameter.
        let name = if export.1.is_empty() {
            id.to_owned()
        } else {
            let attr: String = export.1.chars().filter(char::is_ascii_alphanumeric).collect();
            let base = fit_id(&format!("{id}{attr}"));
            let mut name = base.clone();
            let mut n = 2;
            while self.taken.contains(&name) {
                name = fit_id(&format!("{base}{n}"));
                n += 1;
            }
            name
        };
        self.taken.insert(name.clone());
        self.names.insert(export.clone(), name.clone());
        name
    }

    fn err(&self, resource: &str, message: String) -> RenderError {
        RenderError::Unsupported {
            stack: self.stack.to_owned(),
            resource: resource.to_owned(),
            property: "Properties".into(),
            message,
        }
    }

    /// True when resource `i` of child `c` changes: a reference or a `DependsOn` into
    /// another child.
    fn crosses(&self, i: usize, c: usize) -> bool {
        let r = &self.resources[i];
        let other = |name: &str| {
            !self.params.contains_key(name) && self.graph.index.get(name).is_some_and(|&j| self.owner[j] != c)
        };
        let outside =
            r.depends_on.iter().any(|d| self.graph.index.get(d.as_str()).is_some_and(|&j| self.owner[j] != c));
        r.refs.iter().any(|x| x.rewired && other(r.name(x)))
            || outside
            || (r.depends_on_list && r.depends_on_other && !r.depends_on.is_empty())
    }

    fn build(mut self) -> Result<Plan, RenderError> {
        let mut children: Vec<Child> = Vec::with_capacity(self.chunks.len());
        let mut rewritten = HashMap::new();
        for (c, chunk) in self.chunks.iter().enumerate() {
            let mut child = Child::default();
            // Resources keep template order inside a child.
            let mut members = chunk.clone();
            members.sort_unstable();
            let resources = self.resources;
            for &i in &members {
                let r = &resources[i];
                if self.crosses(i, c) {
                    let mut resource = r.json();
                    self.rewire(c, i, &mut resource, &mut child)?;
                    rewritten.insert(i, resource);
                } else {
                    // Nothing changes: only the parameters it reads are noted.
                    for x in r.refs.iter().filter(|x| x.rewired && self.params.contains_key(r.name(x))) {
                        child.params.insert(r.name(x).to_owned());
                    }
                }
                if self.has_conditions_or_mappings {
                    let (conditions, mappings) = r.conditions_and_mappings();
                    child.conditions.extend(conditions);
                    child.mappings.extend(mappings);
                }
            }
            child.members = members;
            children.push(child);
        }
        let outputs = self.parent_outputs()?;
        Ok(self.assemble(children, outputs.as_ref(), rewritten))
    }

    /// Rewrites the references of `resource` (of child `c`) that cross into another child.
    fn rewire(&mut self, c: usize, i: usize, resource: &mut Json, child: &mut Child) -> Result<(), RenderError> {
        let mut problem = None;
        if let Json::Object(o) = resource {
            for (key, value) in o.iter_mut() {
                if ATTRIBUTE_KEYS.contains(&key.as_str()) {
                    continue;
                }
                for_each_ref(value, &mut |name, attr| {
                    if self.params.contains_key(name) {
                        child.params.insert(name.to_owned());
                        return None;
                    }
                    let &j = self.graph.index.get(name)?;
                    if self.owner[j] == c {
                        return None;
                    }
                    if attr == Some("") {
                        problem = Some(format!(
                            "a Fn::GetAtt of `{name}` with a computed attribute name cannot cross into another nested stack"
                        ));
                        return None;
                    }
                    let export = (j, attr.unwrap_or_default().to_owned());
                    let param = self.name_of(&export);
                    if !child.imports.iter().any(|(e, _)| *e == export) {
                        child.imports.push((export, param.clone()));
                    }
                    Some(Target::Ref(param))
                });
            }
            let deps = depends_on(&Json::Object(o.clone()));
            if !deps.is_empty() {
                let (inside, outside): (Vec<String>, Vec<String>) = deps
                    .into_iter()
                    .partition(|d| self.graph.index.get(d.as_str()).is_none_or(|&j| self.owner[j] == c));
                for d in outside {
                    child.after.insert(self.owner[self.graph.index[d.as_str()]]);
                }
                if inside.is_empty() {
                    o.remove("DependsOn");
                } else if !matches!(o.get("DependsOn"), Some(Json::String(_))) {
                    o.insert("DependsOn".into(), json!(inside));
                }
            }
        }
        if let Some(message) = problem {
            return Err(self.err(&self.resources[i].id, message));
        }
        Ok(())
    }

    /// The parent's outputs, reading the children's.
    fn parent_outputs(&mut self) -> Result<Option<Json>, RenderError> {
        let Some(mut outputs) = self.template.get("Outputs").cloned() else { return Ok(None) };
        let mut problem = None;
        if let Json::Object(o) = &mut outputs {
            for (out_id, output) in o.iter_mut() {
                if let Some(value) = output.get_mut("Value") {
                    for_each_ref(value, &mut |name, attr| {
                        let &j = self.graph.index.get(name)?;
                        if attr == Some("") {
                            problem = Some((out_id.clone(), name.to_owned()));
                            return None;
                        }
                        let export = (j, attr.unwrap_or_default().to_owned());
                        let out = self.name_of(&export);
                        Some(Target::GetAtt(self.child_ids[self.owner[j]].clone(), format!("Outputs.{out}")))
                    });
                }
            }
        }
        if let Some((out_id, name)) = problem {
            return Err(self.err(
                &out_id,
                format!("a Fn::GetAtt of `{name}` with a computed attribute name cannot be read from a nested stack"),
            ));
        }
        Ok(Some(outputs))
    }

    fn assemble(&self, children: Vec<Child>, parent_outputs: Option<&Json>, rewritten: HashMap<usize, Json>) -> Plan {
        // Which exports each child must publish, in a stable order.
        let mut exported: Vec<BTreeSet<&Export>> = vec![BTreeSet::new(); children.len()];
        for export in self.names.keys() {
            exported[self.owner[export.0]].insert(export);
        }
        let total = children.len();
        let mut out_children = Vec::with_capacity(total);
        let mut parent_resources = Map::new();
        for (c, child) in children.into_iter().enumerate() {
            let (plan, stack_resource) = self.child_template(c, total, child, &exported[c]);
            parent_resources.insert(self.child_ids[c].clone(), stack_resource);
            out_children.push(plan);
        }
        Plan { parent: self.parent_template(parent_resources, parent_outputs), children: out_children, rewritten }
    }

    /// The conditions a child uses, with the conditions and parent parameters they read.
    fn closure_of_conditions(&self, child: &Child) -> (BTreeSet<String>, BTreeSet<String>) {
        let all_conditions = self.template.get("Conditions").and_then(Json::as_object);
        let mut conditions = child.conditions.clone();
        let mut params = child.params.clone();
        let mut queue: Vec<String> = conditions.iter().cloned().collect();
        while let Some(name) = queue.pop() {
            let Some(body) = all_conditions.and_then(|m| m.get(&name)) else { continue };
            let mut inner = BTreeSet::new();
            conditions_in(body, &mut inner);
            for n in inner {
                if conditions.insert(n.clone()) {
                    queue.push(n);
                }
            }
            visit_refs(body, &mut |name, _| {
                if self.params.contains_key(name) {
                    params.insert(name.to_owned());
                }
            });
        }
        (conditions, params)
    }

    /// Child `c`'s plan and its `AWS::CloudFormation::Stack` resource in the parent.
    fn child_template(&self, c: usize, total: usize, child: Child, exported: &BTreeSet<&Export>) -> (ChildPlan, Json) {
        let t = self.template;
        let (conditions, params) = self.closure_of_conditions(&child);
        let mut doc = Map::new();
        for key in ["AWSTemplateFormatVersion", "Transform"] {
            if let Some(v) = t.get(key) {
                doc.insert(key.into(), v.clone());
            }
        }
        let description = t.get("Description").and_then(Json::as_str).unwrap_or(self.stack);
        let mut text = format!("{description} (nested stack {} of {total})", c + 1);
        if text.len() > 1024 {
            text = format!("{} (nested stack {} of {total})", self.stack, c + 1);
        }
        doc.insert("Description".into(), json!(text));
        if let Some(m) = t.get("Metadata") {
            doc.insert("Metadata".into(), m.clone());
        }
        let mut child_params = Map::new();
        let mut passed = Map::new();
        let mut ordered_by_outputs = BTreeSet::new();
        for (name, def) in self.params {
            if params.contains(name) {
                child_params.insert(name.clone(), def.clone());
                passed.insert(name.clone(), json!({ "Ref": name }));
            }
        }
        for ((j, attr), param) in &child.imports {
            let from = self.owner[*j];
            let id = self.graph.ids[*j];
            let what = if attr.is_empty() { id.to_owned() } else { format!("{id}.{attr}") };
            child_params.insert(
                param.clone(),
                json!({ "Type": "String", "Description": format!("{what}, from {}", self.child_ids[from]) }),
            );
            passed.insert(param.clone(), json!({ "Fn::GetAtt": [self.child_ids[from], format!("Outputs.{param}")] }));
            ordered_by_outputs.insert(from);
        }
        if !child_params.is_empty() {
            doc.insert("Parameters".into(), Json::Object(child_params));
        }
        for (key, used) in [("Mappings", &child.mappings), ("Conditions", &conditions)] {
            let kept = used_entries(t, key, used);
            if !kept.is_empty() {
                doc.insert(key.into(), Json::Object(kept));
            }
        }
        let mut outputs = Map::new();
        for export in exported {
            let id = self.graph.ids[export.0];
            let (value, what) = if export.1.is_empty() {
                (json!({ "Ref": id }), id.to_owned())
            } else {
                (json!({ "Fn::GetAtt": [id, export.1] }), format!("{id}.{}", export.1))
            };
            let mut o = Map::new();
            o.insert("Description".into(), json!(format!("{what}, passed on by the parent")));
            o.insert("Value".into(), value);
            if let Some(cond) = &self.resources[export.0].condition {
                o.insert("Condition".into(), cond.clone());
            }
            outputs.insert(self.names[*export].clone(), Json::Object(o));
        }
        let mut tail = Map::new();
        if !outputs.is_empty() {
            tail.insert("Outputs".into(), Json::Object(outputs));
        }
        let mut stack_resource = Map::new();
        stack_resource.insert("Type".into(), json!("AWS::CloudFormation::Stack"));
        let after: Vec<&String> =
            child.after.iter().filter(|a| !ordered_by_outputs.contains(*a)).map(|&a| &self.child_ids[a]).collect();
        if !after.is_empty() {
            stack_resource.insert("DependsOn".into(), json!(after));
        }
        let mut props = Map::new();
        props.insert("TemplateURL".into(), json!(child_path(self.stack, &self.child_ids[c], self.format)));
        if !passed.is_empty() {
            props.insert("Parameters".into(), Json::Object(passed));
        }
        stack_resource.insert("Properties".into(), Json::Object(props));
        let plan = ChildPlan { id: self.child_ids[c].clone(), head: doc, members: child.members, tail };
        (plan, Json::Object(stack_resource))
    }

    /// The parent: the original template with the stack resources instead of the resources,
    /// the outputs reading the children, and only the conditions and mappings they still use.
    fn parent_template(&self, mut resources: Map<String, Json>, outputs: Option<&Json>) -> Json {
        let mut parent = Map::new();
        let head = self.template.head.iter().map(Some);
        let tail = self.template.tail.iter().map(Some);
        // `None`: the place of `Resources`.
        for section in head.chain([None]).chain(tail) {
            let Some((key, value)) = section else {
                parent.insert("Resources".into(), Json::Object(std::mem::take(&mut resources)));
                continue;
            };
            match key.as_str() {
                "Outputs" => {
                    if let Some(o) = outputs {
                        parent.insert(key.clone(), o.clone());
                    }
                }
                "Conditions" | "Mappings" => {
                    let mut used = BTreeSet::new();
                    if let Some(o) = outputs {
                        if key == "Conditions" {
                            conditions_in(o, &mut used);
                        } else {
                            mappings_in(o, &mut used);
                        }
                    }
                    let kept = used_entries(self.template, key, &used);
                    if !kept.is_empty() {
                        parent.insert(key.clone(), Json::Object(kept));
                    }
                }
                _ => {
                    parent.insert(key.clone(), value.clone());
                }
            }
        }
        Json::Object(parent)
    }
}

/// The entries of `template[section]` named in `used`, in template order.
fn used_entries(template: &Sections, section: &str, used: &BTreeSet<String>) -> Map<String, Json> {
    template
        .get(section)
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
        .filter(|(k, _)| used.contains(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// An id of at most 255 characters: longer ones are cut and end with a stable hash.
fn fit_id(id: &str) -> String {
    if id.len() <= 255 {
        return id.to_owned();
    }
    format!("{}{:08x}", &id[..247], iac_core::naming::fnv1a(id.as_bytes()))
}
